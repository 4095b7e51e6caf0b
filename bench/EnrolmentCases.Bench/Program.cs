using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using EnrolmentCases.Bench;
using HdrHistogram;
using Npgsql;

// Every figure of docs/benchmarks.md, in one run against a private PostgreSQL started by bench.sh.
var settings = Settings.Parse(args);
var report = new Report(settings.ResultsFile);
if (settings.Lag)
{
    await LagRun.RunAsync(settings, report, settings.LagRate);
    return;
}

var startedAt = Stopwatch.GetTimestamp();
ApiProcess? api = null;
ApiProcess? floorServer = null;
var cpu = new CpuMeter(settings.PostgresPid, () => (api ?? floorServer)?.Pid);
var concurrency = Settings.Concurrency;
var loadDb = "bench_load";
// Each figure issue 15 names, beside its target and the yardstick measured in this run; printed last.
var yardsticks = new List<object[]>();
var copyRate = 0.0;
(string Prefix, double Ms)[] ReadTargets =
    [("GET /api/cases/{id}", 5), ("GET /api/cases?", 20), ("GET /api/coverage", 10), ("GET /api/subsidy-forecast", 50)];
void Yardstick(string figure, string measured, string target, string yardstick, bool? met) =>
    yardsticks.Add([figure, measured, target, yardstick, met is null ? "-" : met.Value ? "met" : "**missed**"]);

await Machine();

// `--only import`: the import section alone (how it is run while working on imports, without the rest of the run).
if (settings.Only == "import")
{
    await ImportSection();
    return;
}

if (settings.Only is "commands")
{
    await CommandsOnlyAsync();
    return;
}

if (settings.Only is "bookings")
{
    await BookingsOnlyAsync();
    return;
}

// The raw limit: single-row insert per transaction at the HTTP test's concurrency, and binary COPY.
report.Heading("Raw PostgreSQL limit (Npgsql, events-shaped table)");
await CreateDatabaseAsync("bench_raw");
var rawDb = settings.Database("bench_raw");
var single = await PostgresLimit.SingleRowInsertsAsync(rawDb, 1, TimeSpan.FromSeconds(3));
var before = cpu.Read();
var inserts = await PostgresLimit.SingleRowInsertsAsync(rawDb, concurrency, settings.RawInsertDuration);
var insertCpu = cpu.Read() - before;
before = cpu.Read();
var copy = await PostgresLimit.BinaryCopyAsync(rawDb, settings.CopyRows);
copyRate = copy.RowsPerSecond;
var copyCpu = cpu.Read() - before;
var pointReads = await PostgresLimit.PointReadsAsync(rawDb, settings.CopyRows, TimeSpan.FromSeconds(3));
report.Table(["test", "rows", "seconds", "rows/s", "p50 ms", "p99 ms"],
[
    [$"single-row INSERT, autocommit, {concurrency} connections", inserts.Rows, inserts.Took.TotalSeconds, inserts.RowsPerSecond,
        inserts.Latency.Ms(50), inserts.Latency.Ms(99)],
    ["binary COPY, one connection, one transaction", copy.Rows, copy.Took.TotalSeconds, copy.RowsPerSecond, double.NaN, double.NaN],
    ["single-row INSERT, autocommit, 1 connection (the commit floor)", single.Rows, single.Took.TotalSeconds, single.RowsPerSecond,
        single.Latency.Ms(50), single.Latency.Ms(99)],
    ["SELECT of one row by primary key, 1 connection (the read floor)", pointReads.Rows, pointReads.Took.TotalSeconds, pointReads.RowsPerSecond,
        pointReads.Latency.Ms(50), pointReads.Latency.Ms(99)]
]);
report.Line($"CPU per inserted row at {concurrency} connections: {insertCpu.PerUnit(inserts.Rows)}; {insertCpu.Utilisation()}.");
report.Line($"CPU per copied row: {copyCpu.PerUnit(copy.Rows)}.");

// The framework's floor: the least a Marten + Wolverine command does, on its own database, under the same harness.
var floorRate = 0.0;
var floorPeakRss = 0.0;
{
    report.Heading($"The framework's floor (open model, {concurrency} HTTP connections)");
    report.Line("bench/EnrolmentCases.Floor: a Marten + Wolverine endpoint that starts a stream, one that appends one event through " +
                "Wolverine's aggregate workflow (optimistic version check) with an inline snapshot, and a read of that snapshot; " +
                "no authentication, validation, metadata, MAC or other read models. The same mix shape (a new stream, four appends, " +
                "a read, one request at a time per stream) and the same ramp and sustainability rule as the product below.");
    await CreateDatabaseAsync("bench_floor");
    await using var floor = floorServer = await ApiProcess.StartFloorAsync(settings, "bench_floor", "floor");
    using var floorHttp = Client(floor, "none");
    await OpenLoad.RunAsync(50, TimeSpan.FromSeconds(8), new FloorMix(floorHttp).NextAsync); // warm-up
    var (floorSteps, floorMax) = await RampAsync(() => new FloorMix(floorHttp).NextAsync, () => Task.Delay(1000),
        // The floor has always sustained several hundred requests/s: its ramp starts there, which keeps the default run short.
        settings.FirstRate * 1.5 * 1.5 * 1.5);
    floorRate = floorMax;
    ReportSteps(floorSteps);
    var floorHalf = await OpenLoad.RunAsync(Math.Max(1, Math.Round(floorMax * 0.5)), settings.MeasureDuration / 2, new FloorMix(floorHttp).NextAsync);
    report.Line($"Floor's maximum sustainable rate: {floorMax:F0} requests/s; at 50 % of it ({floorHalf.OfferedRate:F0}/s) p50 " +
                $"{floorHalf.All.Ms(50):F1} ms, p99 {floorHalf.All.Ms(99):F1} ms, {floorHalf.Errors} errors. " +
                $"The floor reaches {floorMax / inserts.RowsPerSecond:P0} of raw single-row inserts.");
    ReportFailures(floorSteps.Select(s => s.Load).Append(floorHalf));
    floorPeakRss = floor.PeakRssMb();
    floorServer = null;
}

