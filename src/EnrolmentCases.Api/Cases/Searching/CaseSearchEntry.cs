using System.Text.Json.Serialization;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// A case's entry in the worklist search's blind index: keyed hashes of the prefixes of the words of its name
/// and village (SearchWords), never the words. Kept beside the events rather than projected from them: the
/// tokens need the person's key, which rebuilds and the replay verification never hold (ADR 0017), so
/// SearchIndexListener writes them in the transaction that changes the name or village and deletes them in the
/// one that erases the person; the search-index command rebuilds them from the case views and keys.
/// The tokens include the case's regency (SearchWords.RegencyToken) and the entry carries the case's opening time, so
/// a search filters, counts, orders and pages in this table alone (ADR 0028). The regency is also a column, under a
/// (regency, opened_at) index, so that a caseworker's search walks the regency's newest entries alone (ADR 0042).
/// TokensInRegency are the same prefixes keyed with the case's regency, under an index of their own, so that a search in one
/// regency reads only that regency's posting lists (ADR 0053); null on an entry an earlier release wrote, until the repair
/// after start rewrites it (ADR 0051). Both token arrays live in their columns only, not in the document's JSON: nothing reads
/// an entry back as a document, and a searcher's walk reads narrower rows (ADR 0053).
/// </summary>
public sealed record CaseSearchEntry(Guid Id, [property: JsonIgnore] long[] Tokens, DateTimeOffset OpenedAt, string? RegencyCode,
    [property: JsonIgnore] long[]? TokensInRegency);
