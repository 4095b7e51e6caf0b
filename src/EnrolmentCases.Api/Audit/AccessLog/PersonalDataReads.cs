using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Audit.AccessLog;

/// <summary>
/// Records a read of personal data in the access log before the data leaves: an endpoint calls it
/// once it has found what it will answer and checked that the caller may see it, so a refused, missing
/// or failed read records nothing. When the record cannot be written, the caller gets 503 and no data
/// (fail closed): nobody receives personal data without a trace of it.
/// </summary>
public sealed class PersonalDataReads(IDocumentStore store, Now now, IOptions<ResilienceOptions> resilience,
    ILogger<PersonalDataReads> logger)
{
    /// <summary>Records the read, then gives the answer; or, when recording failed, a 503 problem instead.</summary>
    public async Task<IResult> Answer(HttpContext http, IEnumerable<Guid> caseIds, IResult answer, string? detail = null) =>
        await RecordAsync(http, caseIds, detail) is { } refused ? Results.Problem(refused) : answer;

    /// <summary>Records the read; answers null when recorded, or the problem to answer instead of the data.</summary>
    public async Task<ProblemDetails?> RecordAsync(HttpContext http, IEnumerable<Guid> caseIds, string? detail = null, string? reason = null)
    {
        var caller = Caller.From(http.User);
        var entry = new AccessLogEntry
        {
            Id = Guid.CreateVersion7(now.Instant),
            ReadAt = now.Instant,
            UserId = caller.Id,
            UserName = caller.Name,
            Roles = caller.Roles.Order(StringComparer.Ordinal).ToArray(),
            Route = $"{http.Request.Method} {(http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path}",
            CaseIds = caseIds.Distinct().ToArray(),
            Detail = detail,
            Reason = reason,
            TraceId = Telemetry.TraceId(http),
            CorrelationId = EventMetadata.CorrelationIdOf(http)
        };
        try
        {
            await using var session = store.LightweightSession();
            session.Insert(entry);
            await session.SaveChangesAsync(http.RequestAborted);
            return null;
        }
        catch (Exception e) when (!http.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(e, "A read on {Route} could not be recorded in the access log; its personal data was withheld", entry.Route);
            http.Response.Headers.RetryAfter = resilience.Value.RetryAfterSeconds.ToString();
            return Problems.Create(Problems.ServiceUnavailable, 503, "The read could not be recorded",
                "Every read of personal data is recorded in the access log before it is answered, and recording this one failed. " +
                "Nothing was returned; try again after the Retry-After delay.");
        }
    }
}