// Cold start: the first start creates the schema; the later ones find it in place.
report.Heading("Cold start (process start to first 200 on /health/live)");
await CreateDatabaseAsync(loadDb);
await Sql(loadDb, "create extension if not exists pg_stat_statements");
api = await ApiProcess.StartAsync(settings, loadDb, "api-schema");
var schemaStart = api.LiveAfter;
var starts = new List<TimeSpan>();
for (var i = 1; i <= 3; i++)
{
    await api.DisposeAsync();
    api = await ApiProcess.StartAsync(settings, loadDb, $"api-load-{i}");
    starts.Add(api.LiveAfter);
}

TimeSpan firstRequestTook = default;
var caseworker = await TokenAsync("caseworker", "--regency", CommandMix.Regency, "--name", "Bench Caseworker");
var planner = await TokenAsync("planner", "--name", "Bench Planner");
using var http = Client(api, caseworker);
var budgetTimes = new List<TimeSpan>();
var firstRequest = Stopwatch.GetTimestamp();
foreach (var regency in CommandMix.AllRegencies)
{
    await CommandMix.RecordBudgetAsync(http, planner, regency);
    budgetTimes.Add(Stopwatch.GetElapsedTime(firstRequest));
    firstRequest = Stopwatch.GetTimestamp();
}
firstRequestTook = budgetTimes[0];
// The tenth as the median of the sixth to the tenth: one request's time swings by several times with the background work
// of the first seconds after a start (the daemon's and the sealer's catch-up, the runtime's recompiles).
var tenth = budgetTimes[5..].Order().ElementAt(2);
Yardstick("first command after a start (POST /api/budgets)", $"{budgetTimes[0].TotalMilliseconds:F0} ms",
    "as fast as the tenth (within twice its time)", $"the tenth (median of the sixth to the tenth): {tenth.TotalMilliseconds:F1} ms",
    budgetTimes[0] <= 2 * tenth);

report.Table(["start", "to first 200 on /health/live"],
[
    ["first start on an empty database (creates the schema)", Ms(schemaStart)],
    .. starts.Select((s, i) => new object[] { $"restart {i + 1} (schema in place)", Ms(s) })
]);
report.Line($"Median restart: {Ms(starts.Order().ElementAt(1))}. The first command after a start " +
            $"(POST /api/budgets) took {firstRequestTook.TotalMilliseconds:F0} ms; the next nine " +
            $"{string.Join(", ", budgetTimes.Skip(1).Select(t => t.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)))} ms.");

await OpenLoad.RunAsync(50, TimeSpan.FromSeconds(10), new CommandMix(http).NextAsync); // warm-up: every endpoint compiled and jitted
await SettleAsync();

// Profile: each command on its own, one request at a time, with its statements and CPU.
report.Heading("Profile: each operation alone, one request at a time");
var profileMix = new CommandMix(http);
var profile = new List<object[]>();
string[] operations = ["identify", "contact", "enrol", "subsidy", "payment", "read"];
var profileCases = settings.Full ? 500 : 100;
// Background work (projection daemon, audit sealer every 2 s) is counted with the operation whose events it handles.
var settle = TimeSpan.FromSeconds(2.2);
var statementsByOperation = new Dictionary<string, Dictionary<string, long>>();
for (var step = 0; step <= operations.Length; step++)
{
    var operation = step < operations.Length ? operations[step] : "GET /health/live";
    Func<Task<Sent>> send = step switch
    {
        0 => profileMix.IdentifyAsync,
        _ when step < operations.Length => profileMix.NextAsync,
        _ => async () =>
        {
            using var response = await http.GetAsync("/health/live");
            return new Sent("live", response.IsSuccessStatusCode ? null : $"GET /health/live -> {(int)response.StatusCode}");
        }
    };
    await Task.Delay(settle);
    await Sql(loadDb, "select pg_stat_statements_reset()");
    var cpuBefore = cpu.Read();
    var alone = await OpenLoad.OneAtATimeAsync(profileCases, TimeSpan.FromSeconds(30), send);
    await Task.Delay(settle);
    var used = cpu.Read() - cpuBefore;
    var statements = await StatementCalls();
    var n = alone.Completed;
    statementsByOperation[operation] = statements.ToDictionary(x => x.Query, x => x.Calls);
    profile.Add([operation, n, alone.All.Ms(50), alone.All.Ms(99), statements.Sum(x => x.Calls) / (double)n,
        statements.Sum(x => x.Ms) / n, 1000 * used.Api / n, 1000 * used.Postgres / n, 1000 * used.Bench / n, alone.Errors]);
    ReportFailures([alone]);
}

report.Table(["operation", "requests", "p50 ms", "p99 ms", "statements", "statement ms", "API CPU ms", "PostgreSQL CPU ms",
    "client CPU ms", "errors"], profile);
report.Line($"Per request: statements executed in PostgreSQL and their execution time (pg_stat_statements), CPU of the API, " +
            $"PostgreSQL and the load generator, each counted from just before the {profileCases} requests to {settle.TotalSeconds} s after " +
            "the last one, so that the projection daemon's and the audit sealer's work on their events is included.");
report.Line("");
report.Line("Statements per request, by operation (those run at least 0.3 times per request by some operation):");
var frequent = statementsByOperation.SelectMany(o => o.Value.Select(q => (Query: q.Key, Calls: q.Value)))
    .GroupBy(x => x.Query)
    .Where(g => g.Any(x => x.Calls / (double)profileCases >= 0.3))
    .OrderByDescending(g => g.Sum(x => x.Calls));
report.Table(["statement", .. operations],
    frequent.Select(g => new object[] { "`" + Shorten(g.Key, 90) + "`" }
        .Concat(operations.Select(o => (object)(statementsByOperation[o].GetValueOrDefault(g.Key) / (double)profileCases)))
        .ToArray()));

// HTTP command load: find the highest arrival rate answered without errors or a growing queue.
report.Heading($"HTTP command load (open model, {concurrency} HTTP connections)");
report.Line("Mix: identify, contact attempt (reached), enrolment, subsidy (APBD_REGENCY 17.04), premium payment, GET case: " +
            "one sixth each, one request at a time per case, new workers for every run, each run started with the projections caught up. A step is sustainable with no error, nothing dropped, " +
            "at least 98 % of the offered rate achieved (requests still queued at the end count against it) and p99 <= 250 ms.");
