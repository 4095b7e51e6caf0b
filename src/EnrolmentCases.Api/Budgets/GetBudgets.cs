using System.Text.Json.Serialization;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Budgets;

public sealed record BudgetLine(
    Payer Payer,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? RegencyCode,
    long Allocated,
    long Committed,
    long Paid,
    long Remaining);

public sealed record BudgetYear(int Year, IReadOnlyList<BudgetLine> Items);

public static class GetBudgetsEndpoint
{
    /// <summary>Aggregates only: readable by every role.</summary>
    [WolverineGet("/api/budgets", OperationId = "GetBudgets", Summary = "Budgets of a year",
        Description = "Allocated, committed, paid and remaining per payer and regency.")]
    [Tags("Budgets and forecast"), Authorize]
    [ProducesResponseType<BudgetYear>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(int? year, IQuerySession session, Now now, HttpContext http)
    {
        var (budgets, problem) = await YearAsync(year, session, now, http.RequestAborted);
        return problem is null ? Results.Ok(budgets) : Results.Problem(problem);
    }

    /// <summary>The year GET /api/budgets answers (its download too), or the problem with the query.</summary>
    public static async Task<(BudgetYear? Year, ProblemDetails? Problem)> YearAsync(int? year, IQuerySession session, Now now, CancellationToken ct)
    {
        var wanted = year ?? now.Today.Year;
        var errors = new ValidationErrors();
        errors.Year("year", wanted, now.Bounds);
        if (errors.Any) return (null, errors.ToProblem());

        var budgets = await session.Query<Budget>().Where(b => b.Year == wanted).ToListAsync(ct);
        var items = budgets
            .OrderBy(b => b.Payer).ThenBy(b => b.RegencyCode)
            .Select(b => new BudgetLine(b.Payer, b.RegencyCode, b.Allocated, b.Committed, b.Paid, b.Remaining))
            .ToList();
        return (new BudgetYear(wanted, items), null);
    }
}
