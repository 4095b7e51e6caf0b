using JasperFx.Events.Daemon.HighWater;
using Marten.Services;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// How quickly the async projections see new events. Marten's daemon finds them by polling for the
/// high-water mark: every FastPolling while the mark moves, every SlowPolling once it has caught up
/// (even under a steady load a poll often finds nothing in flight, so most waits are the slow one).
/// With WakeOnAppend, a commit that appended events in this process ends the wait early, but never
/// sooner than WakeMinimumInterval after the previous poll: a stream of commits costs at most one
/// high-water query per interval. Events appended by other nodes are still found by polling.
/// </summary>
public sealed class ProjectionDaemonOptions
{
    public const string Section = "Projections";

    /// <summary>Milliseconds between high-water polls while the mark moves (Marten's FastPollingTime).</summary>
    public int FastPollingMilliseconds { get; set; } = 250;

    /// <summary>Milliseconds between high-water polls once caught up (Marten's SlowPollingTime): an idle node's cost.</summary>
    public int SlowPollingMilliseconds { get; set; } = 1000;

    /// <summary>Wake the high-water poll when this process commits events, instead of waiting out the interval.</summary>
    public bool WakeOnAppend { get; set; } = true;

    /// <summary>The least time between two high-water polls when woken by commits: bounds the extra queries under load.</summary>
    public int WakeMinimumIntervalMilliseconds { get; set; } = 100;

    public static IEnumerable<string> Rules(ProjectionDaemonOptions o)
    {
        if (o.FastPollingMilliseconds is < 10 or > 60_000) yield return $"FastPollingMilliseconds must be between 10 and 60000 (is {o.FastPollingMilliseconds})";
        if (o.SlowPollingMilliseconds is < 10 or > 60_000) yield return $"SlowPollingMilliseconds must be between 10 and 60000 (is {o.SlowPollingMilliseconds})";
        if (o.SlowPollingMilliseconds < o.FastPollingMilliseconds)
            yield return $"SlowPollingMilliseconds must be at least FastPollingMilliseconds (is {o.SlowPollingMilliseconds})";
        if (o.WakeMinimumIntervalMilliseconds < 0 || o.WakeMinimumIntervalMilliseconds > o.FastPollingMilliseconds)
            yield return $"WakeMinimumIntervalMilliseconds must be between 0 and FastPollingMilliseconds (is {o.WakeMinimumIntervalMilliseconds})";
    }

    public static ProjectionDaemonOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<ProjectionDaemonOptions>() ?? new ProjectionDaemonOptions();
        var problems = Rules(options).Select(p => $"{Section}:{p}").ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));
        return options;
    }
}

public static class ProjectionDaemon
{
    /// <summary>Polling times and the wake-up on append, applied to the store's daemon settings.</summary>
    public static void Configure(StoreOptions opts, ProjectionDaemonOptions options)
    {
        opts.Projections.FastPollingTime = TimeSpan.FromMilliseconds(options.FastPollingMilliseconds);
        opts.Projections.SlowPollingTime = TimeSpan.FromMilliseconds(options.SlowPollingMilliseconds);
        if (!options.WakeOnAppend) return;
        var wakeup = new AppendWakeup(TimeSpan.FromMilliseconds(options.WakeMinimumIntervalMilliseconds));
        opts.Projections.Wakeup = wakeup;
        opts.Listeners.Add(new WakeOnCommit(wakeup));
    }

    private sealed class WakeOnCommit(AppendWakeup wakeup) : DocumentSessionListenerBase
    {
        public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
        {
            if (commit.GetEvents().Any()) wakeup.Pulse();
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// The high-water agent's wait between polls: the full timeout, or less when events were committed in
/// this process since the agent last looked, but never less than the minimum interval. The signal is
/// taken before the wait returns, so a commit after that wakes the next wait, and one before it is
/// seen by the poll that follows (it was committed before that poll's query).
/// </summary>
public sealed class AppendWakeup(TimeSpan minimum) : IDaemonWakeup
{
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Volatile.Read(ref _signal).TrySetResult();

    public async Task WaitAsync(TimeSpan timeout, CancellationToken token)
    {
        var first = timeout < minimum ? timeout : minimum;
        if (first > TimeSpan.Zero) await Task.Delay(first, token);
        var signal = Volatile.Read(ref _signal);
        var rest = timeout - first;
        if (!signal.Task.IsCompleted && rest > TimeSpan.Zero)
        {
            try
            {
                await signal.Task.WaitAsync(rest, token);
            }
            catch (TimeoutException)
            {
            }
        }

        if (signal.Task.IsCompleted)
            Interlocked.CompareExchange(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), signal);
    }

    public void Dispose()
    {
    }
}