var idle = await OpenLoad.RunAsync(500, TimeSpan.FromSeconds(3), async () =>
{
    await Task.Yield();
    return new Sent("nothing");
});
report.Line($"The load generator's own scheduling delay (requests that do nothing, 500/s): p50 {idle.All.Ms(50):F2} ms, " +
            $"p99 {idle.All.Ms(99):F2} ms; it is part of every latency below.");
var (steps, maxRate) = await RampAsync(() => new CommandMix(http).NextAsync, SettleAsync);
ReportSteps(steps);
report.Line($"Maximum sustainable rate: {maxRate:F0} requests/s ({maxRate * 5 / 6:F0} write commands/s). " +
            $"Raw single-row insert rate at {concurrency} connections: {inserts.RowsPerSecond:F0} rows/s. " +
            $"Ratio: {maxRate / inserts.RowsPerSecond:P1} (write commands only: {maxRate * 5 / 6 / inserts.RowsPerSecond:P1}). " +
            $"**Against the framework's floor ({floorRate:F0} requests/s, measured above): {maxRate / floorRate:P0}** (target: at least 80 %).");
ReportFailures(steps.Select(s => s.Load));
Yardstick("product's commands, maximum sustainable rate", $"{maxRate:F0} requests/s", ">= 80 % of the floor",
    $"floor {floorRate:F0} requests/s: product at {maxRate / floorRate:P0}", maxRate >= 0.8 * floorRate);



// Latency at 50 % and 80 % of the maximum, with the projection lag, CPU and statements per request.
foreach (var share in new[] { 0.5, 0.8 })
{
    await SettleAsync();
    await Sql(loadDb, "select pg_stat_statements_reset()");
    var headBefore = await HeadAsync();
    await using var lag = await ProjectionLag.StartAsync(settings.Database(loadDb));
    var cpuBefore = cpu.Read();
    var load = await OpenLoad.RunAsync(Math.Max(1, Math.Round(maxRate * share)), settings.MeasureDuration, new CommandMix(http).NextAsync);
    var used = cpu.Read() - cpuBefore;
    var catchUp = await lag.CatchUpAsync(TimeSpan.FromMinutes(2));
    var appended = await HeadAsync() - headBefore;

    report.Heading($"At {share:P0} of the maximum: {load.OfferedRate:F0} requests/s for {load.Duration.TotalSeconds:F0} s");
    report.Table(["operation", "requests", "p50 ms", "p99 ms", "max ms"],
        load.ByOperation.OrderBy(o => Array.IndexOf(operations, o.Key))
            .Select(o => new object[] { o.Key, o.Value.TotalCount, o.Value.Ms(50), o.Value.Ms(99), o.Value.MaxMs() })
            .Append(new object[] { "**all**", load.All.TotalCount, load.All.Ms(50), load.All.Ms(99), load.All.MaxMs() }));
    report.Line($"Achieved {load.AchievedRate:F0} requests/s, {load.Errors} errors, {load.Dropped} dropped; " +
                $"{appended / (double)load.Completed:F2} events appended per request ({appended / load.Took.TotalSeconds:F0} events/s).");
    if (share == 0.5)
        Yardstick("projection lag p99 at 50 % of the maximum", $"{lag.SecondsAt(99):F2} s", "<= 0.5 s",
            $"sampled every {ProjectionLag.Interval.TotalMilliseconds:F0} ms", lag.SecondsAt(99) <= 0.5);
    report.Line($"Projection lag (slowest async projection, sampled every 100 ms): {lag.Summary()}; " +
                $"caught up {Seconds(catchUp)} after the load stopped.");
    report.Line($"CPU per request: {used.PerUnit(load.Completed)}; {used.Utilisation()}.");
    var (calls, executionMs) = await StatementTotals();
    report.Line($"PostgreSQL statements: {calls / (double)load.Completed:F1} per request, {executionMs / load.Completed:F2} ms of execution per request. " +
                "Top statements by total execution time:");
    await TopStatements();
    ReportFailures([load]);
}

// The same 80 % rate with new workers spread over the ten regencies and their ten budgets: what the lock on one budget costs.
{
    await SettleAsync();
    var everywhere = await TokenAsync("caseworker", ["--regency", .. CommandMix.AllRegencies, "--name", "Bench Province"]);
    using var client = Client(api, everywhere);
    var spreadMix = new CommandMix(client, CommandMix.AllRegencies);
    await Sql(loadDb, "select pg_stat_statements_reset()");
    var cpuBefore = cpu.Read();
    var spread = await OpenLoad.RunAsync(Math.Max(1, Math.Round(maxRate * 0.8)), settings.MeasureDuration / 2, spreadMix.NextAsync);
    var used = cpu.Read() - cpuBefore;
    report.Heading($"At 80 % again, workers spread over ten regencies and ten budgets: {spread.OfferedRate:F0} requests/s for {spread.Duration.TotalSeconds:F0} s");
    report.Table(["operation", "requests", "p50 ms", "p99 ms", "max ms"],
        spread.ByOperation.OrderBy(o => Array.IndexOf(operations, o.Key))
            .Select(o => new object[] { o.Key, o.Value.TotalCount, o.Value.Ms(50), o.Value.Ms(99), o.Value.MaxMs() })
            .Append(new object[] { "**all**", spread.All.TotalCount, spread.All.Ms(50), spread.All.Ms(99), spread.All.MaxMs() }));
    var (calls, executionMs) = await StatementTotals();
    report.Line($"Achieved {spread.AchievedRate:F0} requests/s, {spread.Errors} errors; {calls / (double)spread.Completed:F1} statements and " +
                $"{executionMs / spread.Completed:F2} ms of statement execution per request; {used.Utilisation()}.");
    ReportFailures([spread]);
}

// The HTTP stack alone: an anonymous health probe at the 50 % rate.
var probe = await OpenLoad.RunAsync(Math.Max(1, Math.Round(maxRate * 0.5)), TimeSpan.FromSeconds(5), async () =>
{
    using var response = await http.GetAsync("/health/live");
    return new Sent("live", response.IsSuccessStatusCode ? null : $"GET /health/live -> {(int)response.StatusCode}");
});
report.Line($"Baseline, GET /health/live at the 50 % rate (HTTP and Kestrel alone): p50 {probe.All.Ms(50):F2} ms, p99 {probe.All.Ms(99):F2} ms.");

