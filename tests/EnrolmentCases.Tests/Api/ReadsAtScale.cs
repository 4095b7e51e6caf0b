using System.Diagnostics;
using System.Text.Json;
using Alba;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Coverage;
using EnrolmentCases.Forecast;
using EnrolmentCases.Money;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host on a schema of its own: the read scale test loads case views straight into the store.</summary>
public sealed class ReadsAtScaleFixture() : HostFixture(Schema, new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    public const string Schema = "reads_scale";

    public static int Rows => int.TryParse(Environment.GetEnvironmentVariable("READS_SCALE_ROWS"), out var n) ? n : 2_000;

    /// <summary>The production count limits (10,000 and 1,000) at scale; lower in a small run, so that both branches answer.</summary>
    public static int CountLimit => Math.Clamp(Rows / 4, 100, new WorklistOptions().CountLimit);

    public static int SearchCountLimit => Math.Clamp(Rows / 20, 100, new WorklistOptions().SearchCountLimit);

    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["Worklist:CountLimit"] = CountLimit.ToString();
        settings["Worklist:SearchCountLimit"] = SearchCountLimit.ToString();
    }
}

[CollectionDefinition(Name)]
public sealed class ReadsAtScaleCollection : ICollectionFixture<ReadsAtScaleFixture>
{
    public const string Name = "reads-scale";
}

/// <summary>
/// The reads of issue 15 over many cases: case views, their keys, search entries and coverage roll-ups written straight
/// into the store (READS_SCALE_ROWS cases, 2,000 by default; the benchmark figures in docs/benchmarks.md used
/// 1,000,000), then every read through the API, READS_SCALE_REQUESTS times each (10 by default, at most 10 s of requests per read). What each read
/// answers is checked against the generated data; the latencies are printed, never asserted.
/// </summary>
[Collection(ReadsAtScaleCollection.Name)]
public class ReadsAtScale(ReadsAtScaleFixture api, ITestOutputHelper output)
{

    private sealed record Generated(Guid Id, string Regency, CaseStage Stage, DateTimeOffset OpenedAt, string Name, string Village, SubsidyView? Subsidy);

