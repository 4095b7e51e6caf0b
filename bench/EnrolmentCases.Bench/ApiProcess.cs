using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EnrolmentCases.Bench;

/// <summary>The API as a separate process, started the way it is deployed (the Release build, from its own folder).</summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ApiProcess(Process process, StreamWriter log, Uri address)
    {
        _process = process;
        _log = log;
        Address = address;
    }

    public Uri Address { get; }
    public int Pid => _process.Id;

    /// <summary>From process start to the first 200 on /health/live.</summary>
    public TimeSpan LiveAfter { get; private set; }

    public static Task<ApiProcess> StartAsync(Settings settings, string database, string logName,
        IReadOnlyDictionary<string, string>? environment = null) =>
        StartAsync(settings, database, logName, settings.ApiDirectory, "EnrolmentCases.Api.dll", environment);

    /// <summary>The framework's floor (bench/EnrolmentCases.Floor), started the same way as the API.</summary>
    public static Task<ApiProcess> StartFloorAsync(Settings settings, string database, string logName) =>
        StartAsync(settings, database, logName, settings.FloorDirectory, "EnrolmentCases.Floor.dll", null);

    private static async Task<ApiProcess> StartAsync(Settings settings, string database, string logName, string directory, string dll,
        IReadOnlyDictionary<string, string>? environment)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var info = Command(settings, database, "EnrolmentCases.Api.dll", "--urls", address.ToString().TrimEnd('/'));
        info.WorkingDirectory = directory;
        info.ArgumentList[0] = dll;
        info.Environment["RateLimiting__PermitLimit"] = "100000000";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;

        var log = new StreamWriter(Path.Combine(settings.ScratchDirectory, logName + ".log")) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };

        var started = Stopwatch.GetTimestamp();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await File.AppendAllTextAsync(Path.Combine(settings.ScratchDirectory, "api.pids"), process.Id + "\n");

        var api = new ApiProcess(process, log, address);
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{dll} exited with code {process.ExitCode}; see {logName}.log");
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(2))
                throw new TimeoutException("The API did not answer /health/live within 2 minutes");
            try
            {
                using var response = await probe.GetAsync("/health/live");
                if (response.StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(10);
        }

        api.LiveAfter = Stopwatch.GetElapsedTime(started);
        api._memory = MemoryPeak.Start(process.Id);
        return api;
    }

    private MemoryPeak? _memory;

    /// <summary>What the resident set was made of at its highest sample so far (ADR 40).</summary>
    public string MemoryAtPeak() => _memory?.AtPeak?.ToString() ?? "no sample";

    /// <summary>Peak resident memory so far (VmHWM), in MB.</summary>
    public double PeakRssMb() => StatusKb("VmHWM") / 1024.0;

    public double RssMb() => StatusKb("VmRSS") / 1024.0;

    /// <summary>CPU the process has used so far (user and system, all threads), in ms; 10 ms ticks.</summary>
    public double CpuMs()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (double.Parse(fields[11]) + double.Parse(fields[12])) * 10;
    }

    private long StatusKb(string field)
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith(field + ":"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    public async ValueTask DisposeAsync()
    {
        if (_memory is not null) await _memory.DisposeAsync();
        if (!_process.HasExited)
        {
            // SIGTERM lets the host stop its daemon and hosted services the way it would in production.
            using (var kill = Process.Start("kill", ["-TERM", Pid.ToString()])) await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    /// <summary>Runs an application command (token, demo, projections rebuild) against a database.</summary>
    public static async Task<(string Output, string Errors, TimeSpan Took)> RunAsync(Settings settings, string database, params string[] args)
    {
        var info = Command(settings, database, ["EnrolmentCases.Api.dll", .. args]);
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var took = Stopwatch.GetElapsedTime(started);
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"`{string.Join(' ', args)}` exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return (await output, await errors, took);
    }

    private static ProcessStartInfo Command(Settings settings, string database, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = settings.ApiDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["ConnectionStrings__Marten"] = settings.Database(database);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        return info;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
