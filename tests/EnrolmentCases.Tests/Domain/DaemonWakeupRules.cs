using System.Diagnostics;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Domain;

/// <summary>
/// The high-water agent's wait between polls (ADR 30): a commit in this process ends it early, but a
/// stream of commits never makes the agent poll more often than the minimum interval. Bounds are
/// generous on purpose: they tell "woken" (well under the timeout) from "waited it out", nothing finer.
/// </summary>
public class DaemonWakeupRules
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task a_commit_during_the_wait_ends_it()
    {
        using var wakeup = new AppendWakeup(TimeSpan.FromMilliseconds(10));
        var waiting = wakeup.WaitAsync(Long, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        wakeup.Pulse();
        var finished = await Task.WhenAny(waiting, Task.Delay(Long / 2));
        Assert.Same(waiting, finished);
    }

    [Fact]
    public async Task a_commit_before_the_wait_is_not_lost_and_is_taken_once()
    {
        using var wakeup = new AppendWakeup(TimeSpan.Zero);
        wakeup.Pulse();
        wakeup.Pulse();
        var first = wakeup.WaitAsync(Long, CancellationToken.None);
        Assert.Same(first, await Task.WhenAny(first, Task.Delay(Long / 2)));

        // Both commits were before the poll that follows the first wait: the next wait has nothing to wake it.
        var second = wakeup.WaitAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);
        await Task.Delay(100);
        Assert.False(second.IsCompleted);
        await second;
    }

    [Fact]
    public async Task a_wait_lasts_at_least_the_minimum_interval_however_many_commits_come()
    {
        var minimum = TimeSpan.FromMilliseconds(200);
        using var wakeup = new AppendWakeup(minimum);
        wakeup.Pulse();
        var started = Stopwatch.GetTimestamp();
        await wakeup.WaitAsync(Long, CancellationToken.None);
        Assert.True(Stopwatch.GetElapsedTime(started) >= minimum - TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task without_a_commit_the_wait_is_the_timeout()
    {
        using var wakeup = new AppendWakeup(TimeSpan.FromMilliseconds(10));
        var started = Stopwatch.GetTimestamp();
        await wakeup.WaitAsync(TimeSpan.FromMilliseconds(300), CancellationToken.None);
        Assert.True(Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(280));
    }

    [Fact]
    public async Task stopping_the_daemon_ends_the_wait()
    {
        using var wakeup = new AppendWakeup(TimeSpan.FromMilliseconds(10));
        using var stop = new CancellationTokenSource();
        var waiting = wakeup.WaitAsync(Long, stop.Token);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