    [Fact]
    public async Task every_read_answers_from_its_index_over_many_cases()
    {
        var rows = ReadsAtScaleFixture.Rows;
        var (limit, searchLimit) = (ReadsAtScaleFixture.CountLimit, ReadsAtScaleFixture.SearchCountLimit);
        var requests = int.TryParse(Environment.GetEnvironmentVariable("READS_SCALE_REQUESTS"), out var r) ? r : 10;
        var privacy = api.Host.Services.GetRequiredService<PersonalData>();
        var index = api.Host.Services.GetRequiredService<SearchIndex>();
        var calendar = api.Host.Services.GetRequiredService<ProvinceCalendar>();
        var regencies = api.Host.Services.GetRequiredService<ReferenceData>().Regencies.Select(x => x.Code).ToArray();
        var random = new Random(2026);
        var rare = SyntheticPeople.UniqueWord(8);
        var first = new DateTimeOffset(2024, 3, 2, 8, 0, 0, TimeSpan.FromHours(7));
        var span = (api.Clock.GetUtcNow() - first).TotalMinutes - 60;
        var generated = new List<Generated>(rows);
        var rollUps = new Dictionary<string, CoverageMonth>();
        var cohorts = new Dictionary<string, SubsidyCohortCount>();
        var loading = Stopwatch.StartNew();
        for (var start = 0; start < rows; start += 10_000)
        {
            var keys = new List<PersonKey>();
            var views = new List<CaseDetails>();
            var entries = new List<CaseSearchEntry>();
            for (var i = start; i < Math.Min(rows, start + 10_000); i++)
            {
                var nik = $"17{i:D14}";
                var opened = first.AddMinutes(span * i / rows).ToUniversalTime();
                var (seal, key) = privacy.NewKey(privacy.SubjectOf(nik), opened);
                var name = i == rows / 2 ? $"Siti {SyntheticPeople.Capitalised(rare)}"
                    : SyntheticPeople.CommonName(random);
                var village = SyntheticPeople.Village(random);
                var regency = regencies[random.Next(regencies.Length)];
                var stage = random.Next(100) switch
                {
                    < 40 => CaseStage.Identified, < 55 => CaseStage.Contacted, < 70 => CaseStage.Enrolled, < 90 => CaseStage.Subsidized,
                    _ => CaseStage.Closed
                };
                var subsidy = stage == CaseStage.Subsidized
                    ? new SubsidyView(random.Next(10) < 3 ? Payer.ApbdProvince : Payer.ApbdRegency, 2026, new YearMonth(2026, 1 + random.Next(3)),
                        10, random.Next(10) < 9 ? 16_800 : 20_400)
                    : null;
                var enrolled = stage is CaseStage.Enrolled or CaseStage.Subsidized;
                var view = new CaseDetails(Guid.NewGuid(), seal.Seal(PersonalField.Nik, nik), seal.Seal(PersonalField.FullName, name), regency,
                    null, seal.Seal(PersonalField.Village, village), "farmer", null, WorkerSource.P3Ke, stage, opened, opened)
                {
                    Subject = seal.Subject, KeyId = seal.KeyId, Version = enrolled ? 4 : 2, Subsidy = subsidy,
                    MembershipNumber = enrolled ? $"KPJ{i:D9}" : null, Programmes = enrolled ? [Programme.Jkk, Programme.Jkm] : null,
                    EnrolmentEffectiveDate = enrolled ? DateOnly.FromDateTime(opened.Date) : null,
                    DueFrom = subsidy?.StartMonth, PaidThrough = subsidy is null ? null : new YearMonth(2026, 2),
                    SettledThroughIndex = subsidy is null ? null : new YearMonth(2026, 2).Index
                };
                keys.Add(key);
                views.Add(view);
                entries.Add(index.EntryOf(view.Id, view.RegencyCode, view.OpenedAt, seal, view.FullName, view.Village));
                generated.Add(new Generated(view.Id, regency, stage, opened, name, village, subsidy));
                if (subsidy is not null)
                {
                    var cohortKey = SubsidyCohortCount.KeyFor(subsidy.BudgetYear, subsidy.Payer, subsidy.StartMonth, subsidy.MonthlyPremium, regency);
                    if (!cohorts.TryGetValue(cohortKey, out var cohort)) cohorts[cohortKey] = cohort = SubsidyCohortCount.FromKey(cohortKey);
                    cohort.Workers++;
                }
                foreach (var basis in new[] { Basis.Recorded, Basis.Effective })
                {
                    var month = calendar.MonthIndexOf(opened);
                    var id = CoverageMonth.KeyFor(basis, regency, month);
                    if (!rollUps.TryGetValue(id, out var rollUp))
                        rollUps[id] = rollUp = new CoverageMonth { Id = id, Basis = basis, RegencyCode = regency, MonthIndex = month };
                    rollUp.Add(stage, 1);
                }
            }

            await api.Store.BulkInsertDocumentsAsync(keys);
            await api.Store.BulkInsertDocumentsAsync(views);
            await api.Store.BulkInsertDocumentsAsync(entries);
        }

        await api.Store.BulkInsertDocumentsAsync(rollUps.Values);
        await api.Store.BulkInsertDocumentsAsync(cohorts.Values);
        output.WriteLine($"{rows} case views, keys, search entries, {rollUps.Count} coverage rows and {cohorts.Count} cohort counts loaded in {loading.Elapsed.TotalSeconds:F1} s");
        // What autovacuum does to a table loaded this fast, at once: statistics, and the visibility map index-only scans use.
        foreach (var table in new[] { "mt_doc_casesearchentry", "mt_doc_casedetails", "mt_doc_personkey" })
            await TestSql.ExecuteAsync($"vacuum analyze {ReadsAtScaleFixture.Schema}.{table}");
        // How large the loaded schema is on disk: tables, their TOAST and every index.
        var size = await TestSql.ValueAsync($"""
            select pg_size_pretty(sum(pg_total_relation_size(c.oid))) from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = '{ReadsAtScaleFixture.Schema}' and c.relkind = 'r'
            """);
        var loaded = $"{loading.Elapsed.TotalSeconds:F0} s with vacuum analyze; schema {size} on disk";
        output.WriteLine($"Loaded in {loaded}");
        foreach (var plan in new[]
                 {
                     "select count(*) from {0}.mt_doc_casedetails d where d.regency_code = '17.04'",
                     "select d.id from {0}.mt_doc_casedetails d where d.regency_code = '17.04' order by d.opened_at desc, d.id desc limit 50",
                     "select d.id from {0}.mt_doc_casedetails d order by d.opened_at desc, d.id desc limit 50"
                 })
            output.WriteLine(string.Join('\n', await TestSql.NamesAsync("explain " + string.Format(plan, ReadsAtScaleFixture.Schema))));

        var (auditor, planner, kaur) = (api.Token("auditor"), api.Token("planner"), api.Token("caseworker", "17.04"));
        var inKaur = generated.Where(g => g.Regency == "17.04").ToList();
        var newestFirst = inKaur.OrderByDescending(g => g.OpenedAt).ThenByDescending(g => g.Id).ToList();
        var kaurContacted = inKaur.Count(g => g.Stage == CaseStage.Contacted);
        var sitiInKaur = inKaur.Count(g => SearchWords.Match(["siti"], g.Name, g.Village));
        var sitiAll = generated.Count(g => SearchWords.Match(["siti"], g.Name, g.Village));

        var timings = new List<string>();

        // Before is run, untimed, ahead of every request (the timed ones and the warm-up).
        async Task<T> Timed<T>(string what, Func<int, Task<T>> read, Func<Task>? before = null)
        {
            // Warm until the JIT's tiering has settled (a batch of requests compiles nothing, or WarmLimit requests): the figures
            // are a running node's, not its first minutes' (the first requests after a start are measured apart, in
            // docs/benchmarks.md). The methods compiled while the timed requests run are reported beside them.
            // The runtime starts counting calls only once no new method has started for its delay, so a quiet batch
            // proves little until a few have run: at least WarmMinimum requests, then until a batch compiles nothing.
            before ??= () => Task.CompletedTask;
            await before();
            var result = await read(0);
            var warm = 0;
            while (warm < WarmLimit)
            {
                var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
                // Other arguments than the timed ones (other cases: other stages, other shapes of the answer).
                for (var j = 0; j < WarmBatch; j++)
                {
                    await before();
                    result = await read(requests + 1 + warm + j);
                }

                warm += WarmBatch;
                await Task.Delay(TieringDelay);
                if (warm >= WarmMinimum && System.Runtime.JitInfo.GetCompiledMethodCount() == compiled) break;
            }

            var times = new List<double>();
            // The API runs in this process: the harness's own garbage collections pause its requests too.
            var (paused, gen0, gen2) = (GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(2));
            // So does the JIT's tiering: methods first run warm are compiled again, optimised, while the requests run.
            var (jitted, jitTime) = (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime());
            var budget = Stopwatch.StartNew();
            for (var i = 1; i <= requests && budget.Elapsed < TimeSpan.FromSeconds(10); i++)
            {
                await before();
                var watch = Stopwatch.StartNew();
                result = await read(i);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            var line = $"{what}: p50 {Percentile(times, 0.50):F1} ms, p99 {Percentile(times, 0.99):F1} ms, max {times[^1]:F1} ms ({times.Count} requests; " +
                       $"GC {GC.CollectionCount(0) - gen0} collections, {GC.CollectionCount(2) - gen2} of gen 2, paused {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F1} ms; " +
                       $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods, {(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F0} ms; " +
                       $"after {warm} warm-up requests)";
            timings.Add(line);
            output.WriteLine(line);
            return result;
        }

        // The yardstick: the same harness's request that reads nothing (no token, no database).
        await Timed("yardstick: GET /health/live", async _ =>
        {
            await api.Host.Scenario(s =>
            {
                s.Get.Url("/health/live");
                s.StatusCodeShouldBeOk();
            });
            return 0;
        });
        await Timed("case", i => api.Host.GetCase(auditor, generated[(i * 7919) % generated.Count].Id));

        // Up to the limit the total is exact; past it, the limit and totalCapped (ADR 0039).
        void AssertTotal(long expected, Paged<CaseDetails> answer, int? countedTo = null)
        {
            Assert.Equal(Math.Min(expected, countedTo ?? limit), answer.Total);
            Assert.Equal(expected > (countedTo ?? limit), answer.TotalCapped);
        }

        var page = await Timed("worklist, a caseworker's regency", _ => api.Host.Worklist(kaur, "?pageSize=50"));
        AssertTotal(inKaur.Count, page);
        Assert.Equal(newestFirst.Take(50).Select(g => g.Id), page.Items.Select(c => c.Id));

        page = await Timed("worklist, a caseworker's regency, page 20", _ => api.Host.Worklist(kaur, "?pageSize=50&page=20"));
        Assert.Equal(newestFirst.Skip(950).Take(50).Select(g => g.Id), page.Items.Select(c => c.Id));

        page = await Timed("worklist, every regency (auditor)", _ => api.Host.Worklist(auditor, "?pageSize=50"));
        AssertTotal(rows, page);
        var everyNewestFirst = generated.OrderByDescending(g => g.OpenedAt).ThenByDescending(g => g.Id).ToList();
        Assert.Equal(everyNewestFirst.Take(50).Select(g => g.Id), page.Items.Select(c => c.Id));

        page = await Timed("worklist, one stage", _ => api.Host.Worklist(kaur, "?stage=contacted&pageSize=50"));
        AssertTotal(kaurContacted, page);
        Assert.All(page.Items, c => Assert.Equal(CaseStage.Contacted, c.Stage));

        // A common word's count past the limit is remembered after its first search (ADR 0062): the searches below are
        // answered from what was remembered, and each is also timed counted, with nothing remembered before each request.
        var sitiKaur = newestFirst.Where(g => SearchWords.Match(["siti"], g.Name, g.Village)).Take(50).Select(g => g.Id).ToList();
        Task Forget() => TestSql.ExecuteAsync($"delete from {ReadsAtScaleFixture.Schema}.{SearchCountHints.HintTable}");
        page = await Timed("worklist search, a common given name, a caseworker", _ => api.Host.Worklist(kaur, "?q=siti&pageSize=50"));
        AssertTotal(sitiInKaur, page, searchLimit);
        Assert.Equal(sitiKaur, page.Items.Select(c => c.Id));
        page = await Timed("worklist search, a common given name, a caseworker, counted", _ => api.Host.Worklist(kaur, "?q=siti&pageSize=50"), Forget);
        AssertTotal(sitiInKaur, page, searchLimit);
        Assert.Equal(sitiKaur, page.Items.Select(c => c.Id));

        var sitiNewestFirst = everyNewestFirst.Where(g => SearchWords.Match(["siti"], g.Name, g.Village)).ToList();
        page = await Timed("worklist search, a common given name, an auditor", _ => api.Host.Worklist(auditor, "?q=siti&pageSize=50"));
        AssertTotal(sitiAll, page, searchLimit);
        Assert.Equal(sitiNewestFirst.Take(50).Select(g => g.Id), page.Items.Select(c => c.Id));
        page = await Timed("worklist search, a common given name, an auditor, counted", _ => api.Host.Worklist(auditor, "?q=siti&pageSize=50"), Forget);
        AssertTotal(sitiAll, page, searchLimit);
        Assert.Equal(sitiNewestFirst.Take(50).Select(g => g.Id), page.Items.Select(c => c.Id));
        page = await Timed("worklist search, a common given name, an auditor, page 20", _ => api.Host.Worklist(auditor, "?q=siti&pageSize=50&page=20"));
        Assert.Equal(sitiNewestFirst.Skip(950).Take(50).Select(g => g.Id), page.Items.Select(c => c.Id));

        page = await Timed("worklist search, a rare word", _ => api.Host.Worklist(auditor, $"?q={rare}"));
        Assert.Equal(1, page.Total);

        var generatedNik = $"17{rows / 3:D14}";
        page = await Timed("worklist search, a NIK", _ => api.Host.Worklist(auditor, $"?q={generatedNik}"));
        Assert.Equal(generatedNik, Assert.Single(page.Items).Nik);

        await Timed("coverage", _ => api.Host.Coverage(planner));

        var forecast = await Timed("forecast", _ => api.Host.Read<JsonElement>(planner, "/api/subsidy-forecast?year=2026"));
        var expected = SubsidyForecast.Calculate(new ForecastInputs(2026, 0.39, 0.3, 16_800, "17", "Bengkulu",
            [..regencies.Select(code => new RegencyInputs(code, "", 0, null))],
            [..generated.Where(g => g.Subsidy is not null).Select(g => new CohortMember(g.Regency, g.Subsidy!.Payer, g.Subsidy.StartMonth, g.Subsidy.MonthlyPremium))],
            new Dictionary<string, Allocation>(), null));
        var province = forecast.GetProperty("province");
        Assert.Equal(expected.Province.SubsidizedWorkers.Regency, province.GetProperty("subsidizedWorkers").GetProperty("regency").GetInt64());
        Assert.Equal(expected.Province.SubsidizedWorkers.Province, province.GetProperty("subsidizedWorkers").GetProperty("province").GetInt64());
        Assert.Equal(expected.Province.YearlyCost.Total, province.GetProperty("yearlyCost").GetProperty("total").GetInt64());
        foreach (var row in forecast.GetProperty("regencies").EnumerateArray())
        {
            var want = expected.Regencies.Single(x => x.Code == row.GetProperty("code").GetString());
            Assert.Equal(want.MonthlyCost.Regency, row.GetProperty("monthlyCost").GetProperty("regency").GetInt64());
            Assert.Equal(want.YearlyCost.Province, row.GetProperty("yearlyCost").GetProperty("province").GetInt64());
            Assert.Equal(want.RunsOut.Regency, row.GetProperty("runsOut").GetProperty("regency").GetString());
        }

        output.WriteLine($"Reads over {rows:N0} cases:\n{string.Join('\n', timings)}");
        // A passing test's output is not shown by the console logger: READS_SCALE_REPORT names a file for the figures.
        if (Environment.GetEnvironmentVariable("READS_SCALE_REPORT") is { Length: > 0 } report)
            await File.AppendAllTextAsync(report, $"Reads over {rows:N0} cases (loaded in {loaded}):\n{string.Join('\n', timings)}\n");
    }

    private const int WarmBatch = 40, WarmMinimum = 200, WarmLimit = 600;

    /// <summary>A little longer than the runtime's tiering delay (100 ms), after which methods called often are compiled again.</summary>
    private static readonly TimeSpan TieringDelay = TimeSpan.FromMilliseconds(150);

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
