using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using EnrolmentCases.Subsidies;
using JasperFx.Events;
using Wolverine.Marten;

namespace EnrolmentCases.Lapses.Sweeping;

/// <summary>Record what the calendar has decided about one case on its own. Run is the sweep it belongs to.</summary>
public record SweepCase(Guid CaseId, string Run);

/// <summary>
/// A command of the system rather than of a caseworker: a lapse that has come due, and the end of a
/// subsidy whose budget year is over (its unspent commitment goes back to the budget).
/// </summary>
public static class SweepCaseHandler
{
    public static bool BudgetYearOver(Case? @case, Now now) => @case?.Subsidy is { } s && s.BudgetYear < now.Today.Year;

    public static async Task<Events> Handle(SweepCase message,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses, IDocumentSession session)
    {
        CaseAccess.HandTail(session, @case);
        var decision = lapses.Due(@case, now).Then(@case, current => BudgetYearOver(current, now)
            ? SubsidyDecisions.End(current, SubsidyEndReason.BudgetYearOver, now.Instant)
            : Decision.Record());
        var (_, events) = StageChanges.Annotate(@case, decision, now).Answer(@case);
        // Releases only: nothing here can exceed a budget.
        await BudgetLedger.BookAsync(session, @case.Id, events, now.Instant);
        EventMetadata.Stamp(session, Caller.System("case-sweep"), message.Run, $"job case-sweep {message.Run}");
        return events;
    }
}
