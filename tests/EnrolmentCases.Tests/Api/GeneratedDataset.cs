using System.Text.Json;
using EnrolmentCases.Cases;
using EnrolmentCases.DemoData;
using EnrolmentCases.Forecast;
using EnrolmentCases.Money;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host on a schema of its own, into which the generator writes a small dataset straight into the event store.</summary>
public sealed class GeneratedDatasetFixture() : HostFixture(Schema, new DemoClock { Default = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(7)) })
{
    public const string Schema = "generated_check";
    public const int Cases = 2_000;

    public GeneratedDataset Generated { get; private set; } = null!;

    protected override async Task SeedAsync()
    {
        var generator = ActivatorUtilities.CreateInstance<DatasetGenerator>(Host.Services);
        Assert.True(await generator.StoreIsEmptyAsync(CancellationToken.None));
        Generated = await generator.WriteAsync(Cases, 7, null, 300, null, CancellationToken.None);
        // The running host's daemon applies the new events to the async projections; the inline ones are rebuilt.
        await generator.RebuildAsync(TimeSpan.FromMinutes(5), true, null, CancellationToken.None);
        await Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(120));
    }
}

[CollectionDefinition(Name)]
public sealed class GeneratedDatasetCollection : ICollectionFixture<GeneratedDatasetFixture>
{
    public const string Name = "generated-dataset";
}

/// <summary>
/// The generator (ADR 0032) writes cases and their life events with bulk COPY, not through the commands; every read
/// through the API must still show exactly what was generated, and the audit chain must verify over it.
/// </summary>
[Collection(GeneratedDatasetCollection.Name)]
public class GeneratedDatasetReads(GeneratedDatasetFixture data)
{
    /// <summary>
    /// The generator leaves its event table analyzed (ADR 0052): the rebuild after it plans its reads of events on those
    /// statistics. Only an explicit ANALYZE sets last_analyze (autovacuum sets last_autoanalyze).
    /// </summary>
    [Fact]
    public async Task the_generated_store_is_analyzed_for_the_rebuild_that_follows()
    {
        Assert.Equal(["mt_events", "mt_streams"], await TestSql.NamesAsync(
            $"select relname from pg_stat_user_tables where schemaname = '{GeneratedDatasetFixture.Schema}' " +
            "and relname in ('mt_events', 'mt_streams') and last_analyze is not null order by relname"));
    }

    [Fact]
    public async Task coverage_shows_every_stage_and_target_that_was_generated()
    {
        var report = await data.Host.Coverage(data.Token("planner"));
        var generated = data.Generated;
        Assert.Equal(GeneratedDatasetFixture.Cases, generated.Cases);
        foreach (var row in report.Regencies)
        {
            foreach (var stage in Enum.GetValues<CaseStage>())
                Assert.True(generated.ByStage.GetValueOrDefault((row.Code, stage)) == row.Count(stage),
                    $"{row.Code} {stage}: generated {generated.ByStage.GetValueOrDefault((row.Code, stage))}, reported {row.Count(stage)}");
            Assert.Equal(generated.EligibleWorkers[row.Code], row.Target?.EligibleWorkers);
        }

        // Every kind of story is there.
        foreach (var stage in new[] { CaseStage.Identified, CaseStage.Contacted, CaseStage.Enrolled, CaseStage.Subsidized, CaseStage.Lapsed, CaseStage.Closed })
            Assert.True(generated.ByStage.Where(x => x.Key.Stage == stage).Sum(x => x.Value) > 0, stage.ToString());
    }

    [Fact]
    public async Task a_caseworkers_worklist_holds_the_regencys_generated_cases_and_decrypts_them()
    {
        var kaur = await data.Host.Worklist(data.Token("caseworker", "17.04"), "?pageSize=50");
        Assert.Equal(data.Generated.ByStage.Where(x => x.Key.Regency == "17.04").Sum(x => x.Value), kaur.Total);
        Assert.All(kaur.Items, c =>
        {
            Assert.Equal("17.04", c.RegencyCode);
            Assert.Matches("^[0-9]{16}$", c.Nik);
            Assert.False(string.IsNullOrWhiteSpace(c.FullName));
        });

        var contacted = await data.Host.Worklist(data.Token("caseworker", "17.04"), "?stage=contacted&pageSize=50");
        Assert.Equal(data.Generated.ByStage.GetValueOrDefault(("17.04", CaseStage.Contacted)), contacted.Total);
    }

