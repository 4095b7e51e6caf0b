using System.Text.Json;
using Alba;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.Imports;
using EnrolmentCases.Targets;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Coverage figures come from the async projections. Every expectation here is derived from the
/// commands the test itself sent, through a small model of each case it creates (CaseModel), never
/// from what the API stored: a wrong effective instant, or a write path that stops announcing a
/// stage change, makes a figure differ from the model.
///
/// Design, correct under any test order: each test reads the figures it checks before it sends
/// anything and again afterwards, and asserts that the difference is exactly what its own cases
/// contribute. Tests of one collection never run at the same time, so nothing else writes while a
/// test runs, and whatever earlier tests (or a lapse sweep run by another class) did to a regency
/// is in both readings and cancels out. Bengkulu Utara (17.03) and Bengkulu Selatan (17.01) hold
/// only these tests' cases, which keeps the province's change equal to the regency's.
/// </summary>
[Collection(ApiCollection.Name)]
public class CoverageReports(ApiFixture api)
{
    private readonly string _utara = api.Token("caseworker", "17.03", "17.01");
    private readonly string _planner = api.Token("planner");

    private static readonly CaseStage[] Stages = Enum.GetValues<CaseStage>();
    private static readonly (string Query, Basis Basis)[] Bases = [("recorded", Basis.Recorded), ("effective", Basis.Effective)];

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 12, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.FromHours(7));

    /// <summary>00:00 WIB (Asia/Jakarta, UTC+7) at the start of a day: when enrolments, subsidies and lapses take effect.</summary>
    private static DateTimeOffset StartOf(int year, int month, int day) => Wib(year, month, day, 0);

    private async Task SetTarget(string code, int year, long eligible, string source = "DTSEN 2025")
    {
        await api.Host.Scenario(s =>
        {
            s.Put.Json(new { eligibleWorkers = eligible, source }).ToUrl($"/api/regencies/{code}/targets/{year}");
            s.WithBearerToken(_planner);
            s.StatusCodeShouldBeOk();
        });
    }

    private async Task<CoverageReport> Coverage(string query = "")
    {
        await api.Host.ProjectionsCaughtUp();
        return await api.Host.Coverage(_planner, query);
    }

    private static string AsOf(DateTimeOffset at, string basis) => $"?asOf={Uri.EscapeDataString(at.ToString("O"))}&basis={basis}";

    private static CoverageRow RowOf(CoverageReport report, string code) => report.Regencies.Single(r => r.Code == code);

    /// <summary>One reading of a regency's row and the province's row.</summary>
    private sealed record Reading(CoverageRow Regency, CoverageRow Province);

    /// <summary>
    /// The figures for a regency at each instant on both bases, plus the report without asOf (now,
    /// recorded), keyed by (instant, basis); "now" is keyed by the clock's instant and basis "now".
    /// </summary>
    private async Task<Dictionary<(DateTimeOffset, string), Reading>> Read(string regency, IEnumerable<DateTimeOffset> instants)
    {
        var readings = new Dictionary<(DateTimeOffset, string), Reading>();
        foreach (var at in instants.Distinct())
        foreach (var (query, basis) in Bases)
        {
            var report = await Coverage(AsOf(at, query));
            Assert.Equal(basis, report.Basis);
            readings[(at, query)] = new Reading(RowOf(report, regency), report.Province);
        }

        var now = await Coverage();
        Assert.Equal(Basis.Recorded, now.Basis);
        readings[(api.Clock.GetUtcNow(), "now")] = new Reading(RowOf(now, regency), now.Province);
        return readings;
    }

    /// <summary>Every instant given and the second before it: a change must count from its instant on, not a second early.</summary>
    private static IEnumerable<DateTimeOffset> AndJustBefore(params DateTimeOffset[] instants) =>
        instants.SelectMany(i => new[] { i.AddSeconds(-1), i });

    private static void AssertChangeIsTheModels(string regency, Dictionary<(DateTimeOffset, string), Reading> before,
        Dictionary<(DateTimeOffset, string), Reading> after, Modelled model)
    {
        var wrong = new List<string>();
        foreach (var ((at, basis), then) in before)
        {
            var now = after[(at, basis)];
            var expected = model.CountsAt(regency, basis == "effective", at);
            void Compare(string figure, Func<CoverageRow, long> of, long want)
            {
                var regencyChange = of(now.Regency) - of(then.Regency);
                var provinceChange = of(now.Province) - of(then.Province);
                if (regencyChange != want)
                    wrong.Add($"{regency} {figure} at {at:O} ({basis}): changed by {regencyChange}, the cases sent make {want}");
                if (provinceChange != want)
                    wrong.Add($"province {figure} at {at:O} ({basis}): changed by {provinceChange}, the cases sent make {want}");
            }

            foreach (var stage in Stages) Compare(stage.ToString(), r => r.Count(stage), expected.GetValueOrDefault(stage));
            Compare("covered", r => r.Covered, expected.GetValueOrDefault(CaseStage.Enrolled) + expected.GetValueOrDefault(CaseStage.Subsidized));
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>
    /// The three coverage read models run as one composite (ADR 0055), which fetches events by its own types, not its
    /// members': it must name the stage changes, or the daemon would fetch and deserialise every event of the store.
    /// </summary>
    [Fact]
    public void the_coverage_composite_fetches_stage_changes_only_for_its_three_read_models()
    {
        var composite = Assert.Single(((StoreOptions)api.Store.Options).Projections.All.OfType<Marten.Events.Projections.CompositeProjection>());
        Assert.Equal(EnrolmentCases.Coverage.Configuration.CoverageComposite, composite.Name);
        Assert.Equal([typeof(CaseStageChanged)], composite.IncludedEventTypes);
        Assert.Equal(["CoverageChange", "CoverageDay", "CoverageMonth"], composite.PublishedTypes().Select(t => t.Name).Order());
    }

    [Fact]
    public async Task coverage_counts_every_stage_and_carries_its_ratio_with_numerator_denominator_and_definition()
    {
        var model = new Modelled(api, _utara);
        var (t1, t2, t3, t4) = (Wib(2026, 3, 2, 9), Wib(2026, 3, 5, 10), Wib(2026, 3, 10, 12), Wib(2026, 3, 12, 8));
        var metInTheField = Wib(2026, 3, 4, 15);
        var instants = AndJustBefore(StartOf(2026, 3, 1), t1, metInTheField, t2, StartOf(2026, 3, 9), t3, t4, StartOf(2026, 4, 1))
            .Append(Wib(2026, 2, 20)).Append(Wib(2026, 4, 15)).ToList();
        var year = 2026;

        Dictionary<(DateTimeOffset, string), Reading> before;
        using (api.ClockAt(t4))
        {
            await SetTarget("17.03", year, 20);
            before = await Read("17.03", instants);
        }

        Guid stays, contacted, backdated, enrolled, subsidized, closed, reopened;
        using (api.ClockAt(t1))
        {
            stays = await model.Identify("17.03");
            contacted = await model.Identify("17.03");
            backdated = await model.Identify("17.03");
            enrolled = await model.Identify("17.03");
            subsidized = await model.Identify("17.03");
            closed = await model.Identify("17.03");
            reopened = await model.Identify("17.03");
            // Imported workers are identified like any other: an import that stopped announcing the stage fails here.
            var imported = await model.Import("17.03", 3);
            Assert.Equal(3, imported.Count);
        }

        using (api.ClockAt(t2))
        {
            foreach (var id in new[] { backdated, enrolled, subsidized, reopened }) await model.Contact(id, "reached");
            await model.Contact(contacted, "unreachable");
        }

        using (api.ClockAt(t3))
        {
            // Met on the 4th, entered on the 10th: contacted from the 4th on the effective basis.
            await model.Contact(contacted, "reached", occurredAt: metInTheField);
            await model.Enrol(backdated, new DateOnly(2026, 3, 1));
            await model.Enrol(enrolled, new DateOnly(2026, 3, 9));
            await model.Enrol(subsidized, new DateOnly(2026, 3, 1));
            await api.Host.Allocate("APBD_REGENCY", "17.03", year, 3 * 16_800);
            await model.Subsidise(subsidized, year, startMonth: 4, months: 3);
            await model.Close(closed, "ineligible");
            await model.Close(reopened, "declined");
        }

        using (api.ClockAt(t4))
        {
            await model.Reopen(reopened);
            await model.AssertStagesAreTheModels();
            Assert.Equal(CaseStage.Identified, model.Cases[stays].Stage);

            var after = await Read("17.03", instants);
            AssertChangeIsTheModels("17.03", before, after, model);
            // The model is not empty-handed: at t4 on the recorded basis every stage but lapsed has a case.
            var now = model.CountsAt("17.03", effective: false, t4);
            Assert.Equal((4, 2, 2, 1, 0, 1), (now[CaseStage.Identified], now[CaseStage.Contacted], now[CaseStage.Enrolled],
                now[CaseStage.Subsidized], now.GetValueOrDefault(CaseStage.Lapsed), now[CaseStage.Closed]));

            var report = await Coverage();
            var row = RowOf(report, "17.03");
            Assert.Equal(row.Enrolled + row.Subsidized, row.Covered);
            Assert.Equal(row.Covered, row.Coverage.Numerator);
            Assert.Equal(20, row.Coverage.Denominator);
            Assert.NotNull(row.Coverage.Ratio);
            Assert.Equal(Math.Round(row.Covered / 20.0, 4), row.Coverage.Ratio.Value, 4);
            Assert.Contains("covered / eligible", row.Coverage.Definition);
            Assert.Equal("DTSEN 2025", row.Target?.Source);
            Assert.Equal(Basis.Recorded, report.Basis);

            foreach (var stage in Stages)
                Assert.Equal(report.Regencies.Sum(r => r.Count(stage)), report.Province.Count(stage));
            Assert.Equal(report.Regencies.Sum(r => r.Covered), report.Province.Covered);
        }
    }

    [Fact]
    public async Task a_backdated_enrolment_counts_from_its_effective_date_only_on_the_effective_basis()
    {
        var model = new Modelled(api, _utara);
        var instants = AndJustBefore(StartOf(2026, 1, 1), Wib(2026, 2, 20), Wib(2026, 3, 5))
            .Append(Wib(2026, 1, 15)).Append(Wib(2026, 2, 25)).Append(Wib(2026, 3, 5, 23)).Append(Wib(2026, 3, 6)).ToList();

        Dictionary<(DateTimeOffset, string), Reading> before;
        using (api.ClockAt(Wib(2026, 3, 6))) before = await Read("17.01", instants);

        Guid id;
        using (api.ClockAt(Wib(2026, 2, 20)))
        {
            id = await model.Identify("17.01");
            await model.Contact(id, "reached");
        }

        using (api.ClockAt(Wib(2026, 3, 5))) await model.Enrol(id, new DateOnly(2026, 1, 1));

        using var now = api.ClockAt(Wib(2026, 3, 6));
        await model.AssertStagesAreTheModels();
        var after = await Read("17.01", instants);
        AssertChangeIsTheModels("17.01", before, after, model);

        var january = (Wib(2026, 1, 15), "effective");
        Assert.Equal(1, after[january].Regency.Enrolled - before[january].Regency.Enrolled);
        var januaryAsRecorded = (Wib(2026, 1, 15), "recorded");
        Assert.Equal(0, after[januaryAsRecorded].Regency.Enrolled - before[januaryAsRecorded].Regency.Enrolled);
    }

    [Fact]
    public async Task a_lapse_counts_from_its_lapse_day_on_the_effective_basis_and_from_when_it_was_recorded_on_the_recorded_one()
    {
        var model = new Modelled(api, _utara);
        // Effective 1 January, nothing paid: January to April unpaid, lapsed from 00:00 WIB on 1 May.
        var lapseDay = StartOf(2026, 5, 1);
        var (noticed, closedAt, reopenedAt) = (Wib(2026, 5, 3, 9), Wib(2026, 5, 10, 9), Wib(2026, 5, 12, 9));
        var instants = AndJustBefore(StartOf(2026, 1, 1), Wib(2026, 1, 5, 9), lapseDay, noticed, closedAt, reopenedAt)
            .Append(Wib(2026, 5, 2)).Append(Wib(2026, 5, 11)).ToList();

        Dictionary<(DateTimeOffset, string), Reading> before;
        using (api.ClockAt(reopenedAt)) before = await Read("17.01", instants);

        Guid id;
        using (api.ClockAt(Wib(2026, 1, 5, 9)))
        {
            id = await model.Identify("17.01");
            await model.Contact(id, "reached");
            await model.Enrol(id, new DateOnly(2026, 1, 1));
        }

        // The first command after the lapse day records the lapse before itself.
        using (api.ClockAt(noticed)) await model.Contact(id, "unreachable");
        using (api.ClockAt(closedAt)) await model.Close(id, "moved_away");
        using (api.ClockAt(reopenedAt))
        {
            await model.Reopen(id);
            Assert.Equal(CaseStage.Lapsed, model.Cases[id].Stage);
            await model.AssertStagesAreTheModels();
            var after = await Read("17.01", instants);
            AssertChangeIsTheModels("17.01", before, after, model);

            var secondOfMay = Wib(2026, 5, 2);
            Assert.Equal(1, after[(secondOfMay, "effective")].Regency.Lapsed - before[(secondOfMay, "effective")].Regency.Lapsed);
            Assert.Equal(1, after[(secondOfMay, "recorded")].Regency.Enrolled - before[(secondOfMay, "recorded")].Regency.Enrolled);
        }
    }

    [Fact]
    public async Task the_timeline_gives_month_end_figures_that_match_the_cases()
    {
        var model = new Modelled(api, _utara);
        using var now = api.ClockAt(Wib(2026, 3, 20));
        var before = await Timelines("17.03");

        using (api.ClockAt(Wib(2026, 1, 10))) await model.Identify("17.03");
        using (api.ClockAt(Wib(2026, 2, 10)))
        {
            var id = await model.Identify("17.03");
            await model.Contact(id, "reached");
            await model.Enrol(id, new DateOnly(2026, 2, 1));
        }

        using (api.ClockAt(Wib(2026, 3, 15)))
        {
            // Reached on the last day of February, recorded in March: a February figure on the effective basis only.
            var id = await model.Identify("17.03");
            await model.Contact(id, "reached", occurredAt: Wib(2026, 2, 28, 16));
        }

        await model.AssertStagesAreTheModels();
        var after = await Timelines("17.03");

        var wrong = new List<string>();
        foreach (var ((month, basis), then) in before)
        {
            var end = StartOf(int.Parse(month[..4]), int.Parse(month[5..]), 1).AddMonths(1).AddTicks(-1);
            var expected = model.CountsAt("17.03", basis == "effective", end);
            foreach (var stage in Stages)
            {
                var change = after[(month, basis)].Count(stage) - then.Count(stage);
                if (change != expected.GetValueOrDefault(stage))
                    wrong.Add($"{month} {stage} ({basis}): changed by {change}, the cases sent make {expected.GetValueOrDefault(stage)}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
        Assert.Equal(1, after[("2026-02", "effective")].Contacted - before[("2026-02", "effective")].Contacted);
        Assert.Equal(0, after[("2026-02", "recorded")].Contacted - before[("2026-02", "recorded")].Contacted);
    }

    private async Task<Dictionary<(string Month, string Basis), CoverageRow>> Timelines(string code)
    {
        await api.Host.ProjectionsCaughtUp();
        var figures = new Dictionary<(string, string), CoverageRow>();
        foreach (var (query, basis) in Bases)
        {
            var timeline = await api.Host.Read<CoverageTimeline>(_planner, $"/api/coverage/{code}/timeline?from=2025-12&to=2026-03&basis={query}");
            Assert.Equal((code, basis), (timeline.Code, timeline.Basis));
            Assert.Equal(["2025-12", "2026-01", "2026-02", "2026-03"], timeline.Months.Select(m => m.Month));
            foreach (var month in timeline.Months) figures[(month.Month!, query)] = month;
        }

        return figures;
    }

    [Fact]
    public async Task targets_are_history_a_past_report_keeps_the_target_known_then()
    {
        using (api.ClockAt(Wib(2027, 1, 5))) await SetTarget("17.01", 2027, 1000, "P3KE 2026");
        using (api.ClockAt(Wib(2027, 2, 5))) await SetTarget("17.01", 2027, 1200, "DTSEN 2027");
        using var now = api.ClockAt(Wib(2027, 3, 1));

        var before = RowOf(await Coverage("?asOf=2027-01-20"), "17.01");
        Assert.Equal(new CoverageTarget(1000, "P3KE 2026", 2027), before.Target);
        var known = RowOf(await Coverage("?asOf=2027-01-20&basis=effective"), "17.01");
        Assert.Equal(new CoverageTarget(1200, "DTSEN 2027", 2027), known.Target);

        // Without a target the row says so with explicit nulls, which only the JSON itself shows.
        await api.Host.ProjectionsCaughtUp();
        var early = (await api.Host.Read<JsonElement>(_planner, "/api/coverage?asOf=2027-01-02")).GetProperty("regencies")
            .EnumerateArray().Single(r => r.GetProperty("code").GetString() == "17.01");
        Assert.Equal(JsonValueKind.Null, early.GetProperty("target").ValueKind);
        Assert.Equal(JsonValueKind.Null, early.GetProperty("coverage").GetProperty("ratio").ValueKind);
    }

    [Theory]
    [InlineData("/api/coverage?asOf=last-tuesday", 400)]
    [InlineData("/api/coverage?basis=imagined", 400)]
    [InlineData("/api/coverage/17.99/timeline", 404)]
    [InlineData("/api/coverage/17.03/timeline?from=2026-05&to=2026-01", 400)]
    [InlineData("/api/coverage/17.03/timeline?from=2000-01&to=2026-01", 400)]
    [InlineData("/api/coverage/17/timeline?from=2026-01&to=2026-02", 200)]
    public async Task bad_coverage_queries_are_refused(string url, int status)
    {
        await api.Host.Scenario(s =>
        {
            s.Get.Url(url);
            s.WithBearerToken(_planner);
            s.StatusCodeShouldBe(status);
        });
    }

    [Theory]
    [InlineData("caseworker", 403)]
    [InlineData("auditor", 403)]
    [InlineData("planner", 200)]
    public async Task only_planners_set_targets(string role, int status)
    {
        await api.Host.Scenario(s =>
        {
            s.Put.Json(new { eligibleWorkers = 10, source = "test" }).ToUrl("/api/regencies/17.01/targets/2030");
            s.WithBearerToken(api.Token(role, "17.01"));
            s.StatusCodeShouldBe(status);
        });
    }

    /// <summary>
    /// The daemon writes a page's coverage rows in one statement (ADR 0045): they must be exactly the rows of every stage
    /// change in the store (CoverageChange.Of, what one insert per row wrote before), with their duplicated instants. A
    /// backdated enrolment after a later contact moves the effective counts at more than one instant: several rows.
    /// </summary>
    [Fact]
    public async Task the_coverage_rows_written_a_page_at_a_time_are_the_rows_of_every_stage_change()
    {
        var cases = new Modelled(api, _utara);
        Guid id;
        using (api.ClockAt(Wib(2026, 2, 20)))
        {
            id = await cases.Identify("17.01");
            await cases.Contact(id, "reached");
        }

        using (api.ClockAt(Wib(2026, 3, 5))) await cases.Enrol(id, new DateOnly(2026, 1, 1));
        await api.Host.ProjectionsCaughtUp();

        var store = api.Host.Services.GetRequiredService<IDocumentStore>();
        await using var session = store.QuerySession();
        var changes = await session.Events.QueryAllRawEvents().Where(e => e.EventTypesAre(typeof(CaseStageChanged))).ToListAsync();
        var expected = changes.SelectMany(e => CoverageChange.Of(e.Sequence, (CaseStageChanged)e.Data)).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        var stored = (await session.Query<CoverageChange>().ToListAsync()).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
        Assert.Contains(expected, r => r.Id.EndsWith(":1"));
        Assert.Equal(expected.Select(r => JsonSerializer.Serialize(r)), stored.Select(r => JsonSerializer.Serialize(r)));
        // The indexed columns the "as of" reads use carry the row's own instants, and the type Marten reads it as.
        Assert.Equal(0, await TestSql.ScalarAsync(
            "select count(*) from enrolment.mt_doc_coveragechange where recorded_at is distinct from (data->>'recordedAt')::timestamptz " +
            "or effective_at is distinct from (data->>'effectiveAt')::timestamptz or mt_dotnet_type <> 'EnrolmentCases.Coverage.CoverageChange'"));
        // The insert names its columns: any other column of the table (a new duplicated field) would be left to a default.
        Assert.Empty(await TestSql.NamesAsync(
            "select column_name::text from information_schema.columns where table_schema = 'enrolment' and table_name = 'mt_doc_coveragechange' " +
            "and column_name not in ('id', 'data', 'mt_dotnet_type', 'recorded_at', 'effective_at') and column_default is null"));
    }

    [Fact]
    public async Task aggregates_never_carry_personal_data()
    {
        var nik = Niks.Next("1703");
        await api.Host.IdentifyWorker(_utara, Scenarios.NewWorker(nik, "17.03"));
        await api.Host.ProjectionsCaughtUp();
        var report = (await api.Host.Read<JsonElement>(_planner, "/api/coverage")).GetRawText();
        Assert.DoesNotContain(nik, report);
        Assert.DoesNotContain("Siti", report);
    }

    /// <summary>
    /// The test's own account of one case: each stage change its commands caused, in the order they
    /// were sent, with when it was recorded (the test clock when the command was sent) and when it
    /// takes effect (identification, closure and reopening: the clock; a contact: its occurredAt; an
    /// enrolment: 00:00 WIB of its effectiveDate; a subsidy: 00:00 WIB of the first day of its
    /// startMonth; a lapse: 00:00 WIB of its lapse day).
    /// </summary>
    private sealed class CaseModel(string regency)
    {
        private readonly List<(DateTimeOffset Recorded, DateTimeOffset Effective, CaseStage Stage)> _changes = [];

        public string Regency => regency;
        public CaseStage? Stage => _changes.Count == 0 ? null : _changes[^1].Stage;
        public CaseStage? StageBeforeClosure { get; set; }

        /// <summary>00:00 WIB of the day the membership lapses unless a premium is paid (none is, in these tests).</summary>
        public DateTimeOffset? LapsesAt { get; set; }

        public void Move(CaseStage stage, DateTimeOffset recorded, DateTimeOffset effective)
        {
            if (stage != Stage) _changes.Add((recorded, effective, stage));
        }

        /// <summary>
        /// On either basis: the stage of the latest change sent that counts by the instant. On the
        /// effective basis this is the pull-back rule seen from outside: a change that takes effect
        /// before changes sent earlier overrides them from its instant on.
        /// </summary>
        public CaseStage? StageAt(bool effective, DateTimeOffset at) =>
            _changes.Where(c => (effective ? c.Effective : c.Recorded) <= at).Select(c => (CaseStage?)c.Stage).LastOrDefault();
    }

    /// <summary>Sends commands through the API and keeps the model of every case it touches.</summary>
    private sealed class Modelled(ApiFixture api, string token)
    {
        private const string Header = "nik,fullName,regencyCode,district,village,occupation,phone,source";

        public Dictionary<Guid, CaseModel> Cases { get; } = [];

        private DateTimeOffset Now => api.Clock.GetUtcNow();

        /// <summary>Premiums fall due from the month given; with none paid, the fifth month's first day ends the membership.</summary>
        private static DateTimeOffset LapseDayFor(int year, int month) => StartOf(year, month, 1).AddMonths(4);

        public Dictionary<CaseStage, int> CountsAt(string regency, bool effective, DateTimeOffset at) =>
            Cases.Values.Where(c => c.Regency == regency)
                .Select(c => c.StageAt(effective, at)).OfType<CaseStage>()
                .GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());

        public async Task<Guid> Identify(string regency)
        {
            var id = await api.Host.IdentifyWorker(token, Scenarios.NewWorker(Niks.Next(regency.Replace(".", "")), regency));
            Cases[id] = new CaseModel(regency);
            Cases[id].Move(CaseStage.Identified, Now, Now);
            return id;
        }

        /// <summary>Imports rows for new workers as text/csv and waits for the import to finish.</summary>
        public async Task<List<Guid>> Import(string regency, int rows)
        {
            var lines = Enumerable.Range(0, rows)
                .Select(_ => $"{Niks.Next(regency.Replace(".", ""))},Rina Marlina,{regency},Arga Makmur,Desa Kemumu,fisher,0812-5555-6666,VILLAGE_LIST");
            var importId = await api.Host.StartImport(token, string.Join("\n", lines.Prepend(Header)));
            var view = await api.Host.FinishedImport(api.Token("auditor"), importId);
            Assert.Equal(ImportStatus.Completed, view.Status);

            var created = view.Rows.Where(r => r.Outcome == RowOutcome.Created).Select(r => r.CaseId!.Value).ToList();
            foreach (var id in created)
            {
                Cases[id] = new CaseModel(regency);
                Cases[id].Move(CaseStage.Identified, Now, Now);
            }

            return created;
        }

        public async Task Contact(Guid id, string outcome, DateTimeOffset? occurredAt = null)
        {
            var model = BeforeCommand(id);
            object body = occurredAt is { } at ? new { channel = "visit", outcome, occurredAt = at } : new { channel = "visit", outcome };
            await api.Host.Command(token, id, "contact-attempts", body);
            if (outcome == "reached" && model.Stage == CaseStage.Identified) model.Move(CaseStage.Contacted, Now, occurredAt ?? Now);
        }

        public async Task Enrol(Guid id, DateOnly effectiveDate)
        {
            var model = BeforeCommand(id);
            await api.Host.Enrol(token, id, effectiveDate.ToString("yyyy-MM-dd"));
            model.Move(CaseStage.Enrolled, Now, StartOf(effectiveDate.Year, effectiveDate.Month, effectiveDate.Day));
            model.LapsesAt = LapseDayFor(effectiveDate.Year, effectiveDate.Month);
        }

        public async Task Subsidise(Guid id, int year, int startMonth, int months)
        {
            var model = BeforeCommand(id);
            await api.Host.Command(token, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-{startMonth:00}", months));
            model.Move(CaseStage.Subsidized, Now, StartOf(year, startMonth, 1));
            model.LapsesAt = LapseDayFor(year, startMonth);
        }

        public async Task Close(Guid id, string reason)
        {
            var model = BeforeCommand(id);
            if (model.Stage == CaseStage.Subsidized) throw new NotSupportedException("closing a subsidised case ends its subsidy first; not modelled");
            model.StageBeforeClosure = model.Stage;
            await api.Host.Command(token, id, "closure", new { reason });
            model.Move(CaseStage.Closed, Now, Now);
        }

        public async Task Reopen(Guid id)
        {
            var model = BeforeCommand(id);
            await api.Host.Command(token, id, "reopening", new { note = "came back" });
            model.Move(model.StageBeforeClosure!.Value, Now, Now);
            model.StageBeforeClosure = null;
        }

        /// <summary>A command on a case whose lapse day has come records the lapse first: recorded now, effective on the lapse day.</summary>
        private CaseModel BeforeCommand(Guid id)
        {
            var model = Cases[id];
            if (LapseDue(model)) model.Move(CaseStage.Lapsed, Now, model.LapsesAt!.Value);
            return model;
        }

        private bool LapseDue(CaseModel model) => model.Stage is CaseStage.Enrolled or CaseStage.Subsidized && model.LapsesAt <= Now;

        /// <summary>Guards the model itself: each case's stage as the API shows it now is the one the model ended in.</summary>
        public async Task AssertStagesAreTheModels()
        {
            foreach (var (id, model) in Cases)
            {
                var shown = (await api.Host.GetCase(token, id)).Stage;
                Assert.Equal(LapseDue(model) ? CaseStage.Lapsed : model.Stage, shown);
            }
        }
    }
}
