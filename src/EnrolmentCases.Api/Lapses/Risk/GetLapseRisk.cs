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
        var pageNumber = page ?? 1;
        var size = pageSize ?? 50;
        if (days is < 1 or > MaxWithinDays) errors.Add("withinDays", $"must be between 1 and {MaxWithinDays}");
        errors.Page("page", pageNumber);
        errors.Text("regency", regency, 10);
        if (size is < 1 or > GetWorklistEndpoint.MaxPageSize) errors.Add("pageSize", $"must be between 1 and {GetWorklistEndpoint.MaxPageSize}");
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var caller = Caller.From(http.User);
        IQueryable<CaseDetails> query = session.Query<CaseDetails>();
        if (!caller.Has(Roles.Auditor))
        {
            var visible = caller.Regencies.ToArray();
            query = query.Where(c => visible.Contains(c.RegencyCode));
        }

        if (!string.IsNullOrEmpty(regency)) query = query.Where(c => c.RegencyCode == regency);
        // Lapsing on the last day of the window counts: before the day after it.
        var (from, to) = LapseRule.SettledBetween(now.Today, now.Today.AddDays(days + 1), lapses.GraceMonths);
        var found = await query
            .Where(c => (c.Stage == CaseStage.Enrolled || c.Stage == CaseStage.Subsidized)
                        && c.SettledThroughIndex >= from && c.SettledThroughIndex <= to)
            .OrderBy(c => c.SettledThroughIndex).ThenBy(c => c.Id)
            .ToPagedListAsync(pageNumber, size, http.RequestAborted);

        var items = found.Select(c =>
        {
            var settled = YearMonth.FromIndex(c.SettledThroughIndex!.Value);
            var due = settled.AddMonths(1);
            var subsidy = c.Subsidy;
            return new LapseRiskItem(c.Id, c.RegencyCode, c.Stage, LapseRule.LapsesOn(settled, lapses.GraceMonths), due, subsidy?.Payer,
                subsidy is null ? null : due >= subsidy.StartMonth && due <= subsidy.StartMonth.AddMonths(subsidy.Months - 1));
        }).ToList();
        return Results.Ok(new LapseRisk(now.Today, days, items, found.TotalItemCount, pageNumber, size));
    }
}
