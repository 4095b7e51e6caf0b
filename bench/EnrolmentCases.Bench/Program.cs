using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using EnrolmentCases.Bench;
using Npgsql;

// Every figure of docs/benchmarks.md, in one run against a private PostgreSQL started by bench.sh.
var settings = Settings.Parse(args);
var report = new Report(settings.ResultsFile);
var startedAt = Stopwatch.GetTimestamp();
ApiProcess? api = null;
var cpu = new CpuMeter(settings.PostgresPid, () => api?.Pid);
var concurrency = Settings.Concurrency;

await Machine();

// a. The raw limit: single-row insert per transaction at the HTTP test's concurrency, and binary COPY.
report.Heading("Raw PostgreSQL limit (Npgsql, events-shaped table)");
await CreateDatabaseAsync("bench_raw");
var before = cpu.Read();
var inserts = await PostgresLimit.SingleRowInsertsAsync(settings.Database("bench_raw"), concurrency, settings.RawInsertDuration);
var insertCpu = cpu.Read() - before;
before = cpu.Read();
var copy = await PostgresLimit.BinaryCopyAsync(settings.Database("bench_raw"), settings.CopyRows);
var copyCpu = cpu.Read() - before;
report.Table(["test", "rows", "seconds", "rows/s", "p50 ms", "p99 ms"],
[
    [$"single-row INSERT, autocommit, {concurrency} connections", inserts.Rows, inserts.Took.TotalSeconds, inserts.RowsPerSecond,
        inserts.Latency.Ms(50), inserts.Latency.Ms(99)],
    ["binary COPY, one connection, one transaction", copy.Rows, copy.Took.TotalSeconds, copy.RowsPerSecond, double.NaN, double.NaN]
]);
report.Line($"CPU per inserted row: {insertCpu.PerUnit(inserts.Rows)}; {insertCpu.Utilisation()}.");
report.Line($"CPU per copied row: {copyCpu.PerUnit(copy.Rows)}.");

// f. Cold start: the first start creates the schema; the later ones find it in place.
report.Heading("Cold start (process start to first 200 on /health/live)");
await CreateDatabaseAsync("bench_load");
await Sql("bench_load", "create extension if not exists pg_stat_statements");
api = await ApiProcess.StartAsync(settings, "bench_load", "api-schema");
var schemaStart = api.LiveAfter;
await api.DisposeAsync();
var starts = new List<TimeSpan>();
for (var i = 1; i <= 3; i++)
{
    if (i > 1) await api.DisposeAsync();
    api = await ApiProcess.StartAsync(settings, "bench_load", $"api-load-{i}");
    starts.Add(api.LiveAfter);
}

