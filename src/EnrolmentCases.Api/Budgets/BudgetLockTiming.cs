using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using EnrolmentCases.Infrastructure;
using Marten.Services;

namespace EnrolmentCases.Budgets;

/// <summary>
/// enrolment.budget.lock.wait and enrolment.budget.lock.held: how long a command that moved money waited for its budgets'
/// row locks (the round trip that takes them: queueing behind other grants and payments, and the rest of that round trip
/// once granted), and how long it held them, from that round trip's answer to its commit (ADR 0061). Every grant and
/// payment on one budget queues on its row, so one budget books at most about 1,000 / mean held bookings a second,
/// whatever the hardware: the held time is the figure to watch as a budget's traffic grows. Recorded as the command
/// commits; a command refused or failed after the lock (a budget exceeded, a lost race) releases it unrecorded when its
/// session closes.
/// </summary>
public sealed class BudgetLockTiming : DocumentSessionListenerBase, IInstruments
{
    /// <summary>When each session's first budget lock was asked for and granted (Stopwatch ticks). Weak keys: a session that
    /// never commits takes its entry with it.</summary>
    private static readonly ConditionalWeakTable<IDocumentSession, Stamp> Locks = new();

    private static readonly double[] BucketsMs = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

    private readonly Histogram<double> _wait;
    private readonly Histogram<double> _held;

    public BudgetLockTiming(ApiMeter meter)
    {
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = BucketsMs };
        _wait = meter.Meter.CreateHistogram("enrolment.budget.lock.wait", "ms",
            "How long a committed command that moved money waited for its budgets' row locks: the round trip that takes them.",
            advice: advice);
        _held = meter.Meter.CreateHistogram("enrolment.budget.lock.held", "ms",
            "How long a committed command held its budgets' row locks: from the round trip that took them to its commit.",
            advice: advice);
    }

    /// <summary>The session asked for its budgets' locks at <paramref name="asked"/> and holds them now; a later lock in the
    /// same session (a second call) does not move the first one's times.</summary>
    internal static void Locked(IDocumentSession session, long asked) =>
        Locks.TryAdd(session, new Stamp(asked, Stopwatch.GetTimestamp()));

    public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
    {
        if (Locks.TryGetValue(session, out var stamp) && Locks.Remove(session))
        {
            _wait.Record(Stopwatch.GetElapsedTime(stamp.Asked, stamp.Granted).TotalMilliseconds);
            _held.Record(Stopwatch.GetElapsedTime(stamp.Granted).TotalMilliseconds);
        }

        return Task.CompletedTask;
    }

    private sealed record Stamp(long Asked, long Granted);
}
