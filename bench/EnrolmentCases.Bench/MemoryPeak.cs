using System.Globalization;

namespace EnrolmentCases.Bench;

/// <summary>
/// What the API's resident memory is made of at its highest: /proc/PID/smaps_rollup every 100 ms, and whenever the
/// resident set reaches a new maximum, /proc/PID/smaps split into the garbage collector's heap (the resident part of
/// its reserved address range, ADR 40), other anonymous memory (native allocations, thread stacks, the runtime's own
/// structures, JIT code) and file-backed pages (the ReadyToRun images, the runtime's libraries), with the thread
/// count. The sampler reads the process from outside: it takes no CPU from the API beyond the kernel's walk of its
/// mappings.
/// </summary>
public sealed class MemoryPeak : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private MemoryPeak(int pid)
    {
        _pid = pid;
        _loop = Task.Run(LoopAsync);
    }

    public static MemoryPeak Start(int pid) => new(pid);

    /// <summary>The breakdown at the highest resident set sampled (sampling misses a peak shorter than 100 ms).</summary>
    public Breakdown? AtPeak { get; private set; }

    public sealed record Breakdown(double RssMb, double GcHeapMb, double OtherAnonymousMb, double CodeMb, double FileMb, double ImagesMb,
        int Threads, string TopFiles)
    {
        public override string ToString() =>
            $"at the sampled peak, {RssMb:F0} MB resident: the collector's heap {GcHeapMb:F0} MB, other anonymous memory " +
            $"(native, stacks, runtime) {OtherAnonymousMb:F0} MB, the runtime's executable memory (JIT code and stubs, mapped " +
            $"twice under W^X) {CodeMb:F0} MB, file-backed {FileMb:F0} MB (of which .dll images {ImagesMb:F0} MB), {Threads} threads; the largest files resident: {TopFiles}";
    }

    private async Task LoopAsync()
    {
        var highest = 0L;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var rss = RollupKb("Rss:");
                if (rss > highest)
                {
                    highest = rss;
                    AtPeak = Read();
                }
            }
            catch (IOException)
            {
                return; // the process has gone
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }

            try
            {
                await Task.Delay(100, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private long RollupKb(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_pid}/smaps_rollup"))
            if (line.StartsWith(field)) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return 0;
    }

    private Breakdown Read()
    {
        // Each mapping: address range, path (empty for anonymous), resident kB, anonymous kB.
        var maps = new List<(ulong Start, ulong End, string Path, long Rss, long Anon)>();
        (ulong Start, ulong End, string Path, long Rss, long Anon)? current = null;
        foreach (var line in File.ReadLines($"/proc/{_pid}/smaps"))
        {
            var space = line.IndexOf(' ');
            var dash = line.IndexOf('-');
            if (dash > 0 && space > dash && !line.EndsWith("kB") && !line.StartsWith("VmFlags") && !line.StartsWith("THPeligible") &&
                !line.StartsWith("ProtectionKey"))
            {
                if (current is { } done) maps.Add(done);
                var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                var range = parts[0].Split('-');
                current = (ulong.Parse(range[0], NumberStyles.HexNumber), ulong.Parse(range[1], NumberStyles.HexNumber),
                    parts.Length > 5 ? parts[5].Trim() : "", 0, 0);
            }
            else if (current is { } m && line.StartsWith("Rss:"))
                current = m with { Rss = Kb(line) };
            else if (current is { } a && line.StartsWith("Anonymous:"))
                current = a with { Anon = Kb(line) };
        }

        if (current is { } last) maps.Add(last);

        // The collector reserves one large range (regions) and commits inside it: the longest run of adjacent
        // anonymous mappings, tens of GB of address space.
        var gc = 0L;
        var bestSpan = 0UL;
        for (var i = 0; i < maps.Count;)
        {
            var j = i;
            if (maps[i].Path.Length == 0)
            {
                while (j + 1 < maps.Count && maps[j + 1].Path.Length == 0 && maps[j + 1].Start == maps[j].End) j++;
                var span = maps[j].End - maps[i].Start;
                if (span > bestSpan)
                {
                    bestSpan = span;
                    gc = maps.Skip(i).Take(j - i + 1).Sum(m => m.Rss);
                }
            }

            i = j + 1;
        }

        var anonymous = maps.Sum(m => m.Anon);
        // The runtime's executable memory lives in a shared memory file, mapped writable and executable (W^X).
        var code = maps.Where(m => m.Path.Contains("doublemapper")).Sum(m => m.Rss - m.Anon);
        var file = maps.Where(m => m.Path.Length > 0 && !m.Path.StartsWith('[') && !m.Path.Contains("doublemapper")).Sum(m => m.Rss - m.Anon);
        var images = maps.Where(m => m.Path.EndsWith(".dll")).Sum(m => m.Rss - m.Anon);
        var top = string.Join(", ", maps.Where(m => m.Path.Length > 0 && !m.Path.StartsWith('[')).GroupBy(m => Path.GetFileName(m.Path))
            .Select(g => (Name: g.Key, Mb: g.Sum(m => m.Rss - m.Anon) / 1024.0)).OrderByDescending(f => f.Mb).Take(12)
            .Select(f => $"{f.Name} {f.Mb:F1}"));
        var threads = File.ReadLines($"/proc/{_pid}/status").First(l => l.StartsWith("Threads:")).Split('\t', ' ').Last();
        return new Breakdown(maps.Sum(m => m.Rss) / 1024.0, gc / 1024.0, (anonymous - gc) / 1024.0, code / 1024.0, file / 1024.0, images / 1024.0,
            int.Parse(threads, CultureInfo.InvariantCulture), top);
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
