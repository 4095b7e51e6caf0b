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

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);
}
