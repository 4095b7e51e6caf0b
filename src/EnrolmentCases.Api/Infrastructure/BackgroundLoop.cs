namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Runs a piece of work now and then every interval until stopped; the loop inside a background agent,
/// which the cluster may start and stop on this node any number of times.
/// </summary>
public sealed class BackgroundLoop
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _stopping;
    private Task _running = Task.CompletedTask;

    public void Start(TimeSpan interval, Func<CancellationToken, Task> work, bool runAtOnce = false)
    {
        lock (_gate)
        {
            if (_stopping is not null) return;
            _stopping = new CancellationTokenSource();
            var ct = _stopping.Token;
            _running = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(interval);
                try
                {
                    if (runAtOnce) await work(ct);
                    while (await timer.WaitForNextTickAsync(ct)) await work(ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                }
            }, CancellationToken.None);
        }
    }

    public async Task StopAsync()
    {
        CancellationTokenSource stopping;
        lock (_gate)
        {
            if (_stopping is null) return;
            stopping = _stopping;
            _stopping = null;
        }

        await stopping.CancelAsync();
        await _running;
        stopping.Dispose();
    }
}
