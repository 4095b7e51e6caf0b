using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Privacy;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Cases.Searching;

/// <summary>The search key (Privacy:SearchKey) and what it makes: a case's index tokens, a query's tokens.</summary>
public sealed class SearchIndex(IOptions<PrivacyOptions> options)
{
    private readonly byte[] _key = Convert.FromBase64String(options.Value.SearchKey);

    /// <summary>
    /// A case's entry: the tokens of its name and village, on their own and within its regency (none when the person's key
    /// is gone), the token of its regency, and when it was opened.
    /// </summary>
    public CaseSearchEntry EntryOf(Guid caseId, string regencyCode, DateTimeOffset openedAt, PersonSeal? person, string? sealedName, string? sealedVillage)
    {
        var (tokens, inRegency) = person is null
            ? ([], [])
            : SearchWords.CaseTokens(_key, regencyCode, [person.Open(PersonalField.FullName, sealedName), person.Open(PersonalField.Village, sealedVillage)]);
        return new(caseId, [..tokens.Append(RegencyToken(regencyCode)).Distinct().Order()], openedAt.ToUniversalTime(), regencyCode, inRegency ?? []);
    }

    public long[] QueryTokens(IEnumerable<string> words) => SearchWords.QueryTokens(_key, words);

    /// <summary>The query's tokens within one regency, which only that regency's entries hold (ADR 0053).</summary>
    public long[] QueryTokens(IEnumerable<string> words, string regencyCode) => SearchWords.QueryTokens(_key, words, regencyCode);

    public long RegencyToken(string regencyCode) => SearchWords.RegencyToken(_key, regencyCode);

    /// <summary>The entry of a case view as it stands (its name and village opened with the keyring).</summary>
    public CaseSearchEntry EntryOf(CaseDetails view, PersonKeyring keys) =>
        EntryOf(view.Id, view.RegencyCode, view.OpenedAt, keys.For(view.Subject, view.KeyId), view.FullName, view.Village);
}
