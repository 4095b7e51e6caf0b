using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace EnrolmentCases.Bench;

/// <summary>
/// `./bench.sh --lag [--rate N]`: a short, focused run for the projection lag and the first commands
/// after a cold start, which needs no quiet machine (nothing in it is a maximum rate). It starts the
/// Release API on a fresh database and measures: start to /health/live and to /health/ready; the
/// first ten commands after start one at a time (each timed); the statements PostgreSQL runs per
/// second while the API is idle (pg_stat_statements over 20 s); the projection lag under a steady
/// command mix at a fixed rate (default 100 requests/s for 25 s), sampled every 100 ms; peak RSS.
/// </summary>
public static class LagRun
{
    private const string Database = "bench_lag";

    public static async Task RunAsync(Settings settings, Report report, double rate)
    {
        var connection = settings.Database(Database);
        await Sql(settings.Database("postgres"), $"drop database if exists {Database} with (force)");
        await Sql(settings.Database("postgres"), $"create database {Database}");
        await Sql(connection, "create extension if not exists pg_stat_statements");

        report.Heading("Projection lag and the first commands after start (focused run)");
        report.Line($"Load average at start: {File.ReadAllText("/proc/loadavg").Trim()} (the machine may be shared; nothing here is a maximum rate).");

        // The first start creates the schema; the measured one is a restart, as in production.
        await (await ApiProcess.StartAsync(settings, Database, "api-lag-schema")).DisposeAsync();
        var (planner, _, _) = await ApiProcess.RunAsync(settings, Database, "token", "--role", "planner", "--name", "Bench Planner");
        var (caseworker, _, _) = await ApiProcess.RunAsync(settings, Database, "token", "--role", "caseworker", "--regency", CommandMix.Regency,
            "--name", "Bench Caseworker");

        var started = Stopwatch.GetTimestamp();
        await using var api = await ApiProcess.StartAsync(settings, Database, "api-lag");
        var ready = await ReadyAfterAsync(api, started);
        report.Line($"Restart: /health/live after {api.LiveAfter.TotalMilliseconds:F0} ms, /health/ready 200 after {ready.TotalMilliseconds:F0} ms.");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Settings.Concurrency })
        {
            BaseAddress = api.Address,
            Timeout = TimeSpan.FromSeconds(60)
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", caseworker.Trim());

        // The first commands right after readiness, one at a time: ten budgets (the planner), then ten new workers.
        var budgets = new List<double>();
        var budgetCpu = new List<double>();
        foreach (var regency in CommandMix.AllRegencies)
        {
            var cpuAt = api.CpuMs();
            var at = Stopwatch.GetTimestamp();
            await CommandMix.RecordBudgetAsync(http, planner, regency);
            budgets.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
            budgetCpu.Add(api.CpuMs() - cpuAt);
        }

        var mix = new CommandMix(http);
        var identifies = new List<double>();
        var identifyCpu = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var cpuAt = api.CpuMs();
            var at = Stopwatch.GetTimestamp();
            var sent = await mix.IdentifyAsync();
            identifies.Add(Stopwatch.GetElapsedTime(at).TotalMilliseconds);
            identifyCpu.Add(api.CpuMs() - cpuAt);
            if (sent.Failure is not null) throw new InvalidOperationException(sent.Failure);
        }

        report.Table(["command after start", "1st ms", "2nd ms", "3rd ms", "10th ms"],
        [
            ["POST /api/budgets (planner)", budgets[0], budgets[1], budgets[2], budgets[9]],
            ["POST /api/cases (caseworker)", identifies[0], identifies[1], identifies[2], identifies[9]]
        ]);
        // CPU is load-insensitive where wall time is not: what the API process (every thread, the JIT's too) used
        // while each command was in flight, in 10 ms ticks.
        report.Line($"API CPU while the commands were in flight: budgets 1st {budgetCpu[0]:F0} ms, 2nd-10th {budgetCpu.Skip(1).Sum():F0} ms in all; " +
                    $"new cases 1st {identifyCpu[0]:F0} ms, 2nd-10th {identifyCpu.Skip(1).Sum():F0} ms in all. " +
                    $"All commands: {string.Join(", ", budgets.Select(b => b.ToString("F1")))} / {string.Join(", ", identifies.Select(b => b.ToString("F1")))} ms.");

        // Idle: what the background work alone asks of PostgreSQL.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await Sql(connection, "select pg_stat_statements_reset()");
        var idleFor = TimeSpan.FromSeconds(20);
        await Task.Delay(idleFor);
        var idle = await StatementsAsync(connection);
        report.Line($"Idle API, {idleFor.TotalSeconds:F0} s: {idle.Sum(s => s.Calls) / idleFor.TotalSeconds:F1} statements/s " +
                    $"({idle.Sum(s => s.Ms) / idleFor.TotalSeconds:F2} ms of execution a second). Most frequent:");
        report.Table(["calls/s", "statement"], idle.OrderByDescending(s => s.Calls).Take(8)
            .Select(s => new object[] { s.Calls / idleFor.TotalSeconds, "`" + Shorten(s.Query, 110) + "`" }));

        // Steady load: the lag the projections trail it by.
        await OpenLoad.RunAsync(rate / 2, TimeSpan.FromSeconds(5), mix.NextAsync); // every endpoint warm
        await using (var settle = await ProjectionLag.StartAsync(connection)) await settle.CatchUpAsync(TimeSpan.FromMinutes(1));
        await Task.Delay(1000);
        await Sql(connection, "select pg_stat_statements_reset()");
        var duration = TimeSpan.FromSeconds(25);
        await using var lag = await ProjectionLag.StartAsync(connection);
        var load = await OpenLoad.RunAsync(rate, duration, mix.NextAsync);
        var catchUp = await lag.CatchUpAsync(TimeSpan.FromMinutes(1));
        var busy = await StatementsAsync(connection);
        report.Line($"Command mix at {rate:F0} requests/s for {duration.TotalSeconds:F0} s: achieved {load.AchievedRate:F0}/s, p50 {load.All.Ms(50):F1} ms, " +
                    $"p99 {load.All.Ms(99):F1} ms, {load.Errors} errors; {busy.Sum(s => s.Calls) / load.Took.TotalSeconds:F0} statements/s.");
        report.Line($"**Projection lag** (slowest async projection, every 100 ms): {lag.Summary()}; caught up " +
                    $"{(catchUp is { } c ? $"{c.TotalSeconds:F2} s" : "not within a minute")} after the load stopped.");
        report.Line($"Peak RSS (VmHWM) of the API: {api.PeakRssMb():F0} MB; {api.MemoryAtPeak()}.");
        foreach (var failure in load.Failures.Take(5)) report.Line("Failure: " + failure);
    }

    private static async Task<TimeSpan> ReadyAfterAsync(ApiProcess api, long started)
    {
        using var probe = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromSeconds(10) };
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(2))
        {
            using var response = await probe.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK) return Stopwatch.GetElapsedTime(started);
            await Task.Delay(10);
        }

        throw new TimeoutException("/health/ready did not answer 200 within 2 minutes");
    }

    private static async Task<List<(string Query, long Calls, double Ms)>> StatementsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            select regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time from pg_stat_statements
            where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%'
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, long, double)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2)));
        return rows;
    }

    private static async Task Sql(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Shorten(string query, int length) => (query.Length > length ? query[..length] + "..." : query).Replace("|", "\\|");
}