// A burst at the maximum rate, then the time until every projection has caught up.
report.Heading($"Burst: {maxRate:F0} requests/s for {settings.BurstDuration.TotalSeconds:F0} s, then catch-up");
await SettleAsync();
await using (var lag = await ProjectionLag.StartAsync(settings.Database(loadDb)))
{
    var burst = await OpenLoad.RunAsync(Math.Max(1, maxRate), settings.BurstDuration, new CommandMix(http).NextAsync);
    var (_, behindAtEnd, secondsAtEnd) = await lag.SampleAsync();
    var catchUp = await lag.CatchUpAsync(TimeSpan.FromMinutes(5));
    report.Line($"Requests p50 {burst.All.Ms(50):F1} ms, p99 {burst.All.Ms(99):F1} ms, {burst.Errors} errors. " +
                $"Lag when the last request had answered: {behindAtEnd} events / {secondsAtEnd:F2} s; during the burst {lag.Summary()}; " +
                $"caught up {Seconds(catchUp)} after that.");
    ReportFailures([burst]);
}

// Memory: the peak resident set of the API process that served all of the above.
report.Heading("API memory");
Yardstick("peak RSS of the API under the benchmark load", $"{api.PeakRssMb():F0} MB", "<= 300 MB",
    $"the floor's process: {floorPeakRss:F0} MB", api.PeakRssMb() <= 300);
report.Line($"Peak RSS (VmHWM) of the API after the profile, the ramp, the 50 %/80 % runs and the burst: {api.PeakRssMb():F0} MB " +
            $"(RSS now {api.RssMb():F0} MB); {api.MemoryAtPeak()}.");
await api.DisposeAsync();
api = null;

// The audit chain: the same arrival rate with the sealer on (every 2 s) and off, alternating, each on a freshly started API.
var auditRate = Math.Max(1, Math.Round(maxRate * 0.5));
var roundLength = settings.MeasureDuration / 2;
var audit = new Dictionary<string, (LongHistogram Latency, long Errors, long Requests, CpuTimes? Cpu, double PeakRss)>();
var runs = new[] { ("on, every 2 s", "2", "1"), ("off", "0", "1"), ("off", "0", "1"), ("on, every 2 s", "2", "1"), ("on, workstation GC", "2", "0") };
foreach (var (run, (name, interval, serverGc)) in runs.Index())
{
    api = await ApiProcess.StartAsync(settings, loadDb, $"api-audit-{run + 1}",
        new Dictionary<string, string> { ["Audit__SealIntervalSeconds"] = interval, ["DOTNET_gcServer"] = serverGc });
    using var client = Client(api, caseworker);
    var auditMix = new CommandMix(client);
    await OpenLoad.RunAsync(Math.Max(1, Math.Round(auditRate / 2)), TimeSpan.FromSeconds(8), auditMix.NextAsync); // warm-up
    await Task.Delay(1000);
    var cpuBefore = cpu.Read();
    var load = await OpenLoad.RunAsync(auditRate, roundLength, auditMix.NextAsync);
    var used = cpu.Read() - cpuBefore;
    var sofar = audit.GetValueOrDefault(name, (Histograms.Create(), 0, 0, null, 0));
    sofar.Latency.Add(load.All);
    audit[name] = (sofar.Latency, sofar.Errors + load.Errors, sofar.Requests + load.Completed,
        sofar.Cpu is null ? used : sofar.Cpu + used,
        Math.Max(sofar.PeakRss, api.PeakRssMb()));
    ReportFailures([load]);
    await api.DisposeAsync();
    api = null;
}

report.Heading($"Audit chain cost (Audit__SealIntervalSeconds 2 versus 0) at {auditRate:F0} requests/s");
report.Line($"Alternating runs of {roundLength.TotalSeconds:F0} s (on, off, off, on), each on a freshly started and warmed-up API; " +
            "the last row repeats the sealer-on run with workstation garbage collection (DOTNET_gcServer=0).");
report.Table(["sealer", "requests", "errors", "p50 ms", "p99 ms", "max ms", "API CPU ms/request", "PostgreSQL CPU ms/request",
        "other processes (% of a core)", "peak RSS MB"],
    audit.Select(a => new object[]
    {
        a.Key, a.Value.Requests, a.Value.Errors, a.Value.Latency.Ms(50), a.Value.Latency.Ms(99), a.Value.Latency.MaxMs(),
        1000 * a.Value.Cpu!.Api / a.Value.Requests, 1000 * a.Value.Cpu.Postgres / a.Value.Requests, a.Value.Cpu.OtherPercent, a.Value.PeakRss
    }));

// Rebuild: a generated dataset written straight into the event store (the same bulk path imports use), then every projection rebuilt.
report.Heading($"Projection rebuild ({settings.GeneratedCases:N0} generated cases)");
await CreateDatabaseAsync("bench_demo");
var (_, _, generateTook) = await ApiProcess.RunAsync(settings, "bench_demo", "generate", "--cases",
    settings.GeneratedCases.ToString(CultureInfo.InvariantCulture), "--no-rebuild");
var events = await Scalar<long>("bench_demo", "select count(*) from enrolment.mt_events");
var databaseMb = await Scalar<long>("bench_demo", "select pg_database_size(current_database())") / 1024.0 / 1024.0;
report.Line($"Generated {settings.GeneratedCases:N0} cases, {events:N0} events in {generateTook.TotalSeconds:F0} s with `generate --no-rebuild` " +
            $"({events / generateTook.TotalSeconds:F0} events/s straight into the event store by binary COPY, process start included); " +
            $"database {databaseMb:N0} MB ({databaseMb * 1024 / settings.GeneratedCases:N1} KB a case) before the rebuild.");
