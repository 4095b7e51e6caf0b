using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A throwaway PostgreSQL cluster of one test's own, which it may restart or stop without touching the
/// suite's database. The same rules as scripts/postgres.sh: the server refuses to run as root, so as root
/// every server command runs as the `postgres` user, from a data directory that user can reach (under the
/// temp folder), on a free port. fsync and full-page writes are off (the data lives for one test); commits
/// stay synchronous, so that a commit acknowledged before an immediate restart survives it, as in production.
/// Like the suite's database, it has the API's two roles: <see cref="ConnectionString"/> is the runtime role the
/// API serves as, <see cref="OwnerConnectionString"/> the migration role that owns the schemas.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _scratch;
    private readonly string _bin;

    private PrivatePostgres(string scratch, string bin, int port)
    {
        _scratch = scratch;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    private string DataDirectory => Path.Combine(_scratch, "pg");

    private string Log => Path.Combine(_scratch, "server.log");

    public string ConnectionString => As(RuntimeRole);

    public string OwnerConnectionString => As(OwnerRole);

    private string SuperuserConnectionString => As("postgres");

    private const string OwnerRole = "enrolment_owner";
    private const string RuntimeRole = "enrolment_api";

    private string As(string role) => $"Host=127.0.0.1;Port={Port};Database=postgres;Username={role};Include Error Detail=true";

    private static bool IsRoot => Environment.UserName == "root";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = FindBinaries();
        var scratch = Directory.CreateTempSubdirectory("enrolment-cases-pg-").FullName;
        if (IsRoot && !await Succeeds("su", "postgres", "-s", "/bin/sh", "-c", $"test -x {Quote(scratch)}"))
        {
            // The temp folder lies where the server's user cannot enter (e.g. under root's home).
            Directory.Delete(scratch);
            scratch = Path.Combine("/tmp", Path.GetFileName(scratch));
            Directory.CreateDirectory(scratch);
        }

        var cluster = new PrivatePostgres(scratch, bin, FreePort());
        try
        {
            // The server's user owns the scratch folder (initdb creates the data directory in it, pg_ctl the log).
            if (IsRoot) await Run("chown", "postgres", scratch);
            await cluster.AsOwner("initdb", "-D", cluster.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
            await cluster.StartServerAsync();
            await cluster.CreateRolesAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The roles scripts/postgres.sh creates (trust authentication, so no passwords).</summary>
    private async Task CreateRolesAsync()
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            $"create role {OwnerRole} login; create role {RuntimeRole} login; grant create on database postgres to {OwnerRole}, {RuntimeRole}", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The newest server binaries installed (/usr/lib/postgresql/&lt;version&gt;/bin).</summary>
    private static string FindBinaries()
    {
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)))
                .Where(d => File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException("No PostgreSQL server binaries under /usr/lib/postgresql (./test.sh installs them).");
    }

    private string[] ServerOptions() =>
    [
        "-o",
        $"-p {Port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200"
    ];

    /// <summary>Starts the server again after <see cref="StopAsync"/>, on the same port.</summary>
    public Task StartServerAsync() =>
        AsOwner(["pg_ctl", "-D", DataDirectory, "-w", "-t", "60", "-l", Log, .. ServerOptions(), "start"]);

    /// <summary>
    /// `pg_ctl restart -m immediate`: every server process quits at once, as in a crash, and the server
    /// starts again with crash recovery. Returns once it accepts connections.
    /// </summary>
    public Task RestartImmediateAsync() =>
        AsOwner(["pg_ctl", "-D", DataDirectory, "-w", "-t", "60", "-l", Log, "-m", "immediate", .. ServerOptions(), "restart"]);

    public Task StopAsync(bool immediate = false) =>
        AsOwner("pg_ctl", "-D", DataDirectory, "-w", "-t", "60", "-m", immediate ? "immediate" : "fast", "stop");

    /// <summary>True once a connection opens and answers.</summary>
    public async Task<bool> AcceptsConnectionsAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false;Timeout=3");
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("select 1", connection);
            await command.ExecuteScalarAsync();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            return false;
        }
    }

    public string RecentLog => File.Exists(Log) ? string.Join('\n', File.ReadLines(Log).TakeLast(40)) : "(no server log)";

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await StopAsync(immediate: true);
            }
            catch (InvalidOperationException)
            {
                // Not running.
            }
        }

        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private Task AsOwner(params string[] command)
    {
        var tool = Path.Combine(_bin, command[0]);
        return IsRoot
            ? Run("su", "postgres", "-s", "/bin/sh", "-c", string.Join(' ', command.Skip(1).Prepend(tool).Select(Quote)))
            : Run(tool, command.Skip(1).ToArray());
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''") + "'";

    private static async Task<bool> Succeeds(string file, params string[] args)
    {
        try
        {
            await Run(file, args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` exited with {process.ExitCode}\n{await stdout}\n{await stderr}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
