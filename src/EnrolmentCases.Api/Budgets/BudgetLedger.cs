using EnrolmentCases.Cases;
using Marten;

namespace EnrolmentCases.Budgets;

/// <summary>
/// Keeps budgets in step with the money events of a case, inside the same transaction. Each budget
/// stream touched is locked (SELECT ... FOR UPDATE on its stream row) before it is read, so grants
/// racing for one budget queue up and each sees what the previous one committed; grants against
/// different budgets never wait for each other.
/// </summary>
public static class BudgetLedger
{
    public static async Task RecordAsync(IDocumentSession session, Guid caseId, IReadOnlyList<object> caseEvents,
        DateTimeOffset now, CancellationToken ct)
    {
        var touched = caseEvents.Select(BudgetOf).OfType<Guid>().Distinct().Order().ToList();
        // Locks are always taken in id order, so two transactions never wait on each other in a cycle.
        foreach (var budgetId in touched)
        {
            var stream = await session.Events.FetchForExclusiveWriting<Budget>(budgetId, ct);
            var budget = stream.Aggregate?.Copy();
            foreach (var e in caseEvents.Where(e => BudgetOf(e) == budgetId))
            {
                object entry = e switch
                {
                    SubsidyGranted g => BudgetDecisions.Commit(budget, caseId, g.StartMonth, g.Months, g.MonthlyPremium, now),
                    SubsidyEnded end => new CommitmentReleased(caseId, end.Released, end.Reason, now),
                    PremiumPaid paid => new PremiumDisbursed(caseId, paid.Month, paid.Amount, now),
                    _ => throw new InvalidOperationException($"{e.GetType().Name} does not touch a budget")
                };
                if (entry is CommitmentReleased { Amount: 0 }) continue;
                stream.AppendOne(entry);
                if (budget is not null) ApplyTo(budget, entry);
            }
        }
    }

    private static Guid? BudgetOf(object e) => e switch
    {
        SubsidyGranted g => g.BudgetId,
        SubsidyEnded end => end.BudgetId,
        PremiumPaid { BudgetId: { } id } => id,
        _ => null
    };

    private static void ApplyTo(Budget budget, object entry)
    {
        switch (entry)
        {
            case SubsidyCommitted x: budget.Apply(x); break;
            case CommitmentReleased x: budget.Apply(x); break;
            case PremiumDisbursed x: budget.Apply(x); break;
        }
    }
}
