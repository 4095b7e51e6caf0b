using System.Text.Json;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.DemoData;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host of its own, on a schema of its own, loaded once with the demo data.</summary>
public sealed class DemoFixture() : HostFixture("demo_check", new DemoClock { Default = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(7)) })
{
    public const double Scale = 0.02;
    public DemoSummary Summary { get; private set; } = null!;

    protected override async Task SeedAsync()
    {
        // The demo calls the API like any client; each lane's instants flow with its calls into the server.
        Host.Server.PreserveExecutionContext = true;
        var loader = ActivatorUtilities.CreateInstance<DemoLoader>(Host.Services, Host.Server.CreateClient());
        Summary = await loader.LoadAsync(Scale, 4, CancellationToken.None);
        await Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(120));
    }
}

[CollectionDefinition(Name)]
public sealed class DemoCollection : ICollectionFixture<DemoFixture>
{
    public const string Name = "demo";
}

[Collection(DemoCollection.Name)]
public class DemoDataLoad(DemoFixture demo)
{
    [Fact]
    public async Task the_demo_reproduces_the_articles_coverage_through_the_real_commands()
    {
        var report = await demo.Host.Coverage(demo.Token("planner"));
        var ratio = (CoverageRow row) => row.Coverage.Ratio ?? throw new InvalidOperationException($"{row.Code} has no coverage ratio");
        var regencies = report.Regencies.ToDictionary(r => r.Code);

        Assert.InRange(ratio(report.Province), 0.365, 0.375);
        Assert.InRange(ratio(regencies["17.04"]), 0.745, 0.755);
        Assert.InRange(ratio(regencies["17.07"]), 0.165, 0.175);
        Assert.Equal("17.04", regencies.MaxBy(r => ratio(r.Value)).Key);
        Assert.Equal("17.07", regencies.MinBy(r => ratio(r.Value)).Key);

        // Every stage count is what the plan's stories end in.
        var plan = DemoPlan.Cases(DemoFixture.Scale, 16_800, 0.3);
        foreach (var (code, row) in regencies)
        {
            foreach (var stage in Enum.GetValues<CaseStage>())
            {
                var expected = plan.Count(c => c.RegencyCode == code && c.FinalStage == stage);
                Assert.True(expected == row.Count(stage), $"{code} {stage}");
            }

            var planned = DemoPlan.Regencies.Single(r => r.Code == code);
            Assert.Equal(DemoPlan.Eligible(planned, DemoFixture.Scale), row.Target?.EligibleWorkers);
        }
    }

    [Fact]
    public async Task budgets_follow_the_seventy_thirty_split_and_add_up()
    {
        await using var session = demo.Host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var budgets = await session.Query<EnrolmentCases.Budgets.Budget>().Where(b => b.Year == 2026).ToListAsync();
        var regency = budgets.Where(b => b.Payer == EnrolmentCases.Money.Payer.ApbdRegency).Sum(b => b.Committed);
        var province = budgets.Where(b => b.Payer == EnrolmentCases.Money.Payer.ApbdProvince).Sum(b => b.Committed);
        Assert.InRange((double)province / (regency + province), 0.2, 0.4);
        Assert.All(budgets, b =>
        {
            Assert.InRange(b.Remaining, 0, b.Allocated);
            Assert.InRange(b.Paid, 1, b.Committed);
        });
    }

    [Fact]
    public async Task every_event_the_demo_wrote_carries_a_mac_that_verifies_and_every_budget_matches_its_events()
    {
        // Commands of four lanes at once, grants racing on shared budgets, and the sweep: all signed.
        var report = await demo.Host.VerifyChain(demo.Token("auditor"));
        Assert.True(report.Valid, JsonSerializer.Serialize(report.Breaks.Take(5)));
        Assert.True(report.EventsChecked > 1_000, report.ToString());
        Assert.True(report.SnapshotsChecked > demo.Summary.Cases, report.ToString());
    }

    [Fact]
    public async Task a_rebuild_of_every_projection_reproduces_the_live_read_models()
    {
        var store = demo.Host.Services.GetRequiredService<IDocumentStore>();
        async Task<string> Snapshot()
        {
            await using var session = store.QuerySession();
            var months = (await session.Query<CoverageMonth>().ToListAsync()).OrderBy(m => m.Id).Select(x => JsonSerializer.Serialize(x));
            var deltas = (await session.Query<CoverageDelta>().ToListAsync()).OrderBy(d => d.Id).Select(x => JsonSerializer.Serialize(x));
            var cases = (await session.Query<EnrolmentCases.Cases.GettingDetails.CaseDetails>().ToListAsync()).OrderBy(c => c.Id).Select(x => JsonSerializer.Serialize(x));
            return string.Join('\n', months.Concat(deltas).Concat(cases));
        }

        var before = await Snapshot();
        using var daemon = await store.BuildProjectionDaemonAsync();
        await daemon.RebuildProjectionAsync<CoverageMonthProjection>(CancellationToken.None);
        await daemon.RebuildProjectionAsync<CoverageDeltaProjection>(CancellationToken.None);
        await daemon.RebuildProjectionAsync<EnrolmentCases.Cases.GettingDetails.CaseDetails>(CancellationToken.None);
        Assert.Equal(before, await Snapshot());
        Assert.True(before.Length > 10_000);
    }
}
