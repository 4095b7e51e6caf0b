using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using Marten.Pagination;

namespace EnrolmentCases.Lapses.Risk;

/// <summary>
/// A membership that lapses within the window unless a payment arrives. Payer is the budget that subsidises
/// it (null: the worker pays); BudgetCanPay says whether the month that falls due is inside the subsidy the
/// budget has already reserved money for (null when the worker pays). No personal data: the case id leads to it.
/// </summary>
public sealed record LapseRiskItem(Guid CaseId, string RegencyCode, CaseStage Stage, DateOnly LapsesOn, YearMonth FirstUnpaidMonth,
    Payer? Payer, bool? BudgetCanPay);

public sealed record LapseRisk(DateOnly AsOf, int WithinDays, IReadOnlyList<LapseRiskItem> Items, long Total, int Page, int PageSize);

public static class GetLapseRiskEndpoint
{
    public const int MaxWithinDays = 366;

    /// <summary>
    /// The active memberships of the caller's regencies (all for auditors) whose lapse day falls after today
    /// and within withinDays, soonest first.
    /// </summary>
    [WolverineGet("/api/lapse-risk", OperationId = "GetLapseRisk", Summary = "Memberships about to lapse",
        Description = "Enrolled and subsidised cases that lapse within withinDays (default 30) unless a payment arrives, soonest first, with the budget that subsidises each and whether the month falling due is inside its reserved subsidy.")]
    [Tags("Cases"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<LapseRisk>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(IQuerySession session, HttpContext http, LapsePolicy lapses, Now now,
        string? regency, int? withinDays, int? page, int? pageSize)
    {
        var errors = new ValidationErrors();
        var days = withinDays ?? 30;
        if (days is < 1 or > MaxWithinDays) errors.Add("withinDays", $"must be between 1 and {MaxWithinDays}");
        var (pageNumber, size) = GetWorklistEndpoint.CheckPage(errors, page, pageSize, regency);
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var found = await LapseRiskList.Within(GetWorklistEndpoint.VisibleTo(session, Caller.From(http.User), regency), now.Today, days,
                lapses.GraceMonths)
            .ToPagedListAsync(pageNumber, size, http.RequestAborted);

        var items = found.Select(c => LapseRiskList.ItemOf(c, now.Today, lapses.GraceMonths)).ToList();
        return Results.Ok(new LapseRisk(now.Today, days, items, found.TotalItemCount, pageNumber, size));
    }
}

/// <summary>What a lapse-risk list holds, the same for the live list and the daily one.</summary>
public static class LapseRiskList
{
    /// <summary>The active memberships among the cases whose lapse day falls after today and within the days, soonest first.</summary>
    public static IQueryable<CaseDetails> Within(IQueryable<CaseDetails> cases, DateOnly today, int days, int graceMonths) =>
        // Lapsing on the last day of the window counts: before the day after it.
        GetWorklistEndpoint.LapsingBetween(cases, today, today.AddDays(days + 1), graceMonths)
            .OrderBy(c => c.SettledThroughIndex).ThenBy(c => c.Id);

    public static LapseRiskItem ItemOf(CaseDetails c, DateOnly today, int graceMonths)
    {
        var due = YearMonth.FromIndex(c.SettledThroughIndex!.Value).AddMonths(1);
        return new LapseRiskItem(c.Id, c.RegencyCode, c.Stage, c.AsOn(today, graceMonths).LapsesOn!.Value, due, c.Subsidy?.Payer,
            c.Subsidy?.Covers(due));
    }
}
