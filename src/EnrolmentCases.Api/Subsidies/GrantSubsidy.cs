using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace EnrolmentCases.Subsidies;

public record GrantSubsidy(Payer? Payer, int? BudgetYear, string? StartMonth, int? Months, long? ExpectedVersion = null);

public static class GrantSubsidyEndpoint
{
    public static ProblemDetails Validate(GrantSubsidy? command)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        errors.Required("payer", command.Payer);
        if (command.BudgetYear is not { } year) errors.Add("budgetYear", "is required");
        else if (year is < 2000 or > 2100) errors.Add("budgetYear", "must be a year between 2000 and 2100");

        if (!YearMonth.TryParse(command.StartMonth, out var start)) errors.Add("startMonth", "must be a month written YYYY-MM");
        else if (command.BudgetYear is { } y && start.Year != y) errors.Add("startMonth", "must fall inside the budget year");

        if (command.Months is not { } months) errors.Add("months", "is required");
        else if (months is < 1 or > 12) errors.Add("months", "must be between 1 and 12");
        else if (start != default && start.Month + months - 1 > 12) errors.Add("months", "must not run past December of the budget year");
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/cases/{id}/subsidy", Name = "GrantSubsidy"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, GrantSubsidy command, CaseCommand cases, HttpContext http,
        IOptions<TariffOptions> tariff, TimeProvider clock) =>
        cases.ExecuteAsync(http, id, command.ExpectedVersion,
            current => [SubsidyDecisions.Grant(current, command, tariff.Value, clock.GetUtcNow())]);
}

public static class SubsidyDecisions
{
    /// <summary>
    /// An enrolled worker's premium moves to a regional budget. The premium follows the worker's
    /// programmes and declared income; whether the budget can bear it is checked against the
    /// budget's own stream in the same transaction (see BudgetLedger).
    /// </summary>
    public static SubsidyGranted Grant(Case current, GrantSubsidy command, TariffOptions tariff, DateTimeOffset now)
    {
        if (current.Stage != CaseStage.Enrolled)
            throw new InvalidTransition(current.Stage, current.Stage == CaseStage.Subsidized
                ? "The case already has a subsidy."
                : "Only an enrolled worker with an active membership can be subsidised.");

        var payer = command.Payer!.Value;
        var regency = payer == Payer.ApbdRegency ? current.RegencyCode : null;
        var year = command.BudgetYear!.Value;
        YearMonth.TryParse(command.StartMonth, out var start);
        var premium = Tariff.MonthlyPremium(tariff, current.Programmes ?? [], current.DeclaredMonthlyIncome ?? 0);
        return new SubsidyGranted(payer, regency, year, start, command.Months!.Value, premium,
            Budget.IdFor(payer, regency, year), now);
    }

    /// <summary>Ends the case's subsidy, releasing what was reserved and not yet paid; null when there is none.</summary>
    public static SubsidyEnded? End(Case current, SubsidyEndReason reason, DateTimeOffset now) =>
        current.Subsidy is { } subsidy
            ? new SubsidyEnded(reason, subsidy.BudgetId, subsidy.Commitment - subsidy.Paid, now)
            : null;
}
