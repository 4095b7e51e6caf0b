using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using JasperFx.Events;

namespace EnrolmentCases.Audit;

public sealed record HistoryEntry(
    long Sequence,
    long Version,
    string Type,
    DateTimeOffset Timestamp,
    DateTimeOffset? EffectiveAt,
    object Data,
    string? User,
    string? UserName,
    string? CorrelationId,
    string? CausationId,
    string? Hash);

public sealed record CaseHistory(Guid CaseId, IReadOnlyList<HistoryEntry> Events);

public static class CaseHistoryEndpoint
{
    /// <summary>Every event of a case in order: what changed, who did it, when (recorded and effective), why, and its chain hash.</summary>
    [WolverineGet("/api/cases/{id}/history", OperationId = "GetCaseHistory", Summary = "A case's history",
        Description = "Every event of the case in order, with who acted, when (recorded and effective), under which correlation, and its place in the tamper-evidence chain.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseHistory>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, IQuerySession session, ProvinceCalendar calendar, HttpContext http, PersonalDataReads reads)
    {
        var found = await session.LoadAsync<CaseDetails>(id, http.RequestAborted);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));
        return await reads.Answer(http, [id], Results.Ok(await LoadAsync(session, id, calendar, http.RequestAborted)));
    }

    public static async Task<CaseHistory> LoadAsync(IQuerySession session, Guid id, ProvinceCalendar calendar, CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(id, token: ct);
        var sequences = events.Select(e => e.Sequence).ToArray();
        var hashes = (await session.Query<AuditLink>().Where(l => sequences.Contains(l.Id)).ToListAsync(ct))
            .ToDictionary(l => l.Id, l => l.Hash);
        return new CaseHistory(id, events.Select(e => Entry(e, calendar, hashes.GetValueOrDefault(e.Sequence))).ToList());
    }

    private static HistoryEntry Entry(IEvent e, ProvinceCalendar calendar, string? hash)
    {
        var effective = StageChanges.EffectiveAt(e.Data, calendar);
        return new HistoryEntry(e.Sequence, e.Version, e.EventTypeName, e.Timestamp,
            // Shown only where it differs meaningfully from when the event was written (backdating, field times).
            effective is { } at && (at - e.Timestamp).Duration() > TimeSpan.FromMinutes(1) ? at : null, e.Data, e.UserName,
            e.GetHeader("userName")?.ToString(), e.CorrelationId, e.CausationId, hash);
    }
}
