using EnrolmentCases.Lapses.Risk;
using Microsoft.Extensions.DependencyInjection;
using Marten;
using Wolverine;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A host on a schema of its own: the job records a list for every regency of the store, so only this
/// collection's cases may be in it. Its schedule stays off at start (HostFixture); the tests run the job and
/// the scheduling at the instants they choose.
/// </summary>
public sealed class DailyLapseRiskFixture() : HostFixture(Schema, new TestClock(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.FromHours(7))))
{
    public const string Schema = "daily_lapse_risk";

    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["LapseRisk:Daily:At"] = "06:00";
        settings["LapseRisk:Daily:WithinDays"] = "30";
    }
}

[CollectionDefinition(Name)]
public sealed class DailyLapseRiskCollection : ICollectionFixture<DailyLapseRiskFixture>
{
    public const string Name = "daily-lapse-risk";
}

[Collection(DailyLapseRiskCollection.Name)]
public class DailyLapseRiskLists(DailyLapseRiskFixture api)
{
    private static DateTimeOffset Wib(int year, int month, int day, int hour = 6, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.FromHours(7));

    private readonly string _kaur = api.Token("caseworker", "17.04");
    private readonly string _lebong = api.Token("caseworker", "17.07");

    private async Task<Dictionary<string, DailyLapseRisk>> ListsOn(DateOnly day)
    {
        await using var session = api.Store.QuerySession();
        return (await session.Query<DailyLapseRisk>().Where(d => d.On == day).ToListAsync()).ToDictionary(d => d.RegencyCode);
    }

    [Fact]
    public async Task the_daily_job_records_each_regencys_list_once_a_day_and_it_equals_an_independent_count()
    {
        // The day each membership lapses unless paid, worked out by hand: the first day of the month after four
        // unpaid months (the grace of three, then the month that ends it), counted from the month after the last paid one.
        var lapsesOn = new Dictionary<Guid, (string Regency, DateOnly Day)>();
        using (api.ClockAt(Wib(2026, 1, 5, 9)))
        {
            lapsesOn[await api.Host.EnrolledCase(_kaur, "17.04", "2026-01-01")] = ("17.04", new DateOnly(2026, 5, 1)); // nothing paid
            var paid = await api.Host.EnrolledCase(_kaur, "17.04", "2026-01-01");
            foreach (var month in new[] { "2026-01", "2026-02" })
                await api.Host.Command(_kaur, paid, "premium-payments", new { month, amount = 16_800, paidOn = "2026-01-05" });
            lapsesOn[paid] = ("17.04", new DateOnly(2026, 7, 1));
            await api.Host.IdentifyWorker(_kaur); // no membership, never at risk
        }

        using (api.ClockAt(Wib(2026, 2, 3, 9)))
            lapsesOn[await api.Host.EnrolledCase(_lebong, "17.07", "2026-02-01")] = ("17.07", new DateOnly(2026, 6, 1));

        var job = api.Host.Services.GetRequiredService<DailyLapseRiskJob>();
        var regencies = api.Host.Services.GetRequiredService<EnrolmentCases.Regencies.ReferenceData>().Regencies.Select(r => r.Code).ToList();

        async Task CheckDay(DateOnly day)
        {
            var lists = await ListsOn(day);
            Assert.Equal(regencies.Order(), lists.Keys.Order());
            foreach (var code in regencies)
            {
                var expected = lapsesOn.Where(c => c.Value.Regency == code && c.Value.Day > day && c.Value.Day <= day.AddDays(30))
                    .Select(c => c.Key).Order().ToList();
                var list = lists[code];
                Assert.Equal(expected, list.Items.Select(i => i.CaseId).Order());
                Assert.Equal(new DailyLapseRiskCounts(expected.Count, expected.Count, 0, 0, 0), list.Counts);
                Assert.All(list.Items, i => Assert.Equal(lapsesOn[i.CaseId].Day, i.LapsesOn));
                Assert.Equal(30, list.WithinDays);
            }
        }

        var april10 = new DateOnly(2026, 4, 10);
        using (api.ClockAt(Wib(2026, 4, 10)))
        {
            // The scheduled message itself, as Wolverine delivers it when due.
            using (var scope = api.Host.Services.CreateScope())
                await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new RecordDailyLapseRisk());
            await CheckDay(april10);
            Assert.Single(lapsesOn, c => c.Value.Regency == "17.04" && c.Value.Day == new DateOnly(2026, 5, 1));

            // The same list the live route gives for the day.
            var live = await api.Host.Read<LapseRisk>(api.Token("auditor"), "/api/lapse-risk?regency=17.04&withinDays=30&pageSize=200");
            Assert.Equal(live.Items, (await ListsOn(april10))["17.04"].Items);
        }

