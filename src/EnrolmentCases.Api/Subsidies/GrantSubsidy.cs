using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using JasperFx.Events;
using Microsoft.Extensions.Options;
using Wolverine.Marten;

namespace EnrolmentCases.Subsidies;

public record GrantSubsidy(Payer? Payer, int? BudgetYear, string? StartMonth, int? Months, long? ExpectedVersion = null) : IExpectVersion
{
    public YearMonth Start => YearMonth.TryParse(StartMonth, out var start) ? start : default;

    /// <summary>The budget the grant draws on: the province's, or the case's regency's, of the budget year.</summary>
    public Guid BudgetFor(Case @case) =>
        Budget.IdFor(Payer!.Value, Payer == Money.Payer.ApbdRegency ? @case.RegencyCode : null, BudgetYear!.Value);
}

public static class GrantSubsidyEndpoint
{
    public static ProblemDetails Validate(GrantSubsidy? command, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        errors.Required("payer", c.Payer);
        if (c.BudgetYear is not { } year) errors.Add("budgetYear", "is required");
        else errors.Year("budgetYear", year, now.Bounds);

        if (!YearMonth.TryParse(c.StartMonth, out var start)) errors.Add("startMonth", "must be a month written YYYY-MM");
        else if (c.BudgetYear is { } y && start.Year != y) errors.Add("startMonth", "must fall inside the budget year");

        if (c.Months is not { } months) errors.Add("months", "is required");
        else if (months is < 1 or > 12) errors.Add("months", "must be between 1 and 12");
        else if (start != default && start.Month + months - 1 > 12) errors.Add("months", "must not run past December of the budget year");
    });

    [WolverinePost("/api/cases/{id}/subsidy", OperationId = "GrantSubsidy", Summary = "Grant a subsidy",
        Description = "A regional budget (the province's or the case's regency's) takes over the worker's monthly premium, up to the subsidised package (JKK + JKM at the lowest income bracket; JHT or a higher bracket stays the worker's to pay), from a start month for up to the rest of the budget year. The whole commitment must fit what is left of the budget, or nothing is written (budget-exceeded). Moves an enrolled case to subsidized.")]
    [Tags("Subsidies and payments"), Authorize(Roles = Roles.Caseworker)]
    public static async Task<(IResult, Events)> Post(GrantSubsidy command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses, IOptions<TariffOptions> tariff, IDocumentSession session)
    {
        var decision = lapses.Due(@case, now)
            .Then(@case, current => SubsidyDecisions.Grant(current, command, tariff.Value, now.Instant));
        var (answer, events) = StageChanges.Annotate(@case, decision, now).Answer(@case);
        // Last: the budget is locked, checked and booked only now; two grants racing for its last rupiah queue here.
        if (await BudgetLedger.BookAsync(session, @case.Id, events, now.Instant) is { } exceeded) return (Results.Problem(exceeded), new Events());
        return (answer, events);
    }
}
