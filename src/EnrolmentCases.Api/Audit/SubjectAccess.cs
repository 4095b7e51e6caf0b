using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
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
    string Note);

public static class SubjectAccessEndpoint
{
    /// <summary>
    /// Auditors only. Every case ever opened for the NIK, as it stands and with its full history
    /// (who processed it, when and why). The NIK travels in the body, not the URL, so it stays out of access logs.
    /// </summary>
    [WolverinePost("/api/audit/subject-access", OperationId = "SubjectAccess", Summary = "Subject access report",
        Description = "Everything held about one person (by NIK in the body), for a request under Law 27/2022.")]
    [Tags("Audit"), Authorize(Roles = Roles.Auditor)]
    [ProducesResponseType<SubjectAccessReport>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Post(SubjectAccessRequest? request, IQuerySession session, LapsePolicy lapses,
        Now now, ReferenceData reference, HttpContext http, ILogger<SubjectAccessRequest> logger)
    {
        var problems = Nik.Problems(request?.Nik, reference.NikProvinceCodes);
        if (problems.Count > 0)
            return Results.Problem(Problems.ValidationFailed(new Dictionary<string, string[]> { ["nik"] = problems.ToArray() }));

        var nik = request!.Nik!;
        var ct = http.RequestAborted;
        var cases = await session.Query<CaseDetails>().Where(c => c.Nik == nik).OrderBy(c => c.OpenedAt).ToListAsync(ct);
        var claim = await session.LoadAsync<OpenCaseClaim>(nik, ct);
        var result = new List<SubjectCase>();
        foreach (var c in cases)
            result.Add(new SubjectCase(c.AsOn(now.Today, lapses.GraceMonths), await CaseHistoryEndpoint.LoadAsync(session, c.Id, now.Calendar, ct)));

        var auditor = Caller.From(http.User);
        // The access itself is part of the processing trail.
        logger.LogInformation("Subject access report for NIK ending {NikEnd} produced by {Auditor}: {Cases} cases",
            nik[^4..], auditor.Id, cases.Count);
        // Personal data: no cache, and no idempotency record, may keep a copy.
        http.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new SubjectAccessReport(nik, now.Instant, auditor.Id, claim?.CaseId, result,
            "Personal data is held only in these cases and their events; coverage, budget and forecast figures are aggregates without it."));
    }
}

public sealed record SubjectAccessRequest(string? Nik);