        using (api.ClockAt(Wib(2026, 4, 10, 18)))
        {
            // A membership enrolled later that day, backdated, lapses within the window too; a second run that day changes nothing.
            var before = await ListsOn(april10);
            var late = await api.Host.EnrolledCase(_kaur, "17.04", "2026-01-01");
            Assert.Equal(0, await job.RecordAsync(CancellationToken.None));
            var after = await ListsOn(april10);
            Assert.All(regencies, code =>
            {
                Assert.Equal(before[code].RecordedAt, after[code].RecordedAt);
                Assert.Equal(before[code].Items, after[code].Items);
            });
            Assert.DoesNotContain(after["17.04"].Items, i => i.CaseId == late);
            lapsesOn[late] = ("17.04", new DateOnly(2026, 5, 1));
        }

        foreach (var day in new[] { new DateOnly(2026, 4, 11), new DateOnly(2026, 5, 5), new DateOnly(2026, 6, 5) })
        {
            using (api.ClockAt(Wib(day.Year, day.Month, day.Day)))
            {
                Assert.Equal(regencies.Count, await job.RecordAsync(CancellationToken.None));
                await CheckDay(day);
            }
        }

        // What planners read: their regency's list, by case id only.
        using (api.ClockAt(Wib(2026, 6, 5, 12)))
        {
            var kaurPlanner = api.Token("planner", "17.04");
            var list = await api.Host.Read<DailyLapseRiskList>(kaurPlanner, "/api/lapse-risk/daily?regency=17.04&on=2026-04-11");
            Assert.Equal(2, list.Total);
            Assert.Equal(new DateOnly(2026, 4, 11), list.On);
            var today = await api.Host.Read<DailyLapseRiskList>(api.Token("auditor"), "/api/lapse-risk/daily?regency=17.04");
            Assert.Equal(new DateOnly(2026, 6, 5), today.On);
            var firstPage = await api.Host.Read<DailyLapseRiskList>(api.Token("planner"), "/api/lapse-risk/daily?regency=17.04&on=2026-04-11&pageSize=1");
            Assert.Equal((2L, 1), (firstPage.Total, firstPage.Items.Count));

            var body = await (await api.Host.Scenario(s =>
            {
                s.Get.Url("/api/lapse-risk/daily?regency=17.04&on=2026-04-11");
                s.WithBearerToken(kaurPlanner);
            })).ReadAsTextAsync();
            Assert.DoesNotContain("Siti", body);
            Assert.DoesNotContain("nik", body, StringComparison.OrdinalIgnoreCase);

            foreach (var (token, url, status) in new[]
                     {
                         (api.Token("planner", "17.07"), "/api/lapse-risk/daily?regency=17.04&on=2026-04-11", 403),
                         (kaurPlanner, "/api/lapse-risk/daily?regency=17.04&on=2026-04-09", 404),
                         (kaurPlanner, "/api/lapse-risk/daily?on=2026-04-11", 400),
                         (kaurPlanner, "/api/lapse-risk/daily?regency=18.01", 400),
                     })
                await api.Host.Scenario(s =>
                {
                    s.Get.Url(url);
                    s.WithBearerToken(token);
                    s.StatusCodeShouldBe(status);
                });
        }
    }

    [Fact]
    public async Task the_job_keeps_one_run_pending_for_the_next_days_configured_time_in_wib()
    {
        var schedule = api.Host.Services.GetRequiredService<DailyLapseRiskSchedule>();
        await TestSql.ExecuteAsync(
            $"delete from {DailyLapseRiskFixture.Schema}.wolverine_incoming_envelopes where message_type = '{RecordDailyLapseRisk.Name}'");

        using (api.ClockAt(Wib(2026, 3, 2, 6, 30)))
        {
            var asked = DateTimeOffset.UtcNow;
            Assert.Equal(Wib(2026, 3, 3), await schedule.EnsureNextAsync(CancellationToken.None));
            // Already pending: a second node starting, or a run racing a start, adds none.
            Assert.Null(await schedule.EnsureNextAsync(CancellationToken.None));
            Assert.Equal(1, await schedule.PendingAsync(CancellationToken.None));

            // Stored as a durable scheduled message, due 23.5 hours after it was asked for (by the system clock Wolverine keeps).
            var due = (DateTime)(await TestSql.ValueAsync(
                $"select execution_time from {DailyLapseRiskFixture.Schema}.wolverine_incoming_envelopes where message_type = '{RecordDailyLapseRisk.Name}'"))!;
            var expected = asked + TimeSpan.FromHours(23.5);
            Assert.InRange(new DateTimeOffset(DateTime.SpecifyKind(due, DateTimeKind.Utc)), expected.AddMinutes(-1), expected.AddMinutes(5));
        }

        await TestSql.ExecuteAsync(
            $"delete from {DailyLapseRiskFixture.Schema}.wolverine_incoming_envelopes where message_type = '{RecordDailyLapseRisk.Name}'");
        using (api.ClockAt(Wib(2026, 3, 2, 5, 59)))
            Assert.Equal(Wib(2026, 3, 2), await schedule.EnsureNextAsync(CancellationToken.None));
        await TestSql.ExecuteAsync(
            $"delete from {DailyLapseRiskFixture.Schema}.wolverine_incoming_envelopes where message_type = '{RecordDailyLapseRisk.Name}'");
    }
}
