using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Privacy;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Cases.Searching;

/// <summary>The search key (Privacy:SearchKey) and what it makes: a case's index tokens, a query's tokens.</summary>
public sealed class SearchIndex(IOptions<PrivacyOptions> options)
{
    private readonly byte[] _key = Convert.FromBase64String(options.Value.SearchKey);

    /// <summary>The tokens of a person's sealed name and village, opened with their key; none when the key is gone.</summary>
    public long[] TokensOf(PersonSeal? person, string? sealedName, string? sealedVillage) => person is null
        ? []
        : SearchWords.IndexTokens(_key, person.Open(PersonalField.FullName, sealedName), person.Open(PersonalField.Village, sealedVillage));

    /// <summary>A case's entry: the tokens of its name and village and the token of its regency, and when it was opened.</summary>
    public CaseSearchEntry EntryOf(Guid caseId, string regencyCode, DateTimeOffset openedAt, PersonSeal? person, string? sealedName, string? sealedVillage) =>
        new(caseId, [..TokensOf(person, sealedName, sealedVillage).Append(RegencyToken(regencyCode)).Distinct().Order()], openedAt.ToUniversalTime(), regencyCode);

    public long[] QueryTokens(IEnumerable<string> words) => SearchWords.QueryTokens(_key, words);

    public long RegencyToken(string regencyCode) => SearchWords.RegencyToken(_key, regencyCode);

    /// <summary>The entry of a case view as it stands (its name and village opened with the keyring).</summary>
    public CaseSearchEntry EntryOf(CaseDetails view, PersonKeyring keys) =>
        EntryOf(view.Id, view.RegencyCode, view.OpenedAt, keys.For(view.Subject, view.KeyId), view.FullName, view.Village);
}