    [Fact]
    public async Task the_forecast_counts_the_generated_subsidy_cohorts()
    {
        var forecast = await data.Host.Read<JsonElement>(data.Token("planner"), "/api/subsidy-forecast?year=2026");
        var workers = forecast.GetProperty("province").GetProperty("subsidizedWorkers");
        Assert.Equal(data.Generated.Cohorts.Where(c => c.Payer == Payer.ApbdRegency).Sum(c => c.Workers), workers.GetProperty("regency").GetInt64());
        Assert.Equal(data.Generated.Cohorts.Where(c => c.Payer == Payer.ApbdProvince).Sum(c => c.Workers), workers.GetProperty("province").GetInt64());
    }

    /// <summary>
    /// The cohort counts (ADR 0042) against the grouping the forecast made before them, over the case views' subsidies:
    /// the same cohort, so the same forecast, figure for figure.
    /// </summary>
    [Fact]
    public async Task the_forecasts_cohort_counts_answer_as_the_case_views_grouped_did()
    {
        await using var session = data.Store.QuerySession();
        foreach (var year in new[] { 2025, 2026, 2027 })
        {
            var counted = await SubsidyCohort.OfYearAsync(session, year, CancellationToken.None);
            var grouped = await CohortFromCaseViewsAsync(session, year);
            Assert.Equal(Sorted(grouped), Sorted(counted));
            var regencies = data.Host.Services.GetRequiredService<EnrolmentCases.Regencies.ReferenceData>().Regencies
                .Select(r => new RegencyInputs(r.Code, r.Name, 10, 100)).ToList();
            ForecastInputs Inputs(IReadOnlyList<CohortMember> cohort) => new(year, 0.39, 0.3, 16_800, "17", "Bengkulu", regencies, cohort,
                regencies.ToDictionary(r => r.Code, _ => new Allocation(1_000_000, 0, 0, 1_000_000)), new Allocation(2_000_000, 0, 0, 2_000_000));
            Assert.Equal(JsonSerializer.Serialize(SubsidyForecast.Calculate(Inputs(grouped))),
                JsonSerializer.Serialize(SubsidyForecast.Calculate(Inputs(counted))));
        }

        Assert.True(data.Generated.Cohorts.Sum(c => c.Workers) > 0);
    }

    private static List<string> Sorted(IEnumerable<CohortMember> cohort) =>
        cohort.Where(m => m.Workers != 0).Select(m => m.ToString()).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// The forecast's grouping before ADR 0042, from the case views themselves: every view with a subsidy of the year,
    /// grouped by regency, payer, start month and premium (the cohort column of ADR 0028 is gone since ADR 0046).
    /// </summary>
    private static async Task<IReadOnlyList<CohortMember>> CohortFromCaseViewsAsync(IQuerySession session, int year)
    {
        var views = await session.Query<EnrolmentCases.Cases.GettingDetails.CaseDetails>().Where(c => c.Subsidy != null)
            .ToListAsync(CancellationToken.None);
        return views.Where(v => v.Subsidy!.BudgetYear == year)
            .GroupBy(v => (v.RegencyCode, v.Subsidy!.Payer, v.Subsidy.StartMonth, v.Subsidy.MonthlyPremium))
            .Select(g => new CohortMember(g.Key.RegencyCode, g.Key.Payer, g.Key.StartMonth, g.Key.MonthlyPremium, g.LongCount()))
            .ToList();
    }

    [Fact]
    public async Task a_cases_history_holds_every_generated_event()
    {
        var auditor = data.Token("auditor");
        foreach (var (caseId, events) in data.Generated.EventsOfSampleCases.Take(5))
        {
            var history = await data.Host.History(auditor, caseId);
            Assert.Equal(events, history.Events.Count);
            Assert.Equal(Enumerable.Range(1, events).Select(v => (long)v), history.Events.Select(e => e.Version));
            var details = await data.Host.GetCase(auditor, caseId);
            Assert.Equal(events, details.Version);
        }
    }

    [Fact]
    public async Task the_audit_chain_verifies_over_the_generated_events()
    {
        await data.Host.Services.GetRequiredService<EnrolmentCases.Audit.AuditSealer>().SealAsync(CancellationToken.None);
        var report = await data.Host.VerifyChain(data.Token("auditor"));
        Assert.True(report.Valid, JsonSerializer.Serialize(report.Breaks.Take(5)));
        Assert.Equal(data.Generated.Events, report.EventsChecked);
        Assert.True(report.SnapshotsChecked >= GeneratedDatasetFixture.Cases, report.ToString());
    }

    [Fact]
    public async Task a_second_run_refuses_a_store_that_holds_events()
    {
        var generator = ActivatorUtilities.CreateInstance<DatasetGenerator>(data.Host.Services);
        Assert.False(await generator.StoreIsEmptyAsync(CancellationToken.None));
    }
}
