using System.Security.Cryptography;
using System.Text;
using Marten.Services;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// A search whose count went past its limit, remembered (ADR 0062): the count's statement (its filter, tokens and limit,
/// hashed into the id) and the search index's generation it was counted at. While the generation has not moved, no entry
/// has lost a token since, so the search still has more matches than the limit, and its next count is not made.
/// The id is a hash of keyed tokens, which the entries hold already: no word, no caller, no time of the search.
/// </summary>
public sealed record SearchCountHint(string Id, long Generation);

/// <summary>
/// The search index's generation: one row, moved on in every transaction that rewrites or deletes an index entry (never by
/// an entry a new case adds, which can only raise a count). A remembered count is good for the generation it was made at.
/// </summary>
public sealed record SearchIndexGeneration(string Id, long Value)
{
    public const string Key = "search-index";
}

/// <summary>The statements that read, write and invalidate what SearchCountHint remembers.</summary>
public static class SearchCountHints
{
    /// <summary>The hint's id for a count: a hash of its filter, the filter's tokens and the limit.</summary>
    public static string KeyOf(string filter, IEnumerable<object> parameters, int limit)
    {
        var text = new StringBuilder().Append(limit).Append('|').Append(filter);
        foreach (var parameter in parameters)
            text.Append('|').AppendJoin(',', parameter is long[] tokens ? tokens.Order().ToArray() : [Convert.ToInt64(parameter)]);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    private static string Table<T>(IQuerySession session) => session.DocumentStore.Options.Schema.For<T>();

    /// <summary>
    /// The common table expressions `gen` (the generation now, 0 before the first) and `hinted` (whether the count is
    /// remembered at it), and their two parameters. Read in the statement that counts, so in the same snapshot.
    /// </summary>
    public static (string Sql, object[] Parameters) Read(IQuerySession session, string key) =>
        ($"gen as (select coalesce((select (data->>'Value')::bigint from {Table<SearchIndexGeneration>(session)} where id = ?), 0) as value), " +
         $"hinted as (select exists (select from {Table<SearchCountHint>(session)} where id = ? " +
         "and (data->>'Generation')::bigint = (select value from gen)) as yes)",
            [SearchIndexGeneration.Key, key]);

    /// <summary>
    /// A data-modifying common table expression that remembers the count `t.n` when it was made (not remembered) and went past
    /// the limit, at the generation the statement read. A hint of an older generation is replaced, never a newer one.
    /// </summary>
    public static (string Sql, object[] Parameters) Note(IQuerySession session, string key, int limit)
    {
        var hints = Table<SearchCountHint>(session);
        return ($"noted as (insert into {hints} as h (id, data, mt_dotnet_type) " +
                "select ?, jsonb_build_object('Id', ?::text, 'Generation', (select value from gen)), ? " +
                "where case when (select yes from hinted) then false else (select n from t) > ? end " +
                "on conflict (id) do update set data = excluded.data, mt_last_modified = now() " +
                "where (h.data->>'Generation')::bigint < (excluded.data->>'Generation')::bigint)",
            [key, key, typeof(SearchCountHint).FullName!, limit]);
    }

    /// <summary>
    /// Moves the generation on (creating it at 1) and forgets every hint, in the transaction of the session it is queued in:
    /// no hint is good after it, and the table keeps only what was counted since. A search whose snapshot predates the
    /// commit may still note a hint after it, at the old generation, which no later search takes.
    /// </summary>
    public static void Invalidate(IDocumentSession session)
    {
        var table = Table<SearchIndexGeneration>(session);
        session.QueueSqlCommand(
            $"insert into {table} as g (id, data, mt_dotnet_type) values (?, jsonb_build_object('Id', ?::text, 'Value', 1), ?) " +
            "on conflict (id) do update set data = jsonb_build_object('Id', g.id, 'Value', (g.data->>'Value')::bigint + 1), mt_last_modified = now()",
            SearchIndexGeneration.Key, SearchIndexGeneration.Key, typeof(SearchIndexGeneration).FullName!);
        session.QueueSqlCommand($"delete from {Table<SearchCountHint>(session)}");
    }
}

/// <summary>
/// Moves the search index's generation on in any session that deletes an entry or stores one for a case it does not open
/// (a correction, an erasure, the rebuild, the repair): such a write may take a token away, and a remembered count past
/// its limit might no longer be past it. Entries of the cases a session opens only add matches. Registered after
/// SearchIndexListener, so it sees the entries that listener queues. Entries written by COPY (imports, the dataset
/// generator) are always new cases' and never pass here.
/// </summary>
public sealed class SearchCountHintListener : DocumentSessionListenerBase
{
    public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        var pending = session.PendingChanges;
        var rewrites = pending.DeletionsFor<CaseSearchEntry>().Any();
        if (!rewrites)
        {
            var stored = pending.AllChangedFor<CaseSearchEntry>().ToList();
            if (stored.Count > 0)
            {
                var opened = pending.Streams().Where(s => s.Events.Any(e => e.Data is WorkerIdentified)).Select(s => s.Id).ToHashSet();
                rewrites = stored.Any(e => !opened.Contains(e.Id));
            }
        }

        if (rewrites) SearchCountHints.Invalidate(session);
        return Task.CompletedTask;
    }
}