var (rebuildOutput, rebuildErrors, rebuildTook) = await ApiProcess.RunAsync(settings, "bench_demo", "projections", "rebuild");
var cases = await Scalar<long>("bench_demo", "select count(*) from enrolment.mt_doc_casedetails");
var finished = (rebuildOutput + "\n" + rebuildErrors).Split('\n').Select(l => l.Trim()).Where(l => l.Contains("Finished rebuild")).ToList();
var inner = finished.Select(l => Regex.Match(l, @"Finished rebuild in (\d+) ms")).FirstOrDefault(m => m.Success);
var innerSeconds = inner is null ? double.NaN : double.Parse(inner.Groups[1].Value) / 1000;
report.Table(["measure", "seconds", "events/s"],
[
    ["`projections rebuild`, whole command (process start included)", rebuildTook.TotalSeconds, events / rebuildTook.TotalSeconds],
    ["rebuild itself, as the command reports it", innerSeconds, events / innerSeconds]
]);
report.Code(string.Join('\n', finished.Select(l => Regex.Replace(l, @"\[/?[a-z]*\]", ""))));
Yardstick($"rebuild of every projection ({events:N0} events)", $"{events / innerSeconds:N0} events/s", ">= 30,000 events/s over 1,000,000 events",
    $"binary COPY {copy.RowsPerSecond:N0} rows/s", events >= 1_000_000 ? events / innerSeconds >= 30_000 : null);

// Reads on the demo data, one request at a time.
report.Heading($"Read latency on the generated data ({cases:N0} cases, {events:N0} events), one request at a time");
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
        await OpenLoad.OneAtATimeAsync(20, TimeSpan.FromSeconds(5), get);
        var load = await OpenLoad.OneAtATimeAsync(5_000, settings.ReadDuration, get);
        rows.Add([name, load.All.TotalCount, load.Errors, load.All.Ms(50), load.All.Ms(99), load.All.MaxMs()]);
        var readTarget = ReadTargets.FirstOrDefault(t => name.StartsWith(t.Prefix));
        if (readTarget.Prefix is not null)
            Yardstick($"{name} p99 at {cases:N0} cases", $"{load.All.Ms(99):F1} ms", $"<= {readTarget.Ms} ms at 1,000,000 cases",
                $"primary-key SELECT p99 {pointReads.Latency.Ms(99):F2} ms", cases >= 1_000_000 ? load.All.Ms(99) <= readTarget.Ms : null);
        ReportFailures([load]);
    }

    report.Table(["read", "requests", "errors", "p50 ms", "p99 ms", "max ms"], rows);
}

await api.DisposeAsync();
api = null;

await ImportSection();

var minutes = Stopwatch.GetElapsedTime(startedAt).TotalMinutes;
Yardstick("the whole benchmark", $"{minutes:F1} min", settings.Full ? "-" : "< 10 min (default size)", "-", settings.Full ? null : minutes < 10);
report.Heading("Issue 15's figures beside their targets and yardsticks");
report.Line("A target set for 1,000,000 cases or events is marked met or missed only when this run measured at that size; at the " +
            "default size it is shown for its trend only (\"-\").");
report.Table(["figure", "measured", "target", "yardstick in this run", ""], yardsticks);
report.Heading("Run");
report.Line($"Whole run: {minutes:F1} min ({(settings.Full ? "full" : "default")} size).");
return;

// ./bench.sh --only commands [--requests N] [--concurrency C | --rate R]: the product's mix, N requests at C at a time (closed loop)
// after a warm-up, with the load-insensitive costs per request. Quick enough to compare two builds on a busy machine.
// With --rate R the N requests arrive at R a second instead (open model, as in the default run's ramp): how long a request
// waits at a given load, the budget's lock among the rest, rather than how much the machine can do.
async Task CommandsOnlyAsync()
{
    await CreateDatabaseAsync(loadDb);
    await Sql(loadDb, "create extension if not exists pg_stat_statements");
    await using var target = api = await ApiProcess.StartAsync(settings, loadDb, "api-probe");
    var worker = await TokenAsync("caseworker", "--regency", CommandMix.Regency, "--name", "Bench Caseworker");
    var planner = await TokenAsync("planner", "--name", "Bench Planner");
    using var client = Client(target, worker);
    foreach (var regency in CommandMix.AllRegencies) await CommandMix.RecordBudgetAsync(client, planner, regency);

    var (requests, connections, rate) = (settings.ProbeRequests, settings.ProbeConcurrency, settings.ProbeRate);
    report.Heading(rate is { } r
        ? $"The product's mix, {requests} requests arriving at {r:F0} a second (open model, {Settings.Concurrency} HTTP connections)"
        : $"The product's mix, {requests} requests, {connections} at a time (closed loop)");
    var warmUp = new CommandMix(client);
    await CommandProbe.RunAsync(Math.Max(600, requests / 5), connections, warmUp.NextAsync);
    await SettleAsync();
    await Sql(loadDb, "select pg_stat_statements_reset()");
    using var stopSampling = new CancellationTokenSource();
    var lockWait = CommandProbe.LockWaitSecondsAsync(settings.Database(loadDb), stopSampling.Token);
    var cpuBefore = cpu.Read();
    var measured = new CommandMix(client);
    var load = rate is { } arrivals
        ? await OpenLoad.RunAsync(arrivals, TimeSpan.FromSeconds(requests / arrivals), measured.NextAsync)
        : await CommandProbe.RunAsync(requests, connections, measured.NextAsync);
    await Task.Delay(TimeSpan.FromSeconds(2.2)); // the daemon's and the sealer's work on these events
    var used = cpu.Read() - cpuBefore;
    await stopSampling.CancelAsync();
    var waited = await lockWait;
    var statements = await StatementCalls();
    var n = (double)load.Completed;
    var forUpdate = statements.Where(x => x.Query.Contains("for update", StringComparison.OrdinalIgnoreCase)).ToList();
    report.Table(["operation", "requests", "p50 ms", "p99 ms"],
        load.ByOperation.OrderBy(o => o.Key)
            .Select(o => new object[] { o.Key, o.Value.TotalCount, o.Value.Ms(50), o.Value.Ms(99) })
            .Append(new object[] { "**all**", load.All.TotalCount, load.All.Ms(50), load.All.Ms(99) }));
    report.Table(["per request", "value"],
    [
        ["statements", statements.Sum(x => x.Calls) / n],
        ["statement execution ms (pg_stat_statements)", statements.Sum(x => x.Ms) / n],
        ["of which `for update` statements ms", forUpdate.Sum(x => x.Ms) / n],
        ["lock wait ms (backends waiting on a lock, sampled every 10 ms)", 1000 * waited / n],
        ["API CPU ms", 1000 * used.Api / n],
        ["PostgreSQL CPU ms", 1000 * used.Postgres / n],
        ["load generator CPU ms", 1000 * used.Bench / n],
    ]);
    report.Line($"{load.Completed} requests in {load.Took.TotalSeconds:F1} s ({load.AchievedRate:F0}/s, depends on the machine's load), " +
                $"{load.Errors} errors{(rate is null ? "" : $", {load.Dropped} dropped")}; {used.Utilisation()}.");
    report.Line($"Peak RSS (VmHWM) of the API: {target.PeakRssMb():F0} MB (RSS now {target.RssMb():F0} MB); {target.MemoryAtPeak()}.");
    report.Line("Top statements by total execution time:");
    await TopStatements();
    ReportFailures([load]);
}

