using System.Security.Claims;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Budgets;

public record AdjustAllocation(Payer? Payer, string? RegencyCode, int? Year, long? Amount, string? Reason);

public static class AdjustAllocationEndpoint
{
    public static ProblemDetails Validate(AdjustAllocation? command, ReferenceData reference, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        errors.Required("payer", c.Payer);
        if (c.Year is not { } year) errors.Add("year", "is required");
        else errors.Year("year", year, now.Bounds);
        if (c.Amount is not { } amount) errors.Add("amount", "is required");
        else if (amount == 0 || Math.Abs(amount) > RecordAllocationEndpoint.MaxAmount)
            errors.Add("amount", "must be a non-zero amount in rupiah (negative to reduce the allocation)");
        errors.Required("reason", c.Reason);
        errors.Text("reason", c.Reason, Inputs.MaxReasonLength, multiline: true);
        BudgetPlanners.CheckBudget(errors, c.Payer, c.RegencyCode, reference);
    });

    public static ProblemDetails Before(AdjustAllocation? command, ClaimsPrincipal user, ReferenceData reference) =>
        BudgetPlanners.Refuse(command?.Payer, command?.RegencyCode, user, reference, "adjust allocations");

    /// <summary>
    /// Pure: the adjustment of a budget, or why not. A budget nobody allocated has nothing to correct (404);
    /// a reduction may take back only what no subsidy has reserved (409 budget-exceeded with remaining).
    /// </summary>
    public static (AllocationAdjusted? Adjusted, ProblemDetails? Refused) Decide(Budget? budget, AdjustAllocation command, DateTimeOffset now)
    {
        if (budget is null)
            return (null, Problems.Create(Problems.NotFound, 404, "No allocation to adjust",
                $"No allocation was recorded for this budget in {command.Year}. Record one with POST /api/budgets first."));
        var amount = command.Amount!.Value;
        if (budget.Remaining + amount < 0)
            return (null, Problems.Create(Problems.BudgetExceeded, 409, "The adjustment would take back reserved money",
                $"Reducing the allocation by Rp {-amount:N0} exceeds the remaining allocation of Rp {budget.Remaining:N0}; subsidies have reserved the rest.",
                new Dictionary<string, object?> { ["remaining"] = budget.Remaining, ["requested"] = -amount }));
        return (new AllocationAdjusted(budget.Payer, budget.RegencyCode, budget.Year, amount, command.Reason!.Trim(), now), null);
    }

    /// <summary>
    /// Corrects an allocation up or down. It takes the budget's lock, as grants do, so a reduction and a grant
    /// racing for the same money are checked one after the other and never overdraw it (ADR 4).
    /// </summary>
    [WolverinePost("/api/budgets/adjustments", OperationId = "AdjustAllocation", Summary = "Adjust a budget allocation",
        Description = "Corrects the allocation of the province's or a regency's budget for a year by a positive or negative amount, with a reason. A reduction may not exceed what is still unreserved (budget-exceeded, with remaining); a budget without an allocation is not-found.")]
    [Tags("Budgets and forecast"), Authorize(Roles = Roles.Planner)]
    [ProducesResponseType<CommandAccepted>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(409, "application/problem+json")]
    public static async Task<IResult> Post(AdjustAllocation command, IDocumentSession session, Now now, CancellationToken ct)
    {
        var payer = command.Payer!.Value;
        var id = Budget.IdFor(payer, payer == Payer.ApbdRegency ? command.RegencyCode : null, command.Year!.Value);
        var budget = (await BudgetLedger.LockAsync(session, [id], ct))[0];
        var (adjusted, refused) = Decide(budget.Aggregate, command, now.Instant);
        if (refused is not null) return Results.Problem(refused);
        budget.AppendOne(adjusted!);
        return new CommandAnswer(id, budget.CurrentVersion ?? 1);
    }
}
