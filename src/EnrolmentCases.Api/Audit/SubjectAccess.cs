using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Audit;

public sealed record SubjectCase(CaseDetails Case, CaseHistory History);

/// <summary>Everything held about one person, for a data-subject access request under Law 27/2022 (PDP).</summary>
public sealed record SubjectAccessReport(
    string Nik,
    DateTimeOffset ProducedAt,
    string ProducedBy,
    Guid? OpenCaseId,
    IReadOnlyList<SubjectCase> Cases,
    IReadOnlyList<ImportRowHeld> ImportRows,
    IReadOnlyList<ReconciliationRowHeld> ReconciliationRows,
    IReadOnlyList<AccessLogEntry> Accesses,
    bool AccessesTruncated,
    string Note);

public static class SubjectAccessEndpoint
{
    /// <summary>The newest access-log entries a report lists; GET /api/audit/access-log?caseId= pages through the rest.</summary>
    public const int MaxAccesses = 1_000;

    /// <summary>
    /// Auditors only. Every case ever opened for the NIK, as it stands and with its full history
    /// (who processed it, when and why), every row of an uploaded list that named it, and who read
    /// the person's cases when. The NIK travels in the body, not the URL, so it stays out of access logs.
    /// </summary>
    [WolverinePost("/api/audit/subject-access", OperationId = "SubjectAccess", Summary = "Subject access report",
        Description = "Everything held about one person (by NIK in the body), for a request under Law 27/2022: cases and their histories, rows of uploaded lists, and the access-log entries about the cases.")]
    [Tags("Audit"), Authorize(Roles = Roles.Auditor)]
    [ProducesResponseType<SubjectAccessReport>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Post(SubjectAccessRequest? request, IQuerySession session, PersonalDataLocator locator,
        PersonalDataReads reads, PersonalData privacy, LapsePolicy lapses, Now now, ReferenceData reference, HttpContext http,
        ILogger<SubjectAccessRequest> logger)
    {
        var problems = Nik.Problems(request?.Nik, reference.NikProvinceCodes);
        if (problems.Count > 0)
            return Results.Problem(Problems.ValidationFailed(new Dictionary<string, string[]> { ["nik"] = problems.ToArray() }));

        var nik = request!.Nik!;
        var ct = http.RequestAborted;
        var held = await locator.FindAsync(nik, ct);
        var keys = await privacy.KeyringAsync(session, held.Cases.Select(c => c.Subject), ct);
        var result = new List<SubjectCase>();
        foreach (var c in held.Cases)
            result.Add(new SubjectCase(c.Revealed(keys).AsOn(now.Today, lapses.GraceMonths),
                await CaseHistoryEndpoint.LoadAsync(session, c.Id, now.Calendar, privacy, ct)));
        var caseIds = held.Cases.Select(c => c.Id).ToArray();
        var accesses = await AccessesAsync(session, caseIds, ct);

        var auditor = Caller.From(http.User);
        // The access itself is part of the processing trail.
        logger.LogInformation("Subject access report for NIK ending {NikEnd} produced by {Auditor}: {Cases} cases, {Rows} import rows",
            nik[^4..], auditor.Id, held.Cases.Count, held.ImportRows.Count);
        // Personal data: no cache, and no idempotency record, may keep a copy.
        http.Response.Headers.CacheControl = "no-store";
        return await reads.Answer(http, caseIds, Results.Ok(new SubjectAccessReport(nik, now.Instant, auditor.Id, held.OpenCaseId, result,
                held.ImportRows, held.ReconciliationRows, accesses.Take(MaxAccesses).ToList(), accesses.Count > MaxAccesses,
                "Personal data is held only in these cases and their events, and in the rows of the uploaded lists and insurer status files shown; coverage, budget and forecast figures are aggregates without it.")),
            $"import rows: {held.ImportRows.Count}, status file rows: {held.ReconciliationRows.Count}");
    }

    /// <summary>Who read these cases, newest first; each entry names only these cases, not the others read with them.</summary>
    private static async Task<List<AccessLogEntry>> AccessesAsync(IQuerySession session, Guid[] caseIds, CancellationToken ct)
    {
        var found = new Dictionary<Guid, AccessLogEntry>();
        foreach (var id in caseIds)
        {
            var entries = await session.Query<AccessLogEntry>().Where(e => e.CaseIds.Contains(id))
                .OrderByDescending(e => e.ReadAt).Take(MaxAccesses + 1).ToListAsync(ct);
            foreach (var entry in entries) found.TryAdd(entry.Id, entry);
        }

        return found.Values.Select(e => new AccessLogEntry
            {
                Id = e.Id, ReadAt = e.ReadAt, UserId = e.UserId, UserName = e.UserName, Roles = e.Roles, Route = e.Route,
                CaseIds = e.CaseIds.Intersect(caseIds).ToArray(), Detail = e.Detail, Reason = e.Reason, TraceId = e.TraceId,
                CorrelationId = e.CorrelationId
            })
            .OrderByDescending(e => e.ReadAt).ThenByDescending(e => e.Id).ToList();
    }
}

public sealed record SubjectAccessRequest(string? Nik);