var caseworker = await TokenAsync("caseworker", "--regency", CommandMix.Regency, "--name", "Bench Caseworker");
var planner = await TokenAsync("planner", "--name", "Bench Planner");
using var http = Client(api, caseworker);
var firstRequest = Stopwatch.GetTimestamp();
using (var budget = new HttpRequestMessage(HttpMethod.Post, "/api/budgets"))
{
    budget.Headers.Authorization = new AuthenticationHeaderValue("Bearer", planner);
    budget.Content = new StringContent(CommandMix.Budget(1_000_000_000_000), Encoding.UTF8, "application/json");
    using var response = await http.SendAsync(budget);
    if (response.StatusCode != HttpStatusCode.Created)
        throw new InvalidOperationException($"POST /api/budgets -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
}

var firstRequestTook = Stopwatch.GetElapsedTime(firstRequest);
report.Table(["start", "to first 200 on /health/live"],
[
    ["first start on an empty database (creates the schema)", Ms(schemaStart)],
    .. starts.Select((s, i) => new object[] { $"restart {i + 1} (schema in place)", Ms(s) })
]);
report.Line($"Median restart: {Ms(starts.Order().ElementAt(1))}. The first command after a start " +
            $"(POST /api/budgets, runtime code generation of its handler included) took {firstRequestTook.TotalMilliseconds:F0} ms.");

// b. HTTP command load: find the highest arrival rate answered without errors or a growing queue.
report.Heading($"HTTP command load (open model, {concurrency} HTTP connections)");
var mix = new CommandMix(http);
await OpenLoad.RunAsync(20, TimeSpan.FromSeconds(6), mix.NextAsync); // warm-up: every endpoint compiled and jitted
report.Line("Mix: identify, contact attempt (reached), enrolment, subsidy (APBD_REGENCY 17.04), premium payment, GET case: " +
            "one sixth each, one request at a time per case. A step is sustainable with no error, nothing dropped and p99 <= 500 ms.");
var steps = new List<LoadResult>();
double good = 0, bad = 0;
for (var rate = settings.FirstRate; rate < 5_000; rate *= 1.5)
{
    var step = await StepAsync(rate);
    if (Sustainable(step)) good = rate;
    else
    {
        bad = rate;
        break;
    }
}

for (var i = 0; i < 2 && bad > 0 && good > 0; i++)
{
    var middle = Math.Round((good + bad) / 2);
    if (Sustainable(await StepAsync(middle))) good = middle;
    else bad = middle;
}

var maxRate = good;
report.Table(["offered req/s", "achieved req/s", "p50 ms", "p99 ms", "max ms", "errors", "dropped", "sustainable"],
    steps.Select(s => new object[]
    {
        s.OfferedRate, s.AchievedRate, s.All.Ms(50), s.All.Ms(99), s.All.MaxMs(), s.Errors, s.Dropped, Sustainable(s) ? "yes" : "no"
    }));
report.Line($"Maximum sustainable rate: {maxRate:F0} requests/s ({maxRate * 5 / 6:F0} write commands/s). " +
            $"Raw single-row insert rate at {concurrency} connections: {inserts.RowsPerSecond:F0} rows/s. " +
            $"Ratio: {maxRate / inserts.RowsPerSecond:P1} (write commands only: {maxRate * 5 / 6 / inserts.RowsPerSecond:P1}).");
ReportFailures(steps);

// b, c. Latency at 50 % and 80 % of the maximum, with the projection lag, CPU and database statements per request.
foreach (var share in new[] { 0.5, 0.8 })
{
    await Task.Delay(2000);
    await Sql("bench_load", "select pg_stat_statements_reset()");
    var headBefore = await HeadAsync();
    await using var lag = await ProjectionLag.StartAsync(settings.Database("bench_load"));
    var cpuBefore = cpu.Read();
    var load = await OpenLoad.RunAsync(Math.Max(1, Math.Round(maxRate * share)), settings.MeasureDuration, mix.NextAsync);
    var used = cpu.Read() - cpuBefore;
    var catchUp = await lag.CatchUpAsync(TimeSpan.FromMinutes(2));
    var appended = await HeadAsync() - headBefore;

    report.Heading($"At {share:P0} of the maximum: {load.OfferedRate:F0} requests/s for {load.Duration.TotalSeconds:F0} s");
    report.Table(["operation", "requests", "p50 ms", "p99 ms", "max ms"],
        load.ByOperation.OrderBy(o => o.Key).Select(o => new object[] { o.Key, o.Value.TotalCount, o.Value.Ms(50), o.Value.Ms(99), o.Value.MaxMs() })
            .Append(new object[] { "**all**", load.All.TotalCount, load.All.Ms(50), load.All.Ms(99), load.All.MaxMs() }));
    report.Line($"Achieved {load.AchievedRate:F0} requests/s, {load.Errors} errors, {load.Dropped} dropped; " +
                $"{appended / (double)load.Completed:F2} events appended per request ({appended / load.Took.TotalSeconds:F0} events/s).");
    report.Line($"Projection lag (slowest async projection, sampled every 100 ms): {lag.Summary()}; " +
                $"caught up {Seconds(catchUp)} after the load stopped.");
    report.Line($"CPU per request: {used.PerUnit(load.Completed)}; {used.Utilisation()}.");
    await Statements(load.Completed);
    ReportFailures([load]);
}

// The HTTP stack alone: an anonymous health probe at the 50 % rate.
var probe = await OpenLoad.RunAsync(Math.Max(1, Math.Round(maxRate * 0.5)), TimeSpan.FromSeconds(5), async () =>
{
    using var response = await http.GetAsync("/health/live");
    return new Sent("live", response.IsSuccessStatusCode ? null : $"GET /health/live -> {(int)response.StatusCode}");
});
report.Line($"Baseline, GET /health/live at the same rate (HTTP and Kestrel alone): p50 {probe.All.Ms(50):F2} ms, p99 {probe.All.Ms(99):F2} ms.");

// c. A burst at the maximum rate, then the time until every projection has caught up.
report.Heading($"Burst: {maxRate:F0} requests/s for {settings.BurstDuration.TotalSeconds:F0} s, then catch-up");
await Task.Delay(2000);
await using (var lag = await ProjectionLag.StartAsync(settings.Database("bench_load")))
{
    var burst = await OpenLoad.RunAsync(Math.Max(1, maxRate), settings.BurstDuration, mix.NextAsync);
    var (_, behindAtEnd, secondsAtEnd) = await lag.SampleAsync();
    var catchUp = await lag.CatchUpAsync(TimeSpan.FromMinutes(5));
    report.Line($"Requests p50 {burst.All.Ms(50):F1} ms, p99 {burst.All.Ms(99):F1} ms, {burst.Errors} errors. " +
                $"Lag at the end of the burst {behindAtEnd} events / {secondsAtEnd:F2} s; during it {lag.Summary()}; " +
                $"caught up {Seconds(catchUp)} after the burst ended.");
    ReportFailures([burst]);
}

// f. Memory: the peak resident set of the API process that served all of the above.
report.Heading("API memory");
report.Line($"Peak RSS (VmHWM) of the API after the ramp, the 50 %/80 % runs and the burst: {api.PeakRssMb():F0} MB (RSS now {api.RssMb():F0} MB).");
await api.DisposeAsync();
api = null;

// g. The audit chain: the same arrival rate with the sealer on (every 2 s) and off, each on a freshly started API.
report.Heading("Audit chain cost (Audit__SealIntervalSeconds 2 versus 0)");
var auditRate = Math.Max(1, Math.Round(maxRate * 0.5));
var audit = new List<object[]>();
foreach (var interval in new[] { "2", "0" })
{
    api = await ApiProcess.StartAsync(settings, "bench_load", $"api-audit-{interval}",
        new Dictionary<string, string> { ["Audit__SealIntervalSeconds"] = interval });
    using var client = Client(api, caseworker);
    var auditMix = new CommandMix(client);
    await OpenLoad.RunAsync(20, TimeSpan.FromSeconds(5), auditMix.NextAsync);
    var cpuBefore = cpu.Read();
    var load = await OpenLoad.RunAsync(auditRate, settings.MeasureDuration, auditMix.NextAsync);
    var used = cpu.Read() - cpuBefore;
    audit.Add([interval == "0" ? "off" : $"on, every {interval} s", load.OfferedRate, load.Errors, load.All.Ms(50), load.All.Ms(99),
        load.All.MaxMs(), 1000 * (used.Api + used.Postgres) / load.Completed]);
    ReportFailures([load]);
    await api.DisposeAsync();
    api = null;
}

report.Table(["sealer", "req/s", "errors", "p50 ms", "p99 ms", "max ms", "API+PostgreSQL CPU ms/request"], audit);

// d. Rebuild: events through the real write path (the demo loader), then every projection rebuilt.
report.Heading($"Projection rebuild (demo data at scale {settings.DemoScale})");
await CreateDatabaseAsync("bench_demo");
var (_, demoTook) = await ApiProcess.RunAsync(settings, "bench_demo", "demo", "--scale", settings.DemoScale.ToString(System.Globalization.CultureInfo.InvariantCulture));
var events = await Scalar<long>("bench_demo", "select count(*) from enrolment.mt_events");
var cases = await Scalar<long>("bench_demo", "select count(*) from enrolment.mt_doc_case");
report.Line($"Loaded {cases:N0} cases, {events:N0} events in {demoTook.TotalSeconds:F0} s ({events / demoTook.TotalSeconds:F0} events/s through the command path, in process, 4 workers).");
var (rebuildOutput, rebuildTook) = await ApiProcess.RunAsync(settings, "bench_demo", "projections", "rebuild");
var inner = Regex.Match(rebuildOutput, @"Finished rebuild in (\d+) ms");
var innerMs = inner.Success ? double.Parse(inner.Groups[1].Value) : double.NaN;
report.Table(["measure", "seconds", "events/s"],
[
    ["`projections rebuild`, whole command (process start included)", rebuildTook.TotalSeconds, events / rebuildTook.TotalSeconds],
    ["rebuild itself, as the command reports it", innerMs / 1000, events / (innerMs / 1000)]
]);
report.Code(string.Join('\n', rebuildOutput.Split('\n').Where(l => l.StartsWith("Finished"))));

// e. Reads on the demo data.
report.Heading($"Read latency on the demo data ({cases:N0} cases, {events:N0} events), {settings.ReadRate:F0} requests/s each");
api = await ApiProcess.StartAsync(settings, "bench_demo", "api-reads");
await using (var lag = await ProjectionLag.StartAsync(settings.Database("bench_demo"))) await lag.CatchUpAsync(TimeSpan.FromMinutes(5));
using (var reader = Client(api, caseworker))
{
    var ids = await Ids();
    var reads = new (string Name, Func<string> Path)[]
    {
        ("GET /api/cases/{id}", () => $"/api/cases/{ids[Random.Shared.Next(ids.Count)]}"),
        ("GET /api/cases?regency=17.04&page=1&pageSize=50", () => "/api/cases?regency=17.04&page=1&pageSize=50"),
        ("GET /api/coverage", () => "/api/coverage"),
        ("GET /api/subsidy-forecast", () => "/api/subsidy-forecast")
    };
    var rows = new List<object[]>();
    foreach (var (name, path) in reads)
    {
        Func<Task<Sent>> get = async () =>
        {
            var target = path();
            using var response = await reader.GetAsync(target);
            var body = await response.Content.ReadAsStringAsync();
            return new Sent(name, response.StatusCode == HttpStatusCode.OK ? null : $"GET {target}\n  -> {(int)response.StatusCode} {body}");
        };
        await OpenLoad.RunAsync(settings.ReadRate, TimeSpan.FromSeconds(2), get);
        var load = await OpenLoad.RunAsync(settings.ReadRate, settings.ReadDuration, get);
        rows.Add([name, load.All.TotalCount, load.Errors, load.All.Ms(50), load.All.Ms(99), load.All.MaxMs()]);
        ReportFailures([load]);
    }

    report.Table(["read", "requests", "errors", "p50 ms", "p99 ms", "max ms"], rows);
    report.Line($"Peak RSS of this API: {api.PeakRssMb():F0} MB.");
}

await api.DisposeAsync();
api = null;

report.Heading("Import");
report.Line("Import of 100,000 rows: measured in its own issue.");

report.Heading("Run");
report.Line($"Whole run: {Stopwatch.GetElapsedTime(startedAt).TotalMinutes:F1} min ({(settings.Full ? "full" : "default")} size).");
return;

async Task<LoadResult> StepAsync(double rate)
{
    var step = await OpenLoad.RunAsync(rate, settings.StepDuration, mix.NextAsync);
    steps.Add(step);
    Console.Error.WriteLine($"  step {rate:F0}/s: achieved {step.AchievedRate:F0}/s, p50 {step.All.Ms(50):F1} ms, " +
                            $"p99 {step.All.Ms(99):F1} ms, {step.Errors} errors, {step.Dropped} dropped");
    await Task.Delay(2000);
    return step;
}

static bool Sustainable(LoadResult step) => step.Errors == 0 && step.Dropped == 0 && step.All.Ms(99) <= 500;

void ReportFailures(IEnumerable<LoadResult> loads)
{
    var failures = loads.SelectMany(l => l.Failures).Distinct().Take(10).ToList();
    if (failures.Count == 0) return;
    report.Line("Failed requests (first ones, request and response):");
    report.Code(string.Join('\n', failures));
}

async Task Statements(long requests)
{
    const string totals = """
        select coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8
        from pg_stat_statements where dbid = (select oid from pg_database where datname = 'bench_load')
        """;
    await using var connection = new NpgsqlConnection(settings.Database("bench_load"));
    await connection.OpenAsync();
    await using (var command = new NpgsqlCommand(totals, connection))
    await using (var reader = await command.ExecuteReaderAsync())
    {
        await reader.ReadAsync();
        report.Line($"PostgreSQL statements (pg_stat_statements, daemon and sealer included): {reader.GetInt64(0) / (double)requests:F1} per request, " +
                    $"{reader.GetDouble(1) / requests:F2} ms of execution per request.");
    }

    const string top = """
        select calls, total_exec_time, mean_exec_time, regexp_replace(query, '\s+', ' ', 'g')
        from pg_stat_statements where dbid = (select oid from pg_database where datname = 'bench_load')
        order by total_exec_time desc limit 8
        """;
    var rows = new List<object[]>();
    await using (var command = new NpgsqlCommand(top, connection))
    await using (var reader = await command.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync())
        {
            var query = reader.GetString(3);
            rows.Add([reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2),
                "`" + (query.Length > 110 ? query[..110] + "..." : query).Replace("|", "\\|") + "`"]);
        }
    }

    report.Table(["calls", "total ms", "mean ms", "statement"], rows);
}