// ./bench.sh --only bookings: premium payments alone, every one booked on a budget, through the default run's ramp (rising
// arrival rates, the same test of what is sustainable): first every payment on one regency's budget, then the same spread
// over ten regencies' budgets. Every payment holds its budget's row lock to its commit, so one budget books at most about
// 1,000 / held payments a second; if one budget sustains less than ten, its lock is the limit, otherwise the machine is
// (ADR 0061). Cases are prepared between steps, outside the measured load.
async Task BookingsOnlyAsync()
{
    await CreateDatabaseAsync(loadDb);
    await Sql(loadDb, "create extension if not exists pg_stat_statements");
    await using var target = api = await ApiProcess.StartAsync(settings, loadDb, "api-bookings");
    var worker = await TokenAsync("caseworker", ["--regency", .. CommandMix.AllRegencies, "--name", "Bench Province"]);
    var planner = await TokenAsync("planner", "--name", "Bench Planner");
    using var client = Client(target, worker);
    var (year, first, months) = BookingMix.Subsidy;
    foreach (var regency in CommandMix.AllRegencies) await CommandMix.RecordBudgetAsync(client, planner, regency, year);

    report.Heading("Bookings: premium payments alone, on one budget and on ten");
    report.Line($"Each prepared case is enrolled and subsidised from its regency's {year} budget for {months} months from {year}-{first:D2}; " +
                "each request pays the next month of a case whose last payment was answered (POST /api/cases/{id}/premium-payments), " +
                $"so it books on the budget and shares no case's lock. The ramp of the default run: {settings.StepDuration.TotalSeconds:F0} s steps, " +
                "x1.5 from 100 a second, then two bisections; sustainable means no error, no drop, 98 % of the offered rate and p99 <= 250 ms.");
    var summary = new List<object[]>();
    foreach (var (name, regencies) in new[] { ("one budget (17.04)", new[] { CommandMix.Regency }), ("ten budgets (10 regencies)", CommandMix.AllRegencies) })
    {
        var mix = new BookingMix(client, regencies);
        // Enough months for a step at this rate, and enough cases that each of 5 s of arrivals finds one not in flight (a case
        // has one payment in flight at most; a step whose requests wait longer than that has failed anyway): for the first step, and after each step for the fastest rate the ramp may offer
        // next (half as fast again as the fastest achieved so far).
        var fastest = settings.FirstRate;
        async Task TopUp(double rate)
        {
            fastest = Math.Max(fastest, rate);
            var payments = (long)(fastest * settings.StepDuration.TotalSeconds * 1.1) + 400;
            var cases = Math.Max((payments - mix.PaymentsLeft) / months + 1, (long)(fastest * 5) - mix.Waiting);
            if (cases > 0) await mix.PrepareAsync((int)cases, Settings.Concurrency);
        }

        await TopUp(settings.FirstRate);
        await OpenLoad.RunAsync(50, TimeSpan.FromSeconds(6), mix.NextAsync); // warm-up: every path of a payment compiled
        await SettleAsync();
        // Lock waits are sampled during the steps only: the cases prepared between steps are granted their subsidies on the
        // same budgets, and those grants queue too.
        var (waited, paidInSteps, lastStepPaid) = (0.0, 0L, mix.Paid);
        CancellationTokenSource? sampling = null;
        Task<double>? sampler = null;
        var (steps, max) = await RampAsync(() =>
        {
            sampling = new CancellationTokenSource();
            sampler = CommandProbe.LockWaitSecondsAsync(settings.Database(loadDb), sampling.Token);
            return mix.NextAsync;
        }, async () =>
        {
            await sampling!.CancelAsync();
            waited += await sampler!;
            sampling.Dispose();
            var paid = mix.Paid - lastStepPaid;
            paidInSteps += paid;
            // Prepared before the settling, so that the followers' work on the new cases is done before the next step.
            await TopUp(1.5 * paid / settings.StepDuration.TotalSeconds);
            lastStepPaid = mix.Paid;
            await SettleAsync();
        });
        report.Line($"**{name}**: maximum sustainable rate {max:F0} payments a second.");
        ReportSteps(steps);
        // API CPU a payment at one rate both halves run (the ramp's second step), so the two are comparable.
        var common = steps.FirstOrDefault(x => Math.Abs(x.Load.OfferedRate - settings.FirstRate * 1.5) < 1 && Sustainable(x.Load));
        summary.Add([name, max, 1000 * waited / Math.Max(1, paidInSteps),
            common.Load is null ? double.NaN : 1000 * common.Cpu.Api / Math.Max(1, common.Load.Completed)]);
        ReportFailures(steps.Select(x => x.Load));
    }

    report.Table(["payments on", "maximum sustainable rate (payments/s)", "lock wait ms a payment (sampled in the steps)",
        $"API CPU ms a payment at {settings.FirstRate * 1.5:F0} a second"], summary);
    report.Line($"Peak RSS (VmHWM) of the API: {target.PeakRssMb():F0} MB. The API also reports enrolment.budget.lock.wait and " +
                "enrolment.budget.lock.held (histograms, ms) to an OpenTelemetry collector.");
}

