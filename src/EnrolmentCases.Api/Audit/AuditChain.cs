using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace EnrolmentCases.Audit;

/// <summary>The chain link sealing one stored event: its hash covers the event and the link before it.</summary>
public class AuditLink
{
    /// <summary>The event's global sequence number.</summary>
    public long Id { get; set; }
    public string Hash { get; set; } = "";
    public string PreviousHash { get; set; } = "";
    public DateTimeOffset SealedAt { get; set; }
}

/// <summary>An event exactly as PostgreSQL stores it: what the chain hashes and the export writes.</summary>
public sealed record StoredEvent(
    long Sequence,
    Guid Id,
    Guid StreamId,
    long Version,
    string Type,
    DateTime Timestamp,
    string Data,
    string? UserName,
    string? CorrelationId,
    string? CausationId,
    string? Headers,
    bool IsArchived)
{
    /// <summary>
    /// Every stored field, in a fixed order and format. JSON columns are jsonb, which PostgreSQL
    /// always prints the same way, so the text does not depend on who wrote it.
    /// </summary>
    public string Canonical() => string.Join('\u001f',
        Sequence, Id.ToString("N"), StreamId.ToString("N"), Version, Type,
        DateTime.SpecifyKind(Timestamp, DateTimeKind.Utc).ToString("O"), IsArchived,
        UserName ?? "", CorrelationId ?? "", CausationId ?? "", Headers ?? "", Data);
}

