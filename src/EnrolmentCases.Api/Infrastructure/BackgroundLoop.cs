namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Runs a piece of work now and then every interval until stopped; the loop inside a background agent,
/// which the cluster may start and stop on this node any number of times. A failing run is logged and
/// the loop goes on: only stopping ends it.
/// </summary>
public sealed class BackgroundLoop(ILogger logger, string name)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stopping;
    private Task _running = Task.CompletedTask;

    public void Start(TimeSpan interval, Func<CancellationToken, Task> work, bool runAtOnce = false)
    {
        lock (_gate)
        {
            if (_stopping is not null) return;
            var stopping = new CancellationTokenSource();
            var ct = stopping.Token;
            // A loop stopped just before keeps running until it notices; the new one starts after it ends.
            var previous = _running;
            _stopping = stopping;
            _running = Task.Run(async () =>
            {
                await previous;
                using var timer = new PeriodicTimer(interval);
                try
                {
                    if (runAtOnce) await RunOnceAsync(work, ct);
                    while (await timer.WaitForNextTickAsync(ct)) await RunOnceAsync(work, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                }
            }, CancellationToken.None);
        }
    }

    private async Task RunOnceAsync(Func<CancellationToken, Task> work, CancellationToken ct)
    {
        try
        {
            await work(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Loop} failed; it runs again at its next interval", name);
        }
    }

    public async Task StopAsync()
    {
        CancellationTokenSource stopping;
        Task running;
        lock (_gate)
        {
            if (_stopping is null) return;
            stopping = _stopping;
            running = _running;
            _stopping = null;
        }

        await stopping.CancelAsync();
        await running;
        stopping.Dispose();
    }
}
