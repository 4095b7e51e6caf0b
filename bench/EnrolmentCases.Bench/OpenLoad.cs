using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace EnrolmentCases.Bench;

/// <summary>What one request came to: its operation, and a description when it failed.</summary>
public sealed record Sent(string Operation, string? Failure = null);

public sealed class LoadResult(double rate, TimeSpan duration)
{
    public double OfferedRate { get; } = rate;
    public TimeSpan Duration { get; } = duration;
    public TimeSpan Took { get; set; }
    public LongHistogram All { get; } = Histograms.Create();
    public ConcurrentDictionary<string, LongHistogram> ByOperation { get; } = new();
    public long Completed;
    public long Errors;
    public long Dropped;
    public ConcurrentQueue<string> Failures { get; } = new();

    public double AchievedRate => Completed / Took.TotalSeconds;
}

/// <summary>
/// Open-model load: requests start on a fixed schedule (rate per second) whether or not earlier
/// ones have answered, and each latency runs from the request's scheduled start, so time spent
/// waiting for a free connection or behind a slow server counts (no coordinated omission).
/// </summary>
public static class OpenLoad
{
    private const int MaxInFlight = 5_000;
    private const int FailuresKept = 20;

    public static async Task<LoadResult> RunAsync(double rate, TimeSpan duration, Func<Task<Sent>> send)
    {
        var result = new LoadResult(rate, duration);
        var total = (long)(rate * duration.TotalSeconds);
        var tasks = new List<Task>((int)Math.Min(total, 1_000_000));
        long inFlight = 0;
        var start = Stopwatch.GetTimestamp();

        // A thread of its own with Thread.Sleep(1) keeps requests within about a millisecond of their
        // schedule; timer-based waits (Task.Delay) fire only every few milliseconds here.
        var dispatcher = new Thread(() =>
        {
            long issued = 0;
            while (issued < total)
            {
                var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate) + 1);
                for (; issued < due; issued++)
                {
                    var scheduled = start + (long)(issued / rate * Stopwatch.Frequency);
                    if (Interlocked.Read(ref inFlight) >= MaxInFlight)
                    {
                        Interlocked.Increment(ref result.Dropped);
                        continue;
                    }

                    Interlocked.Increment(ref inFlight);
                    tasks.Add(Task.Run(async () =>
                    {
                        try
                        {
                            Record(result, scheduled, await send());
                        }
                        catch (Exception e)
                        {
                            Record(result, scheduled, new Sent("exception", $"{e.GetType().Name}: {e.Message}"));
                        }
                        finally
                        {
                            Interlocked.Decrement(ref inFlight);
                        }
                    }));
                }

                Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "open-load dispatcher" };
        dispatcher.Start();
        await Task.Run(dispatcher.Join);
        await Task.WhenAll(tasks);
        result.Took = Stopwatch.GetElapsedTime(start);
        return result;
    }

    /// <summary>Closed loop, one request at a time: what a request costs on an otherwise idle API.</summary>
    public static async Task<LoadResult> OneAtATimeAsync(int requests, TimeSpan limit, Func<Task<Sent>> send)
    {
        var result = new LoadResult(double.NaN, limit);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < requests && Stopwatch.GetElapsedTime(start) < limit; i++)
        {
            var begin = Stopwatch.GetTimestamp();
            try
            {
                Record(result, begin, await send());
            }
            catch (Exception e)
            {
                Record(result, begin, new Sent("exception", $"{e.GetType().Name}: {e.Message}"));
            }
        }

        result.Took = Stopwatch.GetElapsedTime(start);
        return result;
    }

    private static void Record(LoadResult result, long scheduled, Sent sent)
    {
        var microseconds = (long)Stopwatch.GetElapsedTime(scheduled).TotalMicroseconds;
        Histograms.RecordMicroseconds(result.All, microseconds);
        Histograms.RecordMicroseconds(result.ByOperation.GetOrAdd(sent.Operation, _ => Histograms.Create()), microseconds);
        Interlocked.Increment(ref result.Completed);
        if (sent.Failure is null) return;
        Interlocked.Increment(ref result.Errors);
        if (result.Failures.Count < FailuresKept) result.Failures.Enqueue(sent.Failure);
    }
}
