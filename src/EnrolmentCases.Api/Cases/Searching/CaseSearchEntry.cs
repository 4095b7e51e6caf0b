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
/// </summary>
public sealed record CaseSearchEntry(Guid Id, long[] Tokens, DateTimeOffset OpenedAt, string? RegencyCode);
