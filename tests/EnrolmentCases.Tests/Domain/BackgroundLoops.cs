using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The loop inside the sealer and sweep agents, which the cluster starts and stops at will.</summary>
public class BackgroundLoops
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task a_failing_run_is_logged_and_the_loop_goes_on()
    {
        var loop = new BackgroundLoop(NullLogger.Instance, "test");
        var runs = 0;
        loop.Start(TimeSpan.FromMilliseconds(10), _ =>
        {
            var run = Interlocked.Increment(ref runs);
            if (run <= 2) throw new InvalidOperationException("a database that is away");
            if (run == 3) throw new OperationCanceledException("a timeout of the work's own, not a stop");
            return Task.CompletedTask;
        }, runAtOnce: true);

        var deadline = DateTime.UtcNow + Patience;
        while (Volatile.Read(ref runs) < 6 && DateTime.UtcNow < deadline) await Task.Delay(10);
        await loop.StopAsync();
        Assert.True(runs >= 6, $"the loop stopped after {runs} runs");
    }

    [Fact]
    public async Task stopping_and_starting_at_once_never_hangs_and_never_runs_two_loops_together()
    {
        var loop = new BackgroundLoop(NullLogger.Instance, "test");
        var running = 0;
        var overlapped = false;
        async Task Work(CancellationToken ct)
        {
            if (Interlocked.Increment(ref running) > 1) overlapped = true;
            try
            {
                await Task.Delay(5, CancellationToken.None);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }

        var cycles = Task.Run(async () =>
        {
            for (var i = 0; i < 50; i++)
            {
                loop.Start(TimeSpan.FromMilliseconds(1), Work, runAtOnce: true);
                var stopping = loop.StopAsync();
                loop.Start(TimeSpan.FromMilliseconds(1), Work, runAtOnce: true);
                await stopping;
                await loop.StopAsync();
            }
        });
        Assert.Same(cycles, await Task.WhenAny(cycles, Task.Delay(Patience)));
        await cycles;
        Assert.False(overlapped, "two runs of the loop overlapped");
    }
}
