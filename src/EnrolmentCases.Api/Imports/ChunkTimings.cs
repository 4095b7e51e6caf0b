using System.Diagnostics;
using System.Runtime.InteropServices;

namespace EnrolmentCases.Imports;

/// <summary>
/// Where one chunk's time goes, stage by stage: wall-clock milliseconds (Stopwatch) and, on Linux, the CPU milliseconds
/// of the thread that ran the stage (only when the stage began and ended on the same thread; "?" otherwise, after an
/// await resumed elsewhere). Logged as one line per chunk so that a slow import shows which stage to cut; CPU time
/// does not stretch when other processes load the machine, wall time does. Carries no row data.
/// </summary>
public sealed class ChunkTimings
{
    private readonly List<(string Stage, long Ticks, double? CpuMs)> _stages = [];
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _last;
    private double? _lastCpu;
    private int _lastThread;

    public ChunkTimings()
    {
        _last = _started;
        (_lastCpu, _lastThread) = (ThreadCpuMs(), Environment.CurrentManagedThreadId);
    }

    /// <summary>Closes the stage that ran since the previous lap.</summary>
    public void Lap(string stage)
    {
        var now = Stopwatch.GetTimestamp();
        var cpu = ThreadCpuMs();
        var thread = Environment.CurrentManagedThreadId;
        Add(stage, now - _last, thread == _lastThread && cpu is not null && _lastCpu is not null ? cpu - _lastCpu : null);
        (_last, _lastCpu, _lastThread) = (now, cpu, thread);
    }

    /// <summary>Adds wall time measured inside a loop (Stopwatch ticks) to a stage of its own, without closing the current lap.</summary>
    public void Add(string stage, long ticks) => Add(stage, ticks, double.NaN);

    private void Add(string stage, long ticks, double? cpuMs)
    {
        var i = _stages.FindIndex(s => s.Stage == stage);
        if (i < 0) _stages.Add((stage, ticks, cpuMs));
        else _stages[i] = (stage, _stages[i].Ticks + ticks, _stages[i].CpuMs + cpuMs);
    }

    public double TotalMs => Stopwatch.GetElapsedTime(_started).TotalMilliseconds;

    /// <summary>"stage=wall/cpu ..." (milliseconds) in the order the stages first ran; wall only for a stage without CPU time.</summary>
    public override string ToString() => string.Join(' ', _stages.Select(s => $"{s.Stage}={s.Ticks * 1000.0 / Stopwatch.Frequency:F1}" + s.CpuMs switch
    {
        null => "/?",
        double.NaN => "",
        var c => $"/{c:F1}"
    }));

    /// <summary>The calling thread's CPU time in milliseconds (Linux), or null where it cannot be read.</summary>
    public static double? ThreadCpuMs()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return clock_gettime(ThreadCpuClock, out var t) == 0 ? t.Seconds * 1000.0 + t.Nanoseconds / 1e6 : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out TimeSpec time);
}
