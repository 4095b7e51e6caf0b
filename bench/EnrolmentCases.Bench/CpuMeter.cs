using System.Diagnostics;

namespace EnrolmentCases.Bench;

/// <summary>CPU seconds spent by the API, by PostgreSQL (postmaster and its backends), by this load generator and by the whole machine.</summary>
public sealed record CpuTimes(double Api, double Postgres, double Bench, double MachineBusy, double Wall)
{
    public double Other => Math.Max(0, MachineBusy - Api - Postgres - Bench);

    public static CpuTimes operator -(CpuTimes a, CpuTimes b) =>
        new(a.Api - b.Api, a.Postgres - b.Postgres, a.Bench - b.Bench, a.MachineBusy - b.MachineBusy, a.Wall - b.Wall);

    /// <summary>Milliseconds of CPU per unit of work (request, row).</summary>
    public string PerUnit(long units) =>
        $"API {1000 * Api / units:F2} ms, PostgreSQL {1000 * Postgres / units:F2} ms, load generator {1000 * Bench / units:F2} ms, " +
        $"other processes {1000 * Other / units:F2} ms";

    /// <summary>Share of the machine's cores used over the interval.</summary>
    public string Utilisation() =>
        $"machine {100 * MachineBusy / (Wall * Environment.ProcessorCount):F0} % busy: API {100 * Api / Wall:F0} %, " +
        $"PostgreSQL {100 * Postgres / Wall:F0} %, load generator {100 * Bench / Wall:F0} %, other {100 * Other / Wall:F0} % (of one core)";
}

public sealed class CpuMeter(int postgresPid, Func<int?> apiPid)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public CpuTimes Read()
    {
        var api = apiPid() is { } pid ? ProcessSeconds(pid) : 0;
        var postgres = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var id)) continue;
            var stat = Stat(id);
            if (stat is not null && (id == postgresPid || stat[1] == postgresPid.ToString())) postgres += Seconds(stat);
        }

        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(double.Parse).ToArray();
        var busy = (cpu.Take(8).Sum() - cpu[3] - cpu[4]) / TicksPerSecond; // all but idle and iowait
        return new CpuTimes(api, postgres, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, busy,
            Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency);
    }

    private static double ProcessSeconds(int pid) => Stat(pid) is { } stat ? Seconds(stat) : 0;

    private static double Seconds(string[] stat) => (double.Parse(stat[11]) + double.Parse(stat[12])) / TicksPerSecond;

    /// <summary>The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, ..., [11] utime, [12] stime.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
