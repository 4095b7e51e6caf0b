using System.Diagnostics;

namespace EnrolmentCases.Bench;

/// <summary>
/// CPU seconds: the API, PostgreSQL (postmaster and its backends), this load generator, interrupt
/// handling (loopback networking lands here), time the hypervisor stole, and the whole machine.
/// </summary>
public sealed record CpuTimes(double Api, double Postgres, double Bench, double Interrupts, double Steal, double MachineBusy, double Wall)
{
    /// <summary>Each PostgreSQL process's total, so that a difference counts only processes alive at its end.</summary>
    public IReadOnlyDictionary<int, double> PostgresProcesses { get; init; } = new Dictionary<int, double>();

    /// <summary>Everything else that ran: other processes on the machine, kernel threads.</summary>
    public double Other => Math.Max(0, MachineBusy - Api - Postgres - Bench - Interrupts - Steal);

    public static CpuTimes operator -(CpuTimes a, CpuTimes b) =>
        new(a.Api - b.Api, a.PostgresProcesses.Sum(p => p.Value - b.PostgresProcesses.GetValueOrDefault(p.Key)),
            a.Bench - b.Bench, a.Interrupts - b.Interrupts, a.Steal - b.Steal, a.MachineBusy - b.MachineBusy, a.Wall - b.Wall);

    public static CpuTimes operator +(CpuTimes a, CpuTimes b) =>
        new(a.Api + b.Api, a.Postgres + b.Postgres, a.Bench + b.Bench, a.Interrupts + b.Interrupts, a.Steal + b.Steal,
            a.MachineBusy + b.MachineBusy, a.Wall + b.Wall);

    /// <summary>Share of one core taken by other processes: high values mean the run was disturbed.</summary>
    public double OtherPercent => 100 * Other / Wall;

    /// <summary>Milliseconds of CPU per unit of work (request, row).</summary>
    public string PerUnit(long units) =>
        $"API {1000 * Api / units:F2} ms, PostgreSQL {1000 * Postgres / units:F2} ms, load generator {1000 * Bench / units:F2} ms, " +
        $"interrupts {1000 * Interrupts / units:F2} ms";

    /// <summary>Share of the machine's cores used over the interval.</summary>
    public string Utilisation() =>
        $"machine {100 * MachineBusy / (Wall * Environment.ProcessorCount):F0} % busy: API {100 * Api / Wall:F0} %, " +
        $"PostgreSQL {100 * Postgres / Wall:F0} %, load generator {100 * Bench / Wall:F0} %, interrupts {100 * Interrupts / Wall:F0} %, " +
        $"stolen {100 * Steal / Wall:F0} %, other processes {OtherPercent:F0} % (each of one core)";
}

public sealed class CpuMeter(int postgresPid, Func<int?> apiPid)
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public CpuTimes Read()
    {
        var api = apiPid() is { } pid ? ProcessSeconds(pid) : 0;
        var postgres = new Dictionary<int, double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var id)) continue;
            var stat = Stat(id);
            if (stat is not null && (id == postgresPid || stat[1] == postgresPid.ToString())) postgres[id] = Seconds(stat);
        }

        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(double.Parse).ToArray();
        // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        var busy = (cpu.Take(8).Sum() - cpu[3] - cpu[4]) / TicksPerSecond;
        return new CpuTimes(api, postgres.Values.Sum(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
            (cpu[5] + cpu[6]) / TicksPerSecond, cpu[7] / TicksPerSecond, busy, Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency)
        {
            PostgresProcesses = postgres
        };
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
