using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Cases.GettingDetails;

public static class GetCaseEndpoint
{
    /// <summary>
    /// The case now, or as it stood at a version or at an instant (by when events were recorded).
    /// Historical views are folded from the events, never taken from the stored view.
    /// </summary>
    [WolverineGet("/api/cases/{id}", OperationId = "GetCase", Summary = "Read a case",
        Description = "The case with the worker's personal data, as it stands now, or as it stood at a version (?version=) or at an instant (?asOf=). The ETag is the version to send back in If-Match.")]
    [Tags("Cases"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseDetails>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, long? version, DateTimeOffset? asOf, IQuerySession session, HttpContext http,
        LapsePolicy lapses, Now now, PersonalDataReads reads)
    {
        if (version is not null && asOf is not null)
            return Results.Problem(Problems.ValidationFailed("asOf", "give either version or asOf, not both"));
        var errors = new ValidationErrors();
        if (version is < 1) errors.Add("version", "must be 1 or more");
        errors.Instant("asOf", asOf, now.Bounds);
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var ct = http.RequestAborted;
        var found = version is { } v ? await session.Events.AggregateStreamAsync<CaseDetails>(id, version: v, token: ct)
            : asOf is { } at ? await session.Events.AggregateStreamAsync<CaseDetails>(id, timestamp: at.ToUniversalTime(), token: ct)
            : await session.LoadAsync<CaseDetails>(id, ct);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));
        if (version is { } wanted && found.Version != wanted)
            return Results.Problem(Problems.Create(Problems.NotFound, 404, "No such version", $"Case {id} has {found.Version} versions."));

        http.Response.Headers.ETag = ETags.For(found.Version);
        // A version is shown exactly as recorded; "now" and asOf apply the lapse rule on that day.
        return await reads.Answer(http, [id],
            Results.Ok(version is null ? found.AsOn(asOf is { } day ? now.Calendar.DateOn(day) : now.Today, lapses.GraceMonths) : found),
            version is { } shown ? $"version={shown}" : asOf is { } instant ? $"asOf={instant:O}" : null);
    }
}