async Task Machine()
{
    report.Heading("Machine");
    var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':')[1].Trim();
    var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    report.Line($"{Environment.ProcessorCount} cores ({model}), {long.Parse(memory) / 1024 / 1024.0:F1} GiB memory, " +
                $".NET {Environment.Version}, load average at start {File.ReadAllText("/proc/loadavg").Trim()}.");
    report.Line(await Scalar<string>("postgres", "select version()"));
    const string wanted = """
        select string_agg(name || '=' || setting || coalesce(unit, ''), ', ' order by name) from pg_settings
        where name in ('shared_buffers', 'max_connections', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
                       'max_wal_size', 'checkpoint_timeout', 'work_mem', 'effective_cache_size', 'shared_preload_libraries')
        """;
    report.Line("PostgreSQL settings: " + await Scalar<string>("postgres", wanted));
    report.Line($"Size: {(settings.Full ? "full" : "default")}.");
}

async Task<List<Guid>> Ids()
{
    await using var connection = new NpgsqlConnection(settings.Database("bench_demo"));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(
        $"select id from enrolment.mt_doc_case where data ->> 'regencyCode' = '{CommandMix.Regency}' order by random() limit 2000", connection);
    await using var reader = await command.ExecuteReaderAsync();
    var ids = new List<Guid>();
    while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
    return ids;
}

async Task<string> TokenAsync(string role, params string[] more) =>
    (await ApiProcess.RunAsync(settings, "bench_load", ["token", "--role", role, .. more])).Output.Trim();

HttpClient Client(ApiProcess target, string token)
{
    var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
    {
        BaseAddress = target.Address,
        Timeout = TimeSpan.FromSeconds(60)
    };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return client;
}

async Task CreateDatabaseAsync(string name)
{
    await Sql("postgres", $"drop database if exists {name} with (force)");
    await Sql("postgres", $"create database {name}");
}

async Task Sql(string database, string sql)
{
    await using var connection = new NpgsqlConnection(settings.Database(database));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}

async Task<T> Scalar<T>(string database, string sql)
{
    await using var connection = new NpgsqlConnection(settings.Database(database));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    return (T)(await command.ExecuteScalarAsync())!;
}

Task<long> HeadAsync() => Scalar<long>("bench_load", "select coalesce(max(seq_id), 0) from enrolment.mt_events");

static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:F0} ms";

static string Seconds(TimeSpan? t) => t is { } s ? $"{s.TotalSeconds:F2} s" : "not within the limit";
