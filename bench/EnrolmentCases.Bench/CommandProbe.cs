using System.Diagnostics;
using Npgsql;

namespace EnrolmentCases.Bench;

/// <summary>
/// A fixed number of the product's mix at a fixed concurrency (closed loop), for costs that do not depend on how busy
/// the machine is: statements and their execution time per request (pg_stat_statements), API CPU per request
/// (/proc/&lt;pid&gt;/stat), and time spent waiting for row locks (sampled from pg_stat_activity every 10 ms).
/// </summary>
public static class CommandProbe
{
    public static async Task<LoadResult> RunAsync(int requests, int concurrency, Func<Task<Sent>> send)
    {
        var result = new LoadResult(double.NaN, TimeSpan.Zero);
        var next = 0L;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= requests)
            {
                var begin = Stopwatch.GetTimestamp();
                Sent sent;
                try
                {
                    sent = await send();
                }
                catch (Exception e)
                {
                    sent = new Sent("exception", $"{e.GetType().Name}: {e.Message}");
                }

                var microseconds = (long)Stopwatch.GetElapsedTime(begin).TotalMicroseconds;
                lock (result)
                {
                    Histograms.RecordMicroseconds(result.All, microseconds);
                    Histograms.RecordMicroseconds(result.ByOperation.GetOrAdd(sent.Operation, _ => Histograms.Create()), microseconds);
                    result.Completed++;
                    if (sent.Failure is null) continue;
                    result.Errors++;
                    if (result.Failures.Count < 20) result.Failures.Enqueue(sent.Failure);
                }
            }
        })));
        result.Took = Stopwatch.GetElapsedTime(start);
        return result;
    }

    /// <summary>Samples, every 10 ms until cancelled, how many backends wait for a lock: the sum times 10 ms is the lock wait.</summary>
    public static async Task<double> LockWaitSecondsAsync(string connectionString, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()", connection);
        long samples = 0, waiting = 0;
        var start = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            waiting += (long)(await command.ExecuteScalarAsync())!;
            samples++;
            try
            {
                await Task.Delay(10, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Samples are not exactly 10 ms apart: scale by the real interval.
        return samples == 0 ? 0 : waiting * Stopwatch.GetElapsedTime(start).TotalSeconds / samples;
    }
}