public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Link(string previousHash, StoredEvent e)
    {
        var bytes = Encoding.UTF8.GetBytes(previousHash + "\n" + e.Canonical());
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Reads stored events with sequence in (after, upTo], in order, straight from the events table.</summary>
    public static async Task<List<StoredEvent>> ReadAsync(IDocumentStore store, long after, long upTo, int limit, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
             select seq_id, id, stream_id, version, type, timestamp, data::text, user_name, correlation_id, causation_id,
                    headers::text, is_archived
             from {schema}.mt_events where seq_id > @after and seq_id <= @upTo order by seq_id limit @limit
             """, connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("upTo", upTo);
        command.Parameters.AddWithValue("limit", limit);
        var events = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            events.Add(new StoredEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetDateTime(5), reader.GetString(6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
                reader.GetBoolean(11)));
        }

        return events;
    }

    /// <summary>The highest sequence below which no transaction can still add events (Marten's high-water mark).</summary>
    public static async Task<long> HighWaterMarkAsync(IDocumentStore store, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select coalesce((select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'), 0)", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    public static async Task<long> CountAfterAsync(IDocumentStore store, long after, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select count(*) from {store.Options.Events.DatabaseSchemaName}.mt_events where seq_id > @after", connection);
        command.Parameters.AddWithValue("after", after);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    /// <summary>
    /// Stored events with sequence in (after, upTo], in order, each with what its stream holds just
    /// before it (the previous version's sequence and MAC): what the per-event MAC check needs.
    /// </summary>
    public static async Task<List<CheckedEvent>> ReadForCheckAsync(IDocumentStore store, long after, long upTo, int limit, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
             select e.seq_id, e.id, e.stream_id, e.version, e.type, e.timestamp, e.data::text, e.user_name, e.correlation_id, e.causation_id,
                    e.headers::text, e.is_archived, p.version, p.seq_id, p.headers->>'{EventMacs.MacHeader}'
             from {schema}.mt_events e
             left join lateral (select b.version, b.seq_id, b.headers from {schema}.mt_events b
                                where b.stream_id = e.stream_id and b.version < e.version order by b.version desc limit 1) p on true
             where e.seq_id > @after and e.seq_id <= @upTo order by e.seq_id limit @limit
             """, connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("upTo", upTo);
        command.Parameters.AddWithValue("limit", limit);
        var events = new List<CheckedEvent>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var e = new StoredEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetDateTime(5), reader.GetString(6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10),
                reader.GetBoolean(11));
            events.Add(new CheckedEvent(e, reader.IsDBNull(12) ? null : reader.GetInt64(12), reader.IsDBNull(13) ? null : reader.GetInt64(13),
                Text(reader, 14)));
        }

        return events;
    }

    public static async Task<long> LastSequenceAsync(IDocumentStore store, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select coalesce(max(seq_id), 0) from {store.Options.Events.DatabaseSchemaName}.mt_events", connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}

/// <summary>A stored event with the previous event of its stream as stored: its version, sequence and MAC.</summary>
public sealed record CheckedEvent(StoredEvent Event, long? PreviousVersion, long? PreviousSequence, string? PreviousMac);

/// <summary>One place where the log is not what was written: the event's sequence, a problem code, and what was found.</summary>
public sealed record ChainBreak(long Sequence, string Problem, string Detail);

/// <summary>The problems verification reports, one code each.</summary>
public static class ChainProblems
{
    public const string MacMissing = "mac-missing";
    public const string MacKeyUnknown = "mac-key-unknown";
    public const string MacMismatch = "mac-mismatch";
    public const string StreamGap = "stream-chain-broken";
    public const string StreamOrder = "stream-order-broken";
    public const string LinkMismatch = "link-mismatch";
    public const string EventMissing = "sealed-event-missing";
    public const string EventUnsealed = "event-without-link";
    public const string AnchorNotReached = "anchor-not-reached";
    public const string AnchoredSequenceMissing = "anchored-sequence-missing";
    public const string AnchorUnreadable = "anchor-unreadable";
    public const string SnapshotDiffers = "snapshot-differs";
}

/// <summary>
/// The check of one event on its own and within its stream: its MAC, under the key it names, over
/// what is stored now and the MAC of its stream's previous event, and that event's place.
/// </summary>
public static class EventCheck
{
    /// <summary>Marten's placeholder for a sequence number a failed transaction left; written outside any session, so unsigned.</summary>
    public const string Tombstone = "tombstone";

    public static ChainBreak? Check(EventMacs macs, CheckedEvent c)
    {
        var e = c.Event;

        // The headers parsed once: the MAC and its key are read from the same document whose canonical form the MAC covers.
        using var headers = ParseObject(e.Headers);

        string? Header(string name) => headers is not null && headers.RootElement.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String
            ? v.GetString()
            : null;

        var mac = Header(EventMacs.MacHeader);
        var keyId = Header(EventMacs.KeyHeader);
        // Marten's own tombstones are unsigned, in streams of their own; an event of a signed stream turned into one is not.
        if (e.Type == Tombstone && mac is null && c.PreviousMac is null) return null;
        if (mac is null || keyId is null)
            return e.Sequence < macs.RequiredFromSequence
                ? null
                : new ChainBreak(e.Sequence, ChainProblems.MacMissing, $"event {e.Sequence} carries no MAC (forged, or its headers were edited)");

        if (e.Version > 1 && c.PreviousVersion != e.Version - 1)
            return new ChainBreak(e.Sequence, ChainProblems.StreamGap,
                $"version {e.Version - 1} of stream {e.StreamId}, before event {e.Sequence}, is missing (deleted, or versions renumbered)");
        if (c.PreviousSequence is { } before && before >= e.Sequence)
            return new ChainBreak(e.Sequence, ChainProblems.StreamOrder,
                $"event {e.Sequence} (version {e.Version}) comes after version {c.PreviousVersion} of its stream at {before} in the log (reordered)");
        if (!macs.Knows(keyId))
            return new ChainBreak(e.Sequence, ChainProblems.MacKeyUnknown, $"event {e.Sequence} names MAC key {keyId}, which this application does not hold");

        var input = new MacInput(e.StreamId, e.Version, e.Id, e.Type, e.UserName, e.CorrelationId, e.CausationId,
            CanonicalJson.Of(headers!.RootElement, EventMacs.MacHeader, EventMacs.KeyHeader), CanonicalJson.Of(e.Data),
            e.Version > 1 ? c.PreviousMac ?? "" : "");
        return macs.Verifies(keyId, input, mac)
            ? null
            : new ChainBreak(e.Sequence, ChainProblems.MacMismatch, $"event {e.Sequence} differs from what was written (its MAC does not verify: edited)");
    }

    /// <summary>The headers as a JSON object, or null when there are none or they are not an object (then no MAC can be read from them).</summary>
    private static System.Text.Json.JsonDocument? ParseObject(string? json)
    {
        if (json is null) return null;
        System.Text.Json.JsonDocument document;
        try
        {
            document = System.Text.Json.JsonDocument.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }

        if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object) return document;
        document.Dispose();
        return null;
    }
}
