using System.Security.Claims;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Budgets;

public record RecordAllocation(Payer? Payer, string? RegencyCode, int? Year, long? Amount, BudgetKind? Kind, string? Note = null);

public static class RecordAllocationEndpoint
{
    public const long MaxAmount = 1_000_000_000_000_000; // Rp 1 quadrillion: far above any regional budget line

    public static ProblemDetails Validate(RecordAllocation? command, ReferenceData reference, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        errors.Required("payer", c.Payer);
        errors.Required("kind", c.Kind);
        if (c.Year is not { } year) errors.Add("year", "is required");
        else errors.Year("year", year, now.Bounds);
        if (c.Amount is not { } amount) errors.Add("amount", "is required");
        else if (amount is <= 0 or > MaxAmount) errors.Add("amount", "must be a positive amount in rupiah");
        errors.Text("note", c.Note, 2000, multiline: true);
        BudgetPlanners.CheckBudget(errors, c.Payer, c.RegencyCode, reference);
    });

    /// <summary>Who may record it: the planners of the budget (see <see cref="BudgetPlanners"/>).</summary>
    public static ProblemDetails Before(RecordAllocation? command, ClaimsPrincipal user, ReferenceData reference) =>
        BudgetPlanners.Refuse(command?.Payer, command?.RegencyCode, user, reference, "record allocations");

    /// <summary>
    /// An allocation or APBD-P top-up; the budget's stream starts with its first allocation. It takes
    /// the lock grants take, so an allocation never interleaves with a grant's check.
    /// </summary>
    [WolverinePost("/api/budgets", OperationId = "RecordAllocation", Summary = "Record a budget allocation",
        Description = "Records an allocation (APBD) or a mid-year top-up (APBD-P) of the province's or a regency's budget for a year.")]
    [Tags("Budgets and forecast"), Authorize(Roles = Roles.Planner)]
    [ProducesResponseType<CommandAccepted>(201)]
    public static async Task<IResult> Post(RecordAllocation command, IDocumentSession session, Now now, CancellationToken ct)
    {
        var payer = command.Payer!.Value;
        var regency = payer == Payer.ApbdRegency ? command.RegencyCode : null;
        var id = Budget.IdFor(payer, regency, command.Year!.Value);
        var budget = (await BudgetLedger.LockAsync(session, [id], ct))[0];
        budget.AppendOne(new BudgetAllocated(payer, regency, command.Year.Value, command.Amount!.Value, command.Kind!.Value,
            command.Note, now.Instant));
        return CommandAnswer.Created(id, budget.CurrentVersion ?? 1, $"/api/budgets?year={command.Year}");
    }
}
