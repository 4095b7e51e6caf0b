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
public class DemoDataLoad(DemoFixture demo, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task the_insurers_sample_file_reconciles_with_the_drift_it_was_written_with()
    {
        var plan = DemoPlan.Cases(DemoFixture.Scale, 16_800, 0.3);
        var csv = DemoInsurerFile.Csv(plan);
        // What the file says against what the plan ends in, counted here without the API.
        var ours = plan.Where(c => c.Steps.Any(s => s.Command is EnrolmentCases.Cases.Enrolling.EnrolWorker)).ToDictionary(
            c => c.Steps.Select(s => s.Command).OfType<EnrolmentCases.Cases.Enrolling.EnrolWorker>().Single().MembershipNumber!,
            c => (Active: c.FinalStage is CaseStage.Enrolled or CaseStage.Subsidized,
                PaidThrough: c.Steps.Select(s => s.Command).OfType<EnrolmentCases.Payments.RecordPremiumPayment>().Max(p => p.Month) ?? ""));
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        var known = rows.Where(r => ours.ContainsKey(r[0])).ToList();
        var expectedDrift = known.Count(r => (r[2] == "active") != ours[r[0]].Active || r[3] != ours[r[0]].PaidThrough);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var client = demo.Host.Client(demo.Token("planner"));
        var response = await client.PostAsync("/api/reconciliations?fileName=insurer-status-2026-11.csv",
            new StringContent(csv, System.Text.Encoding.UTF8, "text/csv"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var id = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<EnrolmentCases.Reconciliations.ReconciliationAccepted>(response.Content))!.Id;
        var auditor = demo.Token("auditor");
        EnrolmentCases.Reconciliations.ReconciliationView view;
        do
        {
            await Task.Delay(100);
            view = await demo.Host.Read<EnrolmentCases.Reconciliations.ReconciliationView>(auditor, $"/api/reconciliations/{id}?pageSize=1");
        } while (view.Status is EnrolmentCases.Imports.ImportStatus.Queued or EnrolmentCases.Imports.ImportStatus.Running);
        output.WriteLine($"{view.Total} rows ({known.Count} matched) reconciled in {clock.ElapsedMilliseconds} ms");

        Assert.Equal(EnrolmentCases.Imports.ImportStatus.Completed, view.Status);
        Assert.Equal((known.Count, expectedDrift, rows.Count - known.Count, 0), (view.Counts.Matched, view.Counts.Drift, view.Counts.Unknown, view.Counts.Invalid));
        Assert.InRange((double)expectedDrift / known.Count, 0.02, 0.15);
        Assert.Equal(expectedDrift, view.Regencies.Sum(r => r.ActiveHereInactiveThere + r.InactiveHereActiveThere) +
                                    view.Regencies.Sum(r => r.PaidThroughDiffers) - Overlap(known, ours));
    }

    /// <summary>Rows that drift in status and in paid-through month at once (counted in two kinds, one row).</summary>
    private static int Overlap(List<string[]> known, Dictionary<string, (bool Active, string PaidThrough)> ours) =>
        known.Count(r => (r[2] == "active") != ours[r[0]].Active && r[3] != ours[r[0]].PaidThrough);

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
            var deltas = (await session.Query<CoverageChange>().ToListAsync()).OrderBy(d => d.Id).Select(x => JsonSerializer.Serialize(x));
            var cases = (await session.Query<EnrolmentCases.Cases.GettingDetails.CaseDetails>().ToListAsync()).OrderBy(c => c.Id).Select(x => JsonSerializer.Serialize(x));
            return string.Join('\n', months.Concat(deltas).Concat(cases));
        }

        var before = await Snapshot();
        using var daemon = await store.BuildProjectionDaemonAsync();
        // The coverage read models are one composite (ADR 0055): rebuilt together, by its name.
        await daemon.RebuildProjectionAsync(EnrolmentCases.Coverage.Configuration.CoverageComposite, CancellationToken.None);
        await daemon.RebuildProjectionAsync<EnrolmentCases.Cases.GettingDetails.CaseDetails>(CancellationToken.None);
        Assert.Equal(before, await Snapshot());
        Assert.True(before.Length > 10_000);
    }
}
