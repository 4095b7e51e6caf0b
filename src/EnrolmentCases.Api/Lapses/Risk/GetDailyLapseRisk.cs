using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Lapses.Risk;

/// <summary>A regency's daily lapse-risk list, its items paged.</summary>
public sealed record DailyLapseRiskList(string RegencyCode, DateOnly On, DateTimeOffset RecordedAt, int WithinDays,
    DailyLapseRiskCounts Counts, IReadOnlyList<LapseRiskItem> Items, long Total, int Page, int PageSize);

public static class GetDailyLapseRiskEndpoint
{
    /// <summary>The list the daily job recorded for a regency on a day (default today); 404 when none was recorded.</summary>
    [WolverineGet("/api/lapse-risk/daily", OperationId = "GetDailyLapseRisk", Summary = "A regency's lapse-risk list as recorded on a day",
        Description = "The memberships that lapsed within the configured window unless paid, as the daily job recorded them for the regency on the day (default today, in WIB), with counts by payer and whether the budget could pay. Case ids only. Planners of the regency (a planner without regency claims: any) and auditors.")]
    [Tags("Coverage and targets"), Authorize(Roles = $"{Roles.Planner},{Roles.Auditor}")]
    [ProducesResponseType<DailyLapseRiskList>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(403, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(IQuerySession session, HttpContext http, Now now, ReferenceData reference,
        string? regency, DateOnly? on, int? page, int? pageSize)
    {
        var errors = new ValidationErrors();
        errors.Text("regency", regency, 10);
        if (string.IsNullOrEmpty(regency)) errors.Add("regency", "is required");
        else if (reference.FindRegency(regency) is null) errors.Add("regency", $"must be a regency of {reference.ProvinceName}");
        errors.Date("on", on, now.Bounds);
        var (pageNumber, size) = (page ?? 1, pageSize ?? 50);
        errors.Page("page", pageNumber);
        if (size is < 1 or > Cases.Worklist.GetWorklistEndpoint.MaxPageSize)
            errors.Add("pageSize", $"must be between 1 and {Cases.Worklist.GetWorklistEndpoint.MaxPageSize}");
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var caller = Caller.From(http.User);
        if (!caller.Has(Roles.Auditor) && !caller.CanPlanFor(regency))
            return Results.Problem(Problems.Create(Problems.Forbidden, 403, "Not one of your regencies",
                $"You may only read the lapse-risk lists of your own regencies, not {regency}."));

        var day = on ?? now.Today;
        if (await session.LoadAsync<DailyLapseRisk>(DailyLapseRisk.IdOf(day, regency!), http.RequestAborted) is not { } list)
            return Results.Problem(Problems.Create(Problems.NotFound, 404, "No list recorded",
                $"No lapse-risk list was recorded for {regency} on {day:yyyy-MM-dd}."));

        var items = list.Items.Skip((pageNumber - 1) * size).Take(size).ToList();
        return Results.Ok(new DailyLapseRiskList(list.RegencyCode, list.On, list.RecordedAt, list.WithinDays, list.Counts, items,
            list.Items.Count, pageNumber, size));
    }
}
