using System.Diagnostics;
using HdrHistogram;
using Npgsql;

namespace EnrolmentCases.Bench;

/// <summary>
/// Reads the async projections' progress beside the newest event straight from the database every
/// 100 ms: how many events the slowest projection is behind, and how old the oldest event it has
/// not yet applied is.
/// </summary>
public sealed class ProjectionLag : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private const string Query = """
        select coalesce((select max(seq_id) from enrolment.mt_events), 0),
               coalesce(min(p.last_seq_id), 0),
               coalesce(max((select extract(epoch from clock_timestamp() - e.timestamp)
                             from enrolment.mt_events e where e.seq_id > p.last_seq_id
                             order by e.seq_id limit 1)), 0)
        from enrolment.mt_event_progression p
        where p.name not like 'HighWater%'
        """;

    private readonly NpgsqlConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    // One connection serves the background loop and the caller's own samples: one command at a time on it.
    private readonly SemaphoreSlim _one = new(1, 1);
    private Task? _loop;

    private ProjectionLag(NpgsqlConnection connection) => _connection = connection;

    public LongHistogram Events { get; } = new(1, 100_000_000, 3);
    public LongHistogram Milliseconds { get; } = new(1, 3_600_000, 3);

    public long EventsAt(double percentile) => Events.TotalCount == 0 ? 0 : Events.GetValueAtPercentile(percentile) - 1;
    public double SecondsAt(double percentile) => Milliseconds.TotalCount == 0 ? 0 : (Milliseconds.GetValueAtPercentile(percentile) - 1) / 1000.0;

    public string Summary() =>
        $"p50 {EventsAt(50)} events / {SecondsAt(50):F2} s, p95 {EventsAt(95)} events / {SecondsAt(95):F2} s, p99 {EventsAt(99)} events / {SecondsAt(99):F2} s, " +
        $"max {EventsAt(100)} events / {SecondsAt(100):F2} s";

    public static async Task<ProjectionLag> StartAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var lag = new ProjectionLag(connection);
        lag._loop = lag.RunAsync();
        return lag;
    }

    public async Task<(long Head, long Behind, double Seconds)> SampleAsync()
    {
        await _one.WaitAsync();
        try
        {
            await using var command = new NpgsqlCommand(Query, _connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var head = reader.GetInt64(0);
            return (head, head - reader.GetInt64(1), (double)reader.GetDecimal(2));
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        while (await WaitAsync(timer))
        {
            var (_, behind, seconds) = await SampleAsync();
            Events.RecordValue(Math.Clamp(behind, 0, 100_000_000) + 1); // +1: a histogram holds no zero here
            Milliseconds.RecordValue(Math.Clamp((long)(seconds * 1000), 0, 3_600_000) + 1);
        }
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops sampling in the background, then waits until every projection has applied the events
    /// written so far: the catch-up time, or null when it takes longer than the limit.
    /// </summary>
    public async Task<TimeSpan?> CatchUpAsync(TimeSpan limit)
    {
        var started = Stopwatch.GetTimestamp();
        await StopAsync();
        var (head, _, _) = await SampleAsync();
        while (await ProgressAsync() < head)
        {
            if (Stopwatch.GetElapsedTime(started) > limit) return null;
            await Task.Delay(10);
        }

        return Stopwatch.GetElapsedTime(started);
    }

    private async Task<long> ProgressAsync()
    {
        await _one.WaitAsync();
        try
        {
            await using var command = new NpgsqlCommand(
                "select coalesce(min(last_seq_id), 0) from enrolment.mt_event_progression where name not like 'HighWater%'", _connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task StopAsync()
    {
        if (_loop is null) return;
        _stop.Cancel();
        await _loop;
        _loop = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _connection.DisposeAsync();
    }
}