// Import: a file of new workers through POST /api/imports, on its own database, timed from the POST to `completed`.
async Task ImportSection()
{
    var rows = settings.ImportRows;
    report.Heading($"Import ({rows:N0} rows)");
    const string importDb = "bench_import";
    await CreateDatabaseAsync(importDb);
    var statements = true;
    try
    {
        await Sql(importDb, "create extension if not exists pg_stat_statements");
        await Sql(importDb, "select pg_stat_statements_reset()");
    }
    catch (PostgresException)
    {
        statements = false;
    }

    await using var importApi = api = await ApiProcess.StartAsync(settings, importDb, "api-import");
    var token = (await ApiProcess.RunAsync(settings, importDb, ["token", "--role", "caseworker", "--regency", CommandMix.Regency,
        "--name", "Bench Importer"])).Output.Trim();
    using var importHttp = Client(importApi, token);
    importHttp.Timeout = TimeSpan.FromMinutes(5);
    // Warm-up: a small file, so that the measured one pays no code generation or JIT.
    const int warmUpRows = 2_000;
    await ImportRun.RunAsync(importHttp, token, ImportRun.Csv(warmUpRows, 90), warmUpRows, cpu);
    await Task.Delay(3000);
    if (statements) await Sql(importDb, "select pg_stat_statements_reset()");
    var csv = ImportRun.Csv(rows, 0);
    var measured = await ImportRun.RunAsync(importHttp, token, csv, rows, cpu);
    var top = statements ? await StatementCalls(importDb) : [];
    // The import's own floor: the rows it left, written again by COPY alone into tables of the same shape. A failure here
    // is reported and leaves the import's figures standing.
    ImportFloorResult? floor = null;
    string? floorFailure = null;
    try
    {
        // Over two connections too only at full size: the default run keeps under its 10 minutes.
        floor = await ImportFloor.MeasureAsync(settings.Database(importDb), "enrolment", cpu, twoConnections: settings.Full);
    }
    catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException)
    {
        floorFailure = e.Message;
    }

    // The database holds the warm-up's rows too: the floor is scaled to the measured file's.
    var imported = rows + warmUpRows;
    var scale = rows / (double)imported;
    // The floor for the measured file's rows alone, on one connection and (with --full) on two.
    var oneFor = floor?.OneConnection * scale;
    var twoFor = floor?.TwoConnections * scale;
    report.Table(["rows", "POST answered", "POST to completed", "rows/s", "counts"],
        [[rows, Ms(measured.Accepted), $"{measured.Took.TotalSeconds:F1} s", measured.RowsPerSecond, measured.Counts]]);
    Yardstick($"import of {rows:N0} rows, POST to completed", $"{measured.Took.TotalSeconds:F1} s ({measured.RowsPerSecond:N0} rows/s)",
        "100,000 rows in <= 10 s",
        (floor is null ? "its own rows by COPY: not measured"
            : $"its own rows by binary COPY alone: {oneFor!.Value.TotalSeconds:F1} s on one connection" +
              (twoFor is { } two ? $", {two.TotalSeconds:F1} s on two" : "")) +
        (copyRate > 0 ? $"; binary COPY of narrow rows {copyRate:N0} rows/s" : ""),
        rows >= 100_000 ? measured.Took.TotalSeconds * 100_000 / rows <= 10 : null);
    report.Line($"CPU per row: {measured.Cpu.PerUnit(rows)}; {measured.Cpu.Utilisation()}. Target: 100,000 rows in at most 10 s " +
                "(10,000 rows/s).");
    if (floor is null)
        report.Line($"The import's floor was not measured: {floorFailure}");
    else
    {
        report.Line($"The import's floor: the {floor.Rows:N0} rows it left in {floor.Tables.Count} tables ({floor.Rows / (double)imported:F1} for " +
                    $"each of the {imported:N0} imported rows, the {warmUpRows:N0}-row warm-up and the reference data included; " +
                    $"{floor.Bytes / 1048576.0:F0} MB in COPY's binary format), written again by binary COPY alone into empty tables " +
                    "of the same shape (columns, constraints and indexes; not foreign keys), with no parsing, validation, MACs, " +
                    $"sealing or tokens: {floor.OneConnection.TotalSeconds:F1} s on one connection in one transaction (PostgreSQL " +
                    $"{floor.OneConnectionCpu.Postgres * 1000 / imported:F2} ms of CPU an imported row)" +
                    (floor.TwoConnections is { } over ? $", {over.TotalSeconds:F1} s over two connections" : " (over two connections with --full)") +
                    $". For {rows:N0} rows (scaled by {rows:N0} / {imported:N0}): {oneFor!.Value.TotalSeconds:F1} s" +
                    (twoFor is { } onTwo ? $" and {onTwo.TotalSeconds:F1} s" : "") +
                    $"; the import took {measured.Took.TotalSeconds / oneFor.Value.TotalSeconds:F1} times the one-connection floor." +
                    (floor.Settled ? "" : " The tables were still growing a minute after the import completed: the floor may miss the last rows of " +
                                          "the projection daemon or the sealer."));
        report.Table(["table", "rows", "a row imported", "MB", "indexes", "COPY s (one connection)"],
            floor.Tables.Select(t => new object[] { t.Name, t.Rows, $"{t.Rows / (double)imported:F2}", $"{t.Bytes / 1048576.0:F1}", t.Indexes,
                $"{t.Took.TotalSeconds:F2}" }));
    }

    var samples = measured.Progress;
    var steady = samples.Where(s => s.Done > 0 && s.Done < rows).ToList();
    if (steady.Count >= 2)
        report.Line($"Progress: first rows done after {steady[0].Seconds:F1} s; between then and {steady[^1].Seconds:F1} s " +
                    $"{(steady[^1].Done - steady[0].Done) / (steady[^1].Seconds - steady[0].Seconds):F0} rows/s.");
    if (top.Count > 0)
    {
        report.Line($"Statements: {top.Sum(s => s.Calls) / (double)rows:F3} a row, {top.Sum(s => s.Ms) / rows:F3} ms of execution a row " +
                    "(pg_stat_statements, the projection daemon's and the audit sealer's work during the import included). The largest:");
        report.Table(["calls", "calls a row", "total ms", "statement"],
            top.OrderByDescending(s => s.Ms).Take(10).Select(s => new object[] { s.Calls, s.Calls / (double)rows, s.Ms, "`" + Shorten(s.Query, 110) + "`" }));
    }

    api = null;
}

