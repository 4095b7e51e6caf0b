using System.Runtime.CompilerServices;
using Marten.Services.BatchQuerying;

namespace EnrolmentCases.Infrastructure;

/// <summary>The last event of a stream as a command read it: its version and its MAC ("" for an event without one).</summary>
public sealed record StreamTail(long Version, string Mac);

/// <summary>
/// Tails a command already read inside its transaction, under the stream's row lock, with the events it folded its
/// aggregate from (ADR 0046). The session listener that signs appended events (IEventSigner's implementation) chains the
/// first new event to such a tail instead of reading the stream's last event again. A tail is taken once, and only for
/// the stream and session it was read for: a second save of the same session reads the tail from the database again.
/// </summary>
public static class StreamTails
{
    // Weak keys: a session's tails go with the session, whether or not it ever saves.
    private static readonly ConditionalWeakTable<IDocumentSession, Dictionary<Guid, StreamTail>> Known = new();

    public static void Remember(IDocumentSession session, Guid streamId, StreamTail tail)
    {
        var tails = Known.GetOrCreateValue(session);
        lock (tails) tails[streamId] = tail;
    }

    public static StreamTail? Take(IDocumentSession session, Guid streamId)
    {
        if (!Known.TryGetValue(session, out var tails)) return null;
        lock (tails) return tails.Remove(streamId, out var tail) ? tail : null;
    }

    /// <summary>
    /// Reads the tails of streams the caller locks in the same batch, queued after the statements that lock them, and
    /// hands each to the session, so that the signing listener chains the new events to it without a round trip of its
    /// own while the locks are held (ADR 0060). Await the returned task after the batch has run.
    /// </summary>
    public static async Task ReadInBatchAsync(IBatchedQuery batch, IDocumentSession session, Guid[] streamIds)
    {
        foreach (var (id, tail) in Parse(await batch.Query<string>(Sql(session), streamIds))) Remember(session, id, tail);
    }

    /// <summary>The tails of these streams, read now in the session's own connection (one query for all of them).</summary>
    public static async Task<Dictionary<Guid, StreamTail>> ReadAsync(IDocumentSession session, Guid[] streamIds, CancellationToken ct) =>
        Parse(await session.QueryAsync<string>(Sql(session), ct, streamIds));

    /// <summary>
    /// Each stream's last version and its MAC ("" for an event without one), one row a stream, for the stream ids given as
    /// its one parameter: one backward step of the (stream_id, version) index per stream, so the cost does not grow with a
    /// stream's length. (A <c>distinct on</c> over the streams' events read every event of a long stream such as a shared
    /// budget, about 10 ms inside the transaction that holds the budget's row lock.)
    /// </summary>
    private static string Sql(IDocumentSession session) =>
        "select s.id::text || '|' || t.version || '|' || t.mac from unnest(?::uuid[]) as s(id) cross join lateral " +
        $"(select e.version, coalesce(e.headers->>'{SignatureHeaders.Mac}', '') as mac from {session.DocumentStore.Options.Events.DatabaseSchemaName}.mt_events e " +
        "where e.stream_id = s.id order by e.version desc limit 1) t";

    private static Dictionary<Guid, StreamTail> Parse(IEnumerable<string> rows) =>
        rows.Select(r => r.Split('|', 3)).ToDictionary(p => Guid.Parse(p[0]), p => new StreamTail(long.Parse(p[1]), p[2]));
}
