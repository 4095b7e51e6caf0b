using System.Text.Json;
using Alba;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using Marten;
using Marten.Events;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Coverage figures come from the async projections; every one is checked against an independent
/// count made from the cases' own stage timelines (written in the same transaction as their events).
/// Bengkulu Utara (17.03) and Bengkulu Selatan (17.01) hold only these tests' cases.
/// </summary>
[Collection(ApiCollection.Name)]
public class CoverageReports(ApiFixture api)
{
    private readonly string _utara = api.Token("caseworker", "17.03", "17.01");
    private readonly string _planner = api.Token("planner");

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 12) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));

    private async Task SetTarget(string code, int year, long eligible, string source = "DTSEN 2025")
    {
        await api.Host.Scenario(s =>
        {
            s.Put.Json(new { eligibleWorkers = eligible, source }).ToUrl($"/api/regencies/{code}/targets/{year}");
            s.WithBearerToken(_planner);
            s.StatusCodeShouldBeOk();
        });
    }

    private async Task<JsonElement> Coverage(string query = "")
    {
        await api.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/coverage{query}");
            s.WithBearerToken(_planner);
            s.StatusCodeShouldBeOk();
        });
        return await result.ReadAsJsonAsync<JsonElement>();
    }

    private static JsonElement RowOf(JsonElement report, string code) =>
        report.GetProperty("regencies").EnumerateArray().Single(r => r.GetProperty("code").GetString() == code);

    /// <summary>The independent count: each case's stage at the instant, read off its own timeline.</summary>
    private async Task<Dictionary<string, int>> CountFromCases(string regency, Basis basis, DateTimeOffset at)
    {
        await using var session = api.Store.QuerySession();
        var cases = await session.Query<Case>().Where(c => c.RegencyCode == regency).ToListAsync();
        return cases
            .Select(c => (basis == Basis.Recorded ? c.RecordedStages : c.EffectiveStages).LastOrDefault(p => p.From <= at))
            .OfType<StagePeriod>()
            .GroupBy(p => p.Stage.ToString().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.Count());
    }

    private static void AssertRowMatches(JsonElement row, Dictionary<string, int> expected)
    {
        foreach (var stage in new[] { "identified", "contacted", "enrolled", "subsidized", "lapsed", "closed" })
            Assert.True(expected.GetValueOrDefault(stage) == row.GetProperty(stage).GetInt64(),
                $"{stage}: expected {expected.GetValueOrDefault(stage)}, report says {row.GetProperty(stage).GetInt64()}");
        Assert.Equal(expected.GetValueOrDefault("enrolled") + expected.GetValueOrDefault("subsidized"), row.GetProperty("covered").GetInt64());
    }

    [Fact]
    public async Task coverage_counts_every_stage_and_carries_its_ratio_with_numerator_denominator_and_definition()
    {
        using var clock = api.ClockAt(Wib(2026, 3, 10));
        await SetTarget("17.03", 2026, 20);
        for (var i = 0; i < 3; i++) await api.IdentifyWorker(_utara, Scenarios.NewWorker(regency: "17.03"));
        var contacted = await api.IdentifyWorker(_utara, Scenarios.NewWorker(regency: "17.03"));
        await api.Reach(_utara, contacted);
        for (var i = 0; i < 2; i++) await api.EnrolledCase(_utara, "17.03", "2026-03-01");
        var closed = await api.IdentifyWorker(_utara, Scenarios.NewWorker(regency: "17.03"));
        await api.Command(_utara, closed, "closure", new { reason = "ineligible" });

        var report = await Coverage();
        var row = RowOf(report, "17.03");
        AssertRowMatches(row, await CountFromCases("17.03", Basis.Recorded, api.Clock.GetUtcNow()));
        Assert.True(row.GetProperty("enrolled").GetInt64() >= 2);

        var coverage = row.GetProperty("coverage");
        Assert.Equal(row.GetProperty("covered").GetInt64(), coverage.GetProperty("numerator").GetInt64());
        Assert.Equal(20, coverage.GetProperty("denominator").GetInt64());
        Assert.Equal(Math.Round(row.GetProperty("covered").GetInt64() / 20.0, 4), coverage.GetProperty("ratio").GetDouble(), 4);
        Assert.Contains("covered / eligible", coverage.GetProperty("definition").GetString());
        Assert.Equal("DTSEN 2025", row.GetProperty("target").GetProperty("source").GetString());
        Assert.Equal("recorded", report.GetProperty("basis").GetString());

        var province = report.GetProperty("province");
        Assert.Equal(report.GetProperty("regencies").EnumerateArray().Sum(r => r.GetProperty("covered").GetInt64()),
            province.GetProperty("covered").GetInt64());
    }

    [Fact]
    public async Task a_backdated_enrolment_counts_from_its_effective_date_only_on_the_effective_basis()
    {
        Guid id;
        using (api.ClockAt(Wib(2026, 2, 20)))
        {
            id = await api.IdentifyWorker(_utara, Scenarios.NewWorker(regency: "17.01"));
            await api.Reach(_utara, id);
        }

        using (api.ClockAt(Wib(2026, 3, 5)))
            await api.Command(_utara, id, "enrolment", new
            {
                membershipNumber = "12345678901", programmes = new[] { "JKK", "JKM" }, declaredMonthlyIncome = 1_000_000,
                effectiveDate = "2026-01-01"
            });

        using var now = api.ClockAt(Wib(2026, 3, 6));
        foreach (var asOf in new[] { Wib(2026, 1, 15), Wib(2026, 2, 25), Wib(2026, 3, 5, 23), Wib(2026, 3, 6) })
        {
            foreach (var basis in new[] { Basis.Recorded, Basis.Effective })
            {
                var report = await Coverage($"?asOf={Uri.EscapeDataString(asOf.ToString("O"))}&basis={basis.ToString().ToLowerInvariant()}");
                AssertRowMatches(RowOf(report, "17.01"), await CountFromCases("17.01", basis, asOf));
            }
        }

        var january = await CountFromCases("17.01", Basis.Effective, Wib(2026, 1, 15));
        Assert.True(january.GetValueOrDefault("enrolled") >= 1, "the backdated enrolment counts in January on the effective basis");
        Assert.Equal(0, (await CountFromCases("17.01", Basis.Recorded, Wib(2026, 1, 15))).GetValueOrDefault("enrolled"));
    }

    [Fact]
    public async Task the_timeline_gives_month_end_figures_that_match_the_cases()
    {
        using (api.ClockAt(Wib(2026, 1, 10))) await api.IdentifyWorker(_utara, Scenarios.NewWorker(regency: "17.03"));
        using (api.ClockAt(Wib(2026, 2, 10))) await api.EnrolledCase(_utara, "17.03", "2026-02-01");
        using var now = api.ClockAt(Wib(2026, 3, 20));
        await api.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

        foreach (var basis in new[] { "recorded", "effective" })
        {
            var result = await api.Host.Scenario(s =>
            {
                s.Get.Url($"/api/coverage/17.03/timeline?from=2025-12&to=2026-03&basis={basis}");
                s.WithBearerToken(_planner);
                s.StatusCodeShouldBeOk();
            });
            var timeline = await result.ReadAsJsonAsync<JsonElement>();
            var months = timeline.GetProperty("months").EnumerateArray().ToList();
            Assert.Equal(["2025-12", "2026-01", "2026-02", "2026-03"], months.Select(m => m.GetProperty("month").GetString()));
            foreach (var month in months)
            {
                var ym = month.GetProperty("month").GetString()!;
                var end = new DateTimeOffset(int.Parse(ym[..4]), int.Parse(ym[5..]), 1, 0, 0, 0, TimeSpan.FromHours(7)).AddMonths(1).AddTicks(-1);
                AssertRowMatches(month, await CountFromCases("17.03", Enum.Parse<Basis>(basis, true), end));
            }
        }
    }

    [Fact]
    public async Task targets_are_history_a_past_report_keeps_the_target_known_then()
    {
        using (api.ClockAt(Wib(2027, 1, 5))) await SetTarget("17.01", 2027, 1000, "P3KE 2026");
        using (api.ClockAt(Wib(2027, 2, 5))) await SetTarget("17.01", 2027, 1200, "DTSEN 2027");
        using var now = api.ClockAt(Wib(2027, 3, 1));

        var before = RowOf(await Coverage("?asOf=2027-01-20"), "17.01");
        Assert.Equal(1000, before.GetProperty("target").GetProperty("eligibleWorkers").GetInt64());
        var known = RowOf(await Coverage("?asOf=2027-01-20&basis=effective"), "17.01");
        Assert.Equal(1200, known.GetProperty("target").GetProperty("eligibleWorkers").GetInt64());
        var early = RowOf(await Coverage("?asOf=2027-01-02"), "17.01");
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

    [Fact]
    public async Task aggregates_never_carry_personal_data()
    {
        var nik = Niks.Next("1703");
        await api.IdentifyWorker(_utara, Scenarios.NewWorker(nik, "17.03"));
        var report = (await Coverage()).ToString();
        Assert.DoesNotContain(nik, report);
        Assert.DoesNotContain("Siti", report);
    }
}
