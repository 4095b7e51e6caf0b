using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using EnrolmentCases.Identity;
using Microsoft.Extensions.Configuration;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The built API as a long-running process of its own (`dotnet EnrolmentCases.Api.dll`, the way `./run.sh`
/// serves it), for tests that must kill it, stop it or run several: Development environment, a free port on
/// 127.0.0.1, the database and schema given. <see cref="Client"/> talks to it; <see cref="Token"/> mints
/// development tokens in the test process. <see cref="Kill"/> is SIGKILL, <see cref="StopAsync"/> SIGTERM;
/// disposing kills what is still running. The last lines the process wrote go into every failure message.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private const int KeptLines = 200;
    private const int KeptNotableLines = 2000;

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly List<string> _notable = [];
    private string? _previousLine;

    /// <summary>Every line the process writes, when API_SERVER_LOG_DIR names a folder: for studying a rare failure.</summary>
    private StreamWriter? _log;
    private readonly AuthOptions _auth;

    private ApiServer(Process process, Uri baseAddress, AuthOptions auth)
    {
        _process = process;
        _auth = auth;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
        _process.OutputDataReceived += (_, e) => Keep("out", e.Data);
        _process.ErrorDataReceived += (_, e) => Keep("err", e.Data);
    }

    public Uri BaseAddress { get; }

    /// <summary>Anonymous requests; send a token per request (<see cref="Authorized"/>) or use <see cref="ClientFor"/>.</summary>
    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the API and waits until /health/live answers (and /health/ready too when asked to).
    /// <paramref name="settings"/> are configuration keys ("Audit:SealIntervalSeconds") passed as environment
    /// variables; the connection strings (the runtime role's, and the migration role's that applies the schema at
    /// start) default to the tests' database.
    /// </summary>
    public static async Task<ApiServer> StartAsync(string schema, string? connectionString = null,
        IReadOnlyDictionary<string, string>? settings = null, bool waitUntilReady = false, TimeSpan? timeout = null,
        string? migrationConnectionString = null)
    {
        if (connectionString is null) (connectionString, migrationConnectionString) = (ApiProcess.TestDatabase, ApiProcess.MigrationDatabase);
        settings ??= new Dictionary<string, string>();
        var auth = AuthOptionsOf(settings);
        // A port found free may be taken before the API binds it; then the API exits at once and another is tried.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var server = Launch(connectionString, migrationConnectionString, schema, settings, port, auth);
            try
            {
                await server.WaitUntilAsync("/health/live", timeout ?? TimeSpan.FromSeconds(120));
                if (waitUntilReady) await server.WaitUntilAsync("/health/ready", timeout ?? TimeSpan.FromSeconds(120));
                return server;
            }
            catch (Exception) when (attempt < 3 && server.HasExited && server.RecentOutput.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    private static ApiServer Launch(string connectionString, string? migrationConnectionString, string schema,
        IReadOnlyDictionary<string, string> settings, int port, AuthOptions auth)
    {
        var address = new Uri($"http://127.0.0.1:{port}");
        var start = ApiProcess.StartInfo(connectionString, migrationConnectionString, schema, [], settings);
        start.Environment["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/');
        var process = new Process { StartInfo = start };
        var server = new ApiServer(process, address, auth);
        if (Environment.GetEnvironmentVariable("API_SERVER_LOG_DIR") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            server._log = new StreamWriter(Path.Combine(folder, $"{schema}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log")) { AutoFlush = true };
        }

        process.Start();
        lock (server._output) server._log?.WriteLine($"pid {process.Id}, {address}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The issuer and audience the process reads from its appsettings files and the settings given to it.</summary>
    private static AuthOptions AuthOptionsOf(IReadOnlyDictionary<string, string> settings)
    {
        var folder = Path.GetDirectoryName(ApiProcess.Location)!;
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(folder, "appsettings.json"), optional: true)
            .AddJsonFile(Path.Combine(folder, "appsettings.Development.json"), optional: true)
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":"), s.Value)))
            .Build();
        return configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A development token this process accepts, for a user of its own.</summary>
    public string Token(string role, params string[] regencies) => DevelopmentTokens.Issue(_auth, role, $"{role}-{Guid.NewGuid():N}", regencies);

    /// <summary>A client of its own that sends the token with every request.</summary>
    public HttpClient ClientFor(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = Client.Timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static HttpRequestMessage Authorized(HttpMethod method, string url, string token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>Polls the path until it answers 200, failing early when the process has died.</summary>
    public async Task WaitUntilAsync(string path, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < until)
        {
            if (HasExited)
                throw new InvalidOperationException($"The API exited with {_process.ExitCode} before {path} answered.\n{RecentOutput}");
            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                using var response = await Client.GetAsync(path, probe.Token);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{path} did not answer 200 within {timeout.TotalSeconds:0} s (last: {last?.ToString() ?? "no answer"}).\n{RecentOutput}");
    }

    /// <summary>SIGKILL, for the process and anything it started: no shutdown code runs, nothing is flushed.</summary>
    public void Kill()
    {
        if (HasExited) return;
        // On Unix, Process.Kill sends SIGKILL (to every process of the tree with entireProcessTree).
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as an orchestrator stops a container, then waits for the host to shut down; kills it after the timeout.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (HasExited) return;
        if (!OperatingSystem.IsWindows() && SendSignal(_process.Id, Sigterm) != 0)
            throw new InvalidOperationException($"SIGTERM to {_process.Id} failed: errno {Marshal.GetLastPInvokeError()}");
        using var wait = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"The API did not stop within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s of SIGTERM and was killed.\n{RecentOutput}");
        }
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>The last lines of standard output and error, oldest first, for assertion messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output) return $"--- last {_output.Count} lines of the API (pid {_process.Id}, {BaseAddress})\n{string.Join('\n', _output)}";
        }
    }

    private void Keep(string stream, string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue($"[{stream}] {line}");
            _log?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{stream}] {line}");
            while (_output.Count > KeptLines) _output.Dequeue();
            if (Notable.IsMatch(line) && _notable.Count < KeptNotableLines)
            {
                if (_previousLine is not null && !Notable.IsMatch(_previousLine)) _notable.Add($"{DateTime.UtcNow:HH:mm:ss.fff} [{stream}] {_previousLine}");
                _notable.Add($"{DateTime.UtcNow:HH:mm:ss.fff} [{stream}] {line}");
            }

            _previousLine = line;
        }
    }

    /// <summary>
    /// The lines of the process's life that speak of the projection daemon's high-water mark, gaps, rebuilds, dead letters
    /// or a failure (with the log entry's heading line before it), up to 2,000, for the failure messages of tests whose
    /// cause may lie long before the last lines.
    /// </summary>
    public string NotableOutput
    {
        get
        {
            lock (_output) return $"--- {_notable.Count} notable lines of the API (pid {_process.Id}, {BaseAddress})\n{string.Join('\n', _notable)}";
        }
    }

    private static readonly System.Text.RegularExpressions.Regex Notable = new(
        "high water|dead ?letter|skipping|rebuild|single-pass|gap|exception|^\\s*(fail|crit):", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    public override string ToString() => RecentOutput;

    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        Client.Dispose();
        _process.Dispose();
        lock (_output)
        {
            _log?.Dispose();
            _log = null;
        }

        await Task.CompletedTask;
    }
}
