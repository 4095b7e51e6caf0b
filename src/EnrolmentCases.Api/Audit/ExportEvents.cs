using System.Buffers;
using System.Text.Json;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Audit;

public static class ExportEventsEndpoint
{
    public const int MaxLimit = 100_000;
    private const int BatchSize = 2_000;

    /// <summary>
    /// The event log as NDJSON, one event a line with its metadata and chain hash, streamed in
    /// sequence order. Page with afterSequence = the last sequence received.
    /// </summary>
    [WolverineGet("/api/audit/events", OperationId = "ExportEvents", Summary = "Export the event log",
        Description = "The event log as NDJSON, one event a line with its hash, re-hashable line by line.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType(typeof(string), 200, "application/x-ndjson")]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task Get(long? afterSequence, int? limit, IDocumentStore store, HttpContext http)
    {
        var errors = new ValidationErrors();
        if (afterSequence is < 0) errors.Add("afterSequence", "must be 0 or more");
        if (limit is < 1 or > MaxLimit) errors.Add("limit", $"must be between 1 and {MaxLimit}");
        if (errors.Any)
        {
            http.Response.StatusCode = 400;
            await Results.Problem(errors.ToProblem()).ExecuteAsync(http);
            return;
        }

        var ct = http.RequestAborted;
        var remaining = limit ?? 1_000;
        var after = afterSequence ?? 0;
        http.Response.ContentType = "application/x-ndjson";
        await using var session = store.QuerySession();
        while (remaining > 0)
        {
            var events = await AuditChain.ReadAsync(store, after, long.MaxValue, Math.Min(BatchSize, remaining), ct);
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
            remaining -= events.Count;
            after = last;
        }
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
