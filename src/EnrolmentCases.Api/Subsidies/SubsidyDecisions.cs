using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Money;

namespace EnrolmentCases.Subsidies;

public static class SubsidyDecisions
{
    /// <summary>
    /// An enrolled worker's premium moves to a regional budget, up to the subsidised package (JKK +
    /// JKM at the lowest income bracket, from the tariff): a worker's JHT or higher bracket stays
    /// theirs to pay. Whether the whole commitment fits what is left of the budget is checked when it is
    /// booked, under the budget's lock, as the command's last step (BudgetLedger.BookAsync).
    /// </summary>
    public static Decision Grant(Case current, GrantSubsidy command, TariffOptions tariff, DateTimeOffset now)
    {
        if (current.Stage != CaseStage.Enrolled)
            return Decision.NotAt(current.Stage, current.Stage == CaseStage.Subsidized
                ? "The case already has a subsidy."
                : "Only an enrolled worker with an active membership can be subsidised.");

        var payer = command.Payer!.Value;
        var premium = Math.Min(Tariff.MonthlyPremium(tariff, current.Programmes, current.DeclaredMonthlyIncome),
            Tariff.SubsidisedPackage(tariff));
        var months = command.Months!.Value;
        return Decision.Record(new SubsidyGranted(payer, payer == Payer.ApbdRegency ? current.RegencyCode : null,
            command.BudgetYear!.Value, command.Start, months, premium, command.BudgetFor(current), now));
    }

    /// <summary>Ends the case's subsidy, releasing what was reserved and not yet paid; nothing when there is none.</summary>
    public static Decision End(Case current, SubsidyEndReason reason, DateTimeOffset now) =>
        current.Subsidy is { } subsidy
            ? Decision.Record(new SubsidyEnded(reason, subsidy.BudgetId, subsidy.Commitment - subsidy.Paid, now))
            : Decision.Record();
}
