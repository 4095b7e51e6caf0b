using EnrolmentCases.Cases;
using JasperFx.Events;

namespace EnrolmentCases.Budgets;

/// <summary>
/// Keeps a budget in step with the money a command on a case moves, in the same transaction. The
/// budget's stream row is locked (SELECT ... FOR UPDATE) before it is read, after the case's own
/// lock, so grants racing for one budget queue up and each sees what the previous one committed;
/// grants against different budgets never wait for each other.
/// </summary>
public static class BudgetLedger
{
    /// <summary>The budget's stream, locked until the commit; null when the command moves no money.</summary>
    public static async Task<IEventStream<Budget>?> LockAsync(IDocumentSession session, Guid? budgetId, CancellationToken ct) =>
        budgetId is { } id ? await session.Events.FetchForExclusiveWriting<Budget>(id, ct) : null;

    /// <summary>Books the case's money events on the budget: commitments, releases and disbursements.</summary>
    public static void Book(IEventStream<Budget>? budget, Guid caseId, IEnumerable<object> caseEvents, DateTimeOffset now)
    {
        foreach (var e in caseEvents)
        {
            if (EntryFor(caseId, e, now) is not { } entry) continue;
            if (budget is null) throw new InvalidOperationException($"{e.GetType().Name} moves money, but no budget was locked for it.");
            budget.AppendOne(entry);
        }
    }

    /// <summary>What a case's event books on its budget's stream, if it moves money.</summary>
    public static object? EntryFor(Guid caseId, object e, DateTimeOffset now) => e switch
    {
        SubsidyGranted g => new SubsidyCommitted(caseId, g.MonthlyPremium * g.Months, g.StartMonth, g.Months, g.MonthlyPremium, now),
        SubsidyEnded { Released: > 0 } end => new CommitmentReleased(caseId, end.Released, end.Reason, now),
        PremiumPaid { BudgetId: not null } paid => new PremiumDisbursed(caseId, paid.Month, paid.Amount, now),
        _ => null
    };
}
