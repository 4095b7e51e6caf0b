using System.Diagnostics;
using EnrolmentCases.Cases;
using EnrolmentCases.Infrastructure;
using JasperFx.Events;

namespace EnrolmentCases.Budgets;

/// <summary>
/// Keeps the budgets in step with the money a command on a case moves, in the same transaction, as the
/// command's last step: the case is locked, decided and annotated first, and only then is each budget's
/// stream row locked (SELECT ... FOR UPDATE), its ledger read, the commitment checked against what remains
/// and the ledger's events appended. Grants racing for one budget still queue on its row and each sees
/// what the previous one committed, but the lock is held for the commit's writes only, not for the case's
/// work; grants against different budgets never wait for each other. Every budget a command touches is
/// named by its money events, and budgets are locked in id order, so two commands cannot deadlock.
/// </summary>
public static class BudgetLedger
{
    /// <summary>
    /// Books the case's money events (commitments, releases, disbursements) on the budgets they name,
    /// each under its row lock. Returns budget-exceeded, with nothing booked, when a commitment does not
    /// fit what remains of its budget; the caller then writes nothing.
    /// </summary>
    public static async Task<ProblemDetails?> BookAsync(IDocumentSession session, Guid caseId, IEnumerable<object> caseEvents,
        DateTimeOffset now, CancellationToken ct = default)
    {
        var entries = Entries(caseId, caseEvents, now).ToList();
        if (entries.Count == 0) return null;

        var budgets = entries.GroupBy(e => e.BudgetId).OrderBy(g => g.Key).ToList();
        var streams = await LockAsync(session, budgets.Select(b => b.Key), ct);
        var books = new List<(IEventStream<Budget> Stream, List<object> Entries)>();
        foreach (var (budget, stream) in budgets.Zip(streams))
        {
            var booked = budget.Select(e => e.Entry).ToList();
            if (Refuses(stream.Aggregate, booked) is { } exceeded) return exceeded;
            books.Add((stream, booked));
        }

        foreach (var (stream, booked) in books) stream.AppendMany(booked);
        return null;
    }

    /// <summary>
    /// Locks the budgets' stream rows (SELECT ... FOR UPDATE, in id order, so two commands cannot deadlock) and reads each
    /// budget's ledger and the tail its events chain to, all in one round trip (ADR 0060): every round trip taken while
    /// a budget is locked keeps its other grants and payments waiting. The streams are in the order of the ids given (an id
    /// given twice is locked once and returned twice).
    /// </summary>
    public static async Task<IReadOnlyList<IEventStream<Budget>>> LockAsync(IDocumentSession session, IEnumerable<Guid> budgetIds,
        CancellationToken ct = default)
    {
        var ids = budgetIds.ToArray();
        var distinct = ids.Distinct().Order().ToArray();
        var batch = session.CreateBatchQuery();
        // Queued in id order: the batch's statements run, and take their locks, in the order they were queued.
        var fetches = distinct.ToDictionary(id => id, id => batch.Events.FetchForExclusiveWriting<Budget>(id));
        var tails = StreamTails.ReadInBatchAsync(batch, session, distinct);
        var asked = Stopwatch.GetTimestamp();
        await batch.Execute(ct);
        await tails;
        BudgetLockTiming.Locked(session, asked);
        return await Task.WhenAll(ids.Select(id => fetches[id]));
    }

    /// <summary>budget-exceeded when the commitments among these entries do not fit what remains of the budget.</summary>
    public static ProblemDetails? Refuses(Budget? budget, IEnumerable<object> entries)
    {
        var committing = entries.OfType<SubsidyCommitted>().Sum(c => c.Amount);
        return committing > 0 ? Budget.Refuses(budget, committing) : null;
    }

    /// <summary>The ledger entries a case's events make, each with the budget it is booked on.</summary>
    public static IEnumerable<(Guid BudgetId, object Entry)> Entries(Guid caseId, IEnumerable<object> caseEvents, DateTimeOffset now)
    {
        foreach (var e in caseEvents)
        {
            Guid? budgetId = e switch
            {
                SubsidyGranted g => g.BudgetId,
                SubsidyEnded end => end.BudgetId,
                PremiumPaid paid => paid.BudgetId,
                _ => null
            };
            if (budgetId is { } id && EntryFor(caseId, e, now) is { } entry) yield return (id, entry);
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
