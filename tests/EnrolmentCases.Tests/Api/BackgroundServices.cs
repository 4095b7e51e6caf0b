using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

[CollectionDefinition(Name)]
public sealed class BackgroundServicesCollection
{
    public const string Name = "background-services";
}

/// <summary>
/// The audit sealer and the lapse sweep as the application wires them: agents the cluster starts on
/// the host, with nobody calling them. Two short-lived hosts, one after the other, on a schema of
/// their own (a single node, so it runs every agent).
/// </summary>
[Collection(BackgroundServicesCollection.Name)]
public class BackgroundServices
{
    private const string Schema = "background_check";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 9) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));

    /// <summary>Where both hosts of a run publish the chain's head, as the nodes of one database would.</summary>
    private readonly string _anchors = Path.Combine(Path.GetTempPath(), "enrolment-anchors", TestRun.Id, Schema);

    private Task<IAlbaHost> StartHost(TestClock clock, int sweepIntervalMinutes, int sealIntervalSeconds, int anchorIntervalSeconds = 0) =>
        AlbaHost.For<Program>(web =>
        {
            web.UseSetting("Audit:Anchors:Directory", _anchors);
            web.UseSetting("Audit:Anchors:IntervalSeconds", anchorIntervalSeconds.ToString());
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", Schema);
            web.UseSetting("Lapse:SweepIntervalMinutes", sweepIntervalMinutes.ToString());
            web.UseSetting("Audit:SealIntervalSeconds", sealIntervalSeconds.ToString());
            web.UseSetting("RateLimiting:PermitLimit", "100000");
            web.ConfigureServices(services => services.AddSingleton<TimeProvider>(clock));
        });

    /// <summary>Reads the case's history until it satisfies the condition, for at most 15 s.</summary>
    private static async Task<IReadOnlyList<HistoryEntry>> HistoryOnceItHolds(IAlbaHost host, string auditor, Guid id,
        Func<IReadOnlyList<HistoryEntry>, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var events = (await host.History(auditor, id)).Events;
            if (condition(events)) return events;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{what} within {Patience.TotalSeconds} s; history: {string.Join(", ", events.Select(e => e.ToString()))}");
            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task the_sealer_seals_new_events_by_itself_and_the_lapse_sweep_runs_when_a_host_starts()
    {
        Guid id;
        int eventsBeforeTheSweep;
        await using (var host = await StartHost(new TestClock(Wib(2026, 1, 5)), sweepIntervalMinutes: 0, sealIntervalSeconds: 1, anchorIntervalSeconds: 1))
        {
            await host.ResetAllDataAsOwnerAsync();
            // Anchors describe the data they were published from: none of data the reset removed.
            if (Directory.Exists(_anchors)) Directory.Delete(_anchors, recursive: true);
            var tokens = new HostTokens(host);
            var kaur = tokens.Token("caseworker", "17.04");
            var auditor = tokens.Token("auditor");

            id = await host.EnrolledCase(kaur, effectiveDate: "2026-01-01");

            // Nothing asks for a seal (the history shows the hashes there are, and an unsealed event has none): the sealer does it on its own.
            var sealedHistory = await HistoryOnceItHolds(host, auditor, id,
                events => events.Count > 0 && events.All(e => e.Hash is not null),
                "the background sealer did not seal the case's events");
            eventsBeforeTheSweep = sealedHistory.Count;
            Assert.Equal(6, eventsBeforeTheSweep); // identified, contacted, enrolled: each with its stage change

            var verification = await host.VerifyChain(auditor);
            Assert.True(verification.Valid, verification.ToString());
            Assert.Equal(0, verification.UnsealedEvents);
            Assert.True(verification.EventsChecked >= eventsBeforeTheSweep, verification.ToString());

            // Nobody asks for an anchor either: the publisher appends the sealed head to the folder on its own, and verification reads it.
            var deadline = DateTime.UtcNow + Patience;
            while (!Directory.Exists(_anchors) || !Directory.GetFiles(_anchors, "anchors-*.ndjson")
                       .Any(f => File.ReadAllText(f).Contains($"\"sequence\":{verification.HeadSequence},")))
            {
                if (DateTime.UtcNow > deadline) Assert.Fail($"no anchor of the head {verification.HeadSequence} was published within {Patience.TotalSeconds} s");
                await Task.Delay(250);
            }

            var anchored = await host.VerifyChain(auditor);
            Assert.True(anchored.Valid, anchored.ToString());
            Assert.True(anchored.AnchorsChecked >= 1, anchored.ToString());
            Assert.Equal(verification.HeadSequence, anchored.LatestAnchor!.Sequence);
        }

        // Premiums were due from January and none was paid: the membership lapsed on 1 May. A host
        // starting on 2 May with the sweep on records it at start-up, before anyone touches the case.
        await using (var host = await StartHost(new TestClock(Wib(2026, 5, 2)), sweepIntervalMinutes: 60, sealIntervalSeconds: 0))
        {
            var tokens = new HostTokens(host);
            var auditor = tokens.Token("auditor");
            var events = await HistoryOnceItHolds(host, auditor, id,
                events => events.Any(e => e.Type == "case_lapsed"),
                "the lapse sweep did not record the due lapse at start-up");

            var lapsed = events.Single(e => e.Type == "case_lapsed");
            Assert.Equal(eventsBeforeTheSweep + 1, lapsed.Version);
            Assert.StartsWith("system:", lapsed.User);
            var data = (JsonElement)lapsed.Data;
            Assert.Equal("2026-05-01", data.GetProperty("effectiveOn").GetString());
            Assert.Equal(4, data.GetProperty("unpaidMonths").GetInt32());

            // Recorded, not just evaluated on read: the worklist, which filters on the stored stage, lists it as lapsed.
            var worklist = await host.Worklist(auditor, "?regency=17.04&stage=lapsed");
            Assert.Contains(worklist.Items, c => c.Id == id);

            // The sweep's event carries its MAC like a command's, and the first host's anchors still hold.
            var verification = await host.VerifyChain(auditor);
            Assert.True(verification.Valid, verification.ToString());
            Assert.True(verification.AnchorsChecked >= 1, verification.ToString());
        }
    }
}