// Find the highest arrival rate answered without errors or a growing queue: x1.5 steps, then two bisections.
async Task<(List<(LoadResult Load, CpuTimes Cpu)> Steps, double MaxRate)> RampAsync(Func<Func<Task<Sent>>> mix, Func<Task> settle,
    double? firstRate = null)
{
    var ramp = new List<(LoadResult Load, CpuTimes Cpu)>();
    double good = 0, bad = 0;

    async Task<bool> Step(double rate)
    {
        var cpuBefore = cpu.Read();
        var step = await OpenLoad.RunAsync(rate, settings.StepDuration, mix());
        var used = cpu.Read() - cpuBefore;
        ramp.Add((step, used));
        Console.Error.WriteLine($"  step {rate:F0}/s: achieved {step.AchievedRate:F0}/s, p50 {step.All.Ms(50):F1} ms, " +
                                $"p99 {step.All.Ms(99):F1} ms, {step.Errors} errors, {step.Dropped} dropped, other processes {used.OtherPercent:F0} %");
        await settle();
        return Sustainable(step);
    }

    for (var rate = firstRate ?? settings.FirstRate; rate < 5_000; rate *= 1.5)
    {
        if (await Step(rate)) good = rate;
        else
        {
            bad = rate;
            break;
        }
    }

    for (var i = 0; i < 2 && bad > 0 && good > 0; i++)
    {
        var middle = Math.Round((good + bad) / 2);
        if (await Step(middle)) good = middle;
        else bad = middle;
    }

    return (ramp, good);
}

void ReportSteps(List<(LoadResult Load, CpuTimes Cpu)> ramp) =>
    report.Table(["offered req/s", "achieved req/s", "p50 ms", "p99 ms", "max ms", "errors", "dropped", "sustainable", "CPU busy",
            "other processes (% of a core)"],
        ramp.Select(s => new object[]
        {
            s.Load.OfferedRate, s.Load.AchievedRate, s.Load.All.Ms(50), s.Load.All.Ms(99), s.Load.All.MaxMs(), s.Load.Errors,
            s.Load.Dropped, Sustainable(s.Load) ? "yes" : "no",
            $"{100 * s.Cpu.MachineBusy / (s.Cpu.Wall * Environment.ProcessorCount):F0} %", $"{s.Cpu.OtherPercent:F0} %"
        }));

// Every measured run starts from a quiet API: projections caught up, then a second's pause.
async Task SettleAsync()
{
    await using (var lag = await ProjectionLag.StartAsync(settings.Database(loadDb))) await lag.CatchUpAsync(TimeSpan.FromMinutes(2));
    await Task.Delay(1000);
}

// Kept pace: nothing failed or was dropped, no backlog left at the end, and no queue growing through the step.
static bool Sustainable(LoadResult step) =>
    step.Errors == 0 && step.Dropped == 0 && step.AchievedRate >= 0.98 * step.OfferedRate && step.All.Ms(99) <= 250;

void ReportFailures(IEnumerable<LoadResult> loads)
{
    var failures = loads.SelectMany(l => l.Failures).Distinct().Take(10).ToList();
    if (failures.Count == 0) return;
    report.Line("Failed requests (first ones, request and response):");
    report.Code(string.Join('\n', failures));
}

async Task<(long Calls, double ExecutionMs)> StatementTotals()
{
    await using var connection = new NpgsqlConnection(settings.Database(loadDb));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("""
        select coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8 from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%' and query not like '%pg_stat_activity%'
        """, connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.GetInt64(0), reader.GetDouble(1));
}

async Task<List<(string Query, long Calls, double Ms)>> StatementCalls(string? database = null)
{
    await using var connection = new NpgsqlConnection(settings.Database(database ?? loadDb));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("""
        select regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%' and query not like '%pg_stat_activity%'
        """, connection);
    await using var reader = await command.ExecuteReaderAsync();
    var rows = new List<(string, long, double)>();
    while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2)));
    return rows;
}

async Task TopStatements()
{
    await using var connection = new NpgsqlConnection(settings.Database(loadDb));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("""
        select calls, total_exec_time, mean_exec_time, regexp_replace(query, '\s+', ' ', 'g') from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_activity%'
        order by total_exec_time desc limit 8
        """, connection);
    await using var reader = await command.ExecuteReaderAsync();
    var rows = new List<object[]>();
    while (await reader.ReadAsync())
    {
        var query = reader.GetString(3);
        rows.Add([reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2),
            "`" + Shorten(query, 110) + "`"]);
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
    report.Line("PostgreSQL settings: " + await Scalar<string>("postgres", """
        select string_agg(name || '=' || current_setting(name), ', ' order by name) from pg_settings
        where name in ('shared_buffers', 'max_connections', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
                       'max_wal_size', 'checkpoint_timeout', 'work_mem', 'effective_cache_size', 'shared_preload_libraries')
        """));
    report.Line($"Size: {(settings.Full ? "full" : "default")}.");
}

async Task<List<Guid>> Ids()
{
    await using var connection = new NpgsqlConnection(settings.Database("bench_demo"));
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(
        $"select id from enrolment.mt_doc_casedetails where data ->> 'regencyCode' = '{CommandMix.Regency}' order by random() limit 2000", connection);
    await using var reader = await command.ExecuteReaderAsync();
    var ids = new List<Guid>();
    while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
    return ids;
}

async Task<string> TokenAsync(string role, params string[] more) =>
    (await ApiProcess.RunAsync(settings, loadDb, ["token", "--role", role, .. more])).Output.Trim();

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

Task<long> HeadAsync() => Scalar<long>(loadDb, "select coalesce(max(seq_id), 0) from enrolment.mt_events");

static string Shorten(string query, int length) => (query.Length > length ? query[..length] + "..." : query).Replace("|", "\\|");

static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:F0} ms";

static string Seconds(TimeSpan? t) => t is { } s ? $"{s.TotalSeconds:F2} s" : "not within the limit";
