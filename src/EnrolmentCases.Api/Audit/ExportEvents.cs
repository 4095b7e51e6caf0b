using System.Buffers;
using System.Text.Json;
using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using Npgsql;

namespace EnrolmentCases.Audit;

public static class ExportEventsEndpoint
{
    public const int MaxLimit = 100_000;
    public const int MaxReasonLength = 500;
    private const int BatchSize = 2_000;

    /// <summary>
    /// The event log as NDJSON, one event a line with its metadata and chain hash, streamed in
    /// sequence order. Page with afterSequence = the last sequence received. The events carry NIKs and
    /// names: before the first line leaves, the export is recorded in the access log with its sequence
    /// range and every stream in it, and with the reason admins (who may not read cases) must give.
    /// </summary>
    [WolverineGet("/api/audit/events", OperationId = "ExportEvents", Summary = "Export the event log",
        Description = "The event log as NDJSON, one event a line with its hash, re-hashable line by line. Recorded in the access log; admins must give a `reason`.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType(typeof(string), 200, "application/x-ndjson")]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task Get(long? afterSequence, int? limit, string? reason, IDocumentStore store, PersonalDataReads reads,
        HttpContext http)
    {
        var errors = new ValidationErrors();
        if (afterSequence is < 0) errors.Add("afterSequence", "must be 0 or more");
        if (limit is < 1 or > MaxLimit) errors.Add("limit", $"must be between 1 and {MaxLimit}");
        errors.Text("reason", reason, MaxReasonLength);
        // Admins manage but do not read cases: an export of personal data by one of them must say why.
        if (string.IsNullOrWhiteSpace(reason) && !Caller.From(http.User).Has(Roles.Auditor))
            errors.Add("reason", "is required for admins: say why the export of personal data is needed");
        if (errors.Any)
        {
            http.Response.StatusCode = 400;
            await Results.Problem(errors.ToProblem()).ExecuteAsync(http);
            return;
        }

        var ct = http.RequestAborted;
        var remaining = limit ?? 1_000;
        var after = afterSequence ?? 0;
        var range = await RangeAsync(store, after, remaining, ct);
        if (range.Streams.Count > 0 &&
            await reads.RecordAsync(http, range.Streams, $"sequences {after + 1}-{range.Through}", reason?.Trim()) is { } refused)
        {
            http.Response.StatusCode = 503;
            await Results.Problem(refused).ExecuteAsync(http);
            return;
        }

        http.Response.ContentType = "application/x-ndjson";
        var unrecorded = new HashSet<Guid>();
        await using var session = store.QuerySession();
        while (remaining > 0)
        {
            var events = await AuditChain.ReadAsync(store, after, range.Through, Math.Min(BatchSize, remaining), ct);
            if (events.Count == 0) break;
            var first = events[0].Sequence;
            var last = events[^1].Sequence;
            var hashes = (await session.Query<AuditLink>().Where(l => l.Id >= first && l.Id <= last).ToListAsync(ct))
                .ToDictionary(l => l.Id, l => l.Hash);

            using (var writer = new Utf8JsonWriter(http.Response.BodyWriter.AsStream()))
            {
                foreach (var e in events)
                {
                    WriteLine(writer, e, hashes.GetValueOrDefault(e.Sequence));
                    await writer.FlushAsync(ct);
                    writer.Reset();
                    http.Response.BodyWriter.Write("\n"u8);
                }
            }

            await http.Response.BodyWriter.FlushAsync(ct);
            unrecorded.UnionWith(events.Select(e => e.StreamId).Where(s => !range.Streams.Contains(s)));
            remaining -= events.Count;
            after = last;
        }

        // An event whose transaction committed inside the range after the range was recorded (sequence
        // numbers are taken before commit): its line has left, so it is recorded now.
        if (unrecorded.Count > 0)
            await reads.RecordAsync(http, unrecorded, $"sequences up to {range.Through}, committed late", reason?.Trim());
    }

    /// <summary>The last sequence an export of up to limit events after a sequence reaches, and every stream in that range.</summary>
    private static async Task<(long Through, HashSet<Guid> Streams)> RangeAsync(IDocumentStore store, long after, int limit, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
             select coalesce(max(seq_id), @after), coalesce(array_agg(distinct stream_id), array[]::uuid[])
             from (select seq_id, stream_id from {store.Options.Events.DatabaseSchemaName}.mt_events
                   where seq_id > @after order by seq_id limit @limit) range
             """, connection);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetInt64(0), reader.GetFieldValue<Guid[]>(1).ToHashSet());
    }

    private static void WriteLine(Utf8JsonWriter writer, StoredEvent e, string? hash)
    {
        writer.WriteStartObject();
        writer.WriteNumber("sequence", e.Sequence);
        writer.WriteString("id", e.Id);
        writer.WriteString("streamId", e.StreamId);
        writer.WriteNumber("version", e.Version);
        writer.WriteString("type", e.Type);
        // The same text the chain hashes, so an export can be re-hashed independently.
        writer.WriteString("timestamp", DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc).ToString("O"));
        writer.WriteBoolean("isArchived", e.IsArchived);
        writer.WriteString("user", e.UserName);
        writer.WriteString("correlationId", e.CorrelationId);
        writer.WriteString("causationId", e.CausationId);
        writer.WritePropertyName("headers");
        if (e.Headers is null) writer.WriteNullValue();
        else writer.WriteRawValue(e.Headers);
        writer.WritePropertyName("data");
        writer.WriteRawValue(e.Data);
        writer.WriteString("hash", hash);
        writer.WriteEndObject();
    }
}
