using System.Net;
using System.Text.Json;
using EnrolmentCases.Cases;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Lapses.Sweeping;
using EnrolmentCases.Money;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Subsidies(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    [Fact]
    public async Task a_subsidy_commits_premium_times_months_against_the_regency_budget()
    {
        var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur);

        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-09", 4));

        var view = await api.Host.GetCase(_kaur, id);
        Assert.Equal(CaseStage.Subsidized, view.Stage);
        Assert.Equal(new SubsidyView(Payer.ApbdRegency, year, new YearMonth(year, 9), 4, 16_800), view.Subsidy);

        Assert.Equal(new BudgetLine(Payer.ApbdRegency, "17.04", Allocated: 1_000_000, Committed: 67_200, Paid: 0, Remaining: 932_800),
            await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04"));
    }

    [Fact]
    public async Task a_provincial_subsidy_draws_on_the_province_and_top_ups_add_to_the_allocation()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_PROVINCE", null, year, 100_000);
        await api.Host.Allocate("APBD_PROVINCE", null, year, 101_600, "APBD_P");
        var id = await api.Host.EnrolledCase(_kaur);

        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_PROVINCE", year, $"{year}-01", 12));

        Assert.Equal(new BudgetLine(Payer.ApbdProvince, null, Allocated: 201_600, Committed: 201_600, Paid: 0, Remaining: 0),
            await api.Host.BudgetLine(year, Payer.ApbdProvince, null));
    }

    [Fact]
    public async Task a_grant_that_does_not_fit_is_refused_with_what_remains_and_changes_nothing()
    {
        var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur, allocation: 50_000);

        var result = await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 3), 409);
        var problem = await result.Problem();
        Assert.Equal("budget-exceeded", problem.Slug());
        Assert.Equal(50_000, problem.GetProperty("remaining").GetInt64());

        Assert.Equal(CaseStage.Enrolled, (await api.Host.GetCase(_kaur, id)).Stage);
        Assert.Equal(0, (await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04")).Committed);
    }

    [Fact]
    public async Task a_grant_without_any_allocation_is_budget_exceeded()
    {
        var id = await api.Host.EnrolledCase(_kaur);
        var year = MoneyScenarios.FreshBudgetYear();
        var result = await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 1), 409);
        Assert.Equal(0, (await result.Problem()).GetProperty("remaining").GetInt64());
    }

    [Fact]
    public async Task grants_racing_for_a_budget_that_fits_only_some_of_them_never_overcommit_it()
    {
        const int racers = 16, fits = 5;
        var year = MoneyScenarios.FreshBudgetYear();
        // Room for five yearly subsidies and most of a sixth.
        await api.Host.Allocate("APBD_REGENCY", "17.04", year, fits * 201_600 + 200_000);
        var cases = new List<Guid>();
        for (var i = 0; i < racers; i++) cases.Add(await api.Host.EnrolledCase(_kaur));

        using var client = api.Host.Client(_kaur);
        using var start = new ManualResetEventSlim();
        var grants = cases.Select(id => Task.Run(async () =>
        {
            start.Wait();
            return await client.PostJson($"/api/cases/{id}/subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 12));
        })).ToList();
        start.Set();
        var responses = await Task.WhenAll(grants);

        Assert.Equal(fits, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("budget-exceeded", problem.Slug());
            Assert.Equal(200_000, problem.GetProperty("remaining").GetInt64());
        }

        var line = await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04");
        Assert.Equal((fits * 201_600L, 200_000L), (line.Committed, line.Remaining));

        var subsidised = 0;
        foreach (var id in cases)
            if ((await api.Host.GetCase(_kaur, id)).Stage == CaseStage.Subsidized) subsidised++;
        Assert.Equal(fits, subsidised);
    }

    [Theory]
    [InlineData("""{"payer":"APBD_VILLAGE","budgetYear":2026,"startMonth":"2026-01","months":1}""", "payer")]
    [InlineData("""{"payer":"APBD_REGENCY","budgetYear":2026,"startMonth":"2027-01","months":1}""", "startMonth")]
    [InlineData("""{"payer":"APBD_REGENCY","budgetYear":2026,"startMonth":"2026-13","months":1}""", "startMonth")]
    [InlineData("""{"payer":"APBD_REGENCY","budgetYear":2026,"startMonth":"2026-10","months":4}""", "months")]
    [InlineData("""{"payer":"APBD_REGENCY","budgetYear":2026,"startMonth":"2026-01","months":0}""", "months")]
    [InlineData("""{"payer":"APBD_REGENCY","startMonth":"2026-01","months":1}""", "budgetYear")]
    public async Task an_invalid_grant_is_a_validation_problem(string body, string field)
    {
        var id = await api.Host.EnrolledCase(_kaur);
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl($"/api/cases/{id}/subsidy");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task only_an_enrolled_worker_can_be_subsidised_and_only_once()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        var identified = await api.Host.IdentifyWorker(_kaur);
        var early = await api.Host.Command(_kaur, identified, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 1), 409);
        Assert.Equal("invalid-transition", (await early.Problem()).Slug());

        var id = await api.Host.EnrolledCase(_kaur);
        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 1));
        var twice = await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-02", 1), 409);
        Assert.Equal("subsidized", (await twice.Problem()).GetProperty("stage").GetString());
        Assert.Equal(16_800, (await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04")).Committed);
    }

    [Fact]
    public async Task subsidised_payments_are_paid_from_the_budget_once_per_month()
    {
        var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur);
        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 3));
        using var clock = api.ClockAt(new DateTimeOffset(year, 2, 10, 9, 0, 0, TimeSpan.FromHours(7)));

        var first = await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-05" });
        var again = await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-05" });
        Assert.Equal(await first.Accepted(), await again.Accepted());

        var wrongAmount = await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-02", amount = 20_000, paidOn = $"{year}-02-05" }, 400);
        Assert.True((await wrongAmount.Problem()).GetProperty("errors").TryGetProperty("amount", out _));

        Assert.Equal(new YearMonth(year, 1), (await api.Host.GetCase(_kaur, id)).PaidThrough);
        var line = await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04");
        Assert.Equal((16_800L, 50_400L), (line.Paid, line.Committed));
    }

    [Fact]
    public async Task a_subsidy_pays_at_most_the_package_and_leaves_jht_and_a_higher_bracket_to_the_worker()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Reach(_kaur, id);
        await api.Host.Command(_kaur, id, "enrolment", new
        {
            membershipNumber = "12345678901",
            programmes = new[] { "JKK", "JKM", "JHT" },
            declaredMonthlyIncome = 20_000_000,
            effectiveDate = "2026-03-01"
        });

        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-09", 4));

        Assert.Equal(new SubsidyView(Payer.ApbdRegency, year, new YearMonth(year, 9), 4, 16_800), (await api.Host.GetCase(_kaur, id)).Subsidy);
        Assert.Equal(new BudgetLine(Payer.ApbdRegency, "17.04", Allocated: 1_000_000, Committed: 67_200, Paid: 0, Remaining: 932_800),
            await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04"));

        using var clock = api.ClockAt(new DateTimeOffset(year, 10, 10, 9, 0, 0, TimeSpan.FromHours(7)));
        var more = await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-09", amount = 36_800, paidOn = $"{year}-10-05" }, 400);
        Assert.True((await more.Problem()).GetProperty("errors").TryGetProperty("amount", out _));
        await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-09", amount = 16_800, paidOn = $"{year}-10-05" });
        Assert.Equal(16_800, (await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04")).Paid);
    }

    [Fact]
    public async Task a_paid_month_repeated_with_another_amount_is_refused_with_the_payment_on_record()
    {
        var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur);
        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 3));
        using var clock = api.ClockAt(new DateTimeOffset(year, 2, 10, 9, 0, 0, TimeSpan.FromHours(7)));
        var first = await (await api.Host.Command(_kaur, id, "premium-payments",
            new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-05" })).Accepted();
        var before = await api.Host.GetCase(_kaur, id);

        var other = await api.Host.Command(_kaur, id, "premium-payments",
            new { month = $"{year}-01", amount = 20_000, paidOn = $"{year}-02-06" }, 409);
        var problem = await other.Problem();
        Assert.Equal("invalid-transition", problem.Slug());
        Assert.Equal("subsidized", problem.GetProperty("stage").GetString());
        var recorded = problem.GetProperty("recordedPayment");
        Assert.Equal(($"{year}-01", 16_800L, $"{year}-02-05"),
            (recorded.GetProperty("month").GetString(), recorded.GetProperty("amount").GetInt64(), recorded.GetProperty("paidOn").GetString()));

        // The same amount again (another paidOn too) is the payment on record: accepted, nothing written.
        var same = await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-07" });
        Assert.Equal(first, await same.Accepted());

        var after = await api.Host.GetCase(_kaur, id);
        Assert.Equal((before.Version, before.PaidThrough), (after.Version, after.PaidThrough));
        Assert.Equal(first.Version, after.Version);
        var line = await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04");
        Assert.Equal((16_800L, 50_400L), (line.Paid, line.Committed));
    }

    [Fact]
    public async Task closing_a_subsidised_case_releases_what_was_not_paid()
    {
        var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur);
        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 12));
        using var clock = api.ClockAt(new DateTimeOffset(year, 3, 10, 9, 0, 0, TimeSpan.FromHours(7)));
        await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-05" });
        await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-02", amount = 16_800, paidOn = $"{year}-03-05" });

        await api.Host.Command(_kaur, id, "closure", new { reason = "wage_earner", note = "hired by the palm oil mill" });

        Assert.Equal(new BudgetLine(Payer.ApbdRegency, "17.04", Allocated: 1_000_000, Committed: 33_600, Paid: 33_600, Remaining: 1_000_000 - 33_600),
            await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04"));

        await api.Host.Command(_kaur, id, "reopening", new { note = "lost the job" });
        var reopened = await api.Host.GetCase(_kaur, id);
        Assert.Equal(CaseStage.Enrolled, reopened.Stage);
        Assert.Null(reopened.Subsidy);
    }
}

/// <summary>
/// In the sweep collection: the sweep runs with the clock in the year after a fresh budget year
/// (2041 on), which over the shared API schema would end every other test's subsidy and lapse every
/// other test's enrolment.
/// </summary>
[Collection(SweepCollection.Name)]
public class SubsidyYearEnd(SweepFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    [Fact]
    public async Task a_subsidy_ends_when_its_budget_year_is_over_and_releases_the_rest()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_PROVINCE", null, year, 1_000_000);
        var id = await api.Host.EnrolledCase(_kaur);
        await api.Host.Command(_kaur, id, "subsidy", MoneyScenarios.Grant("APBD_PROVINCE", year, $"{year}-11", 2));
        using (api.ClockAt(new DateTimeOffset(year, 12, 1, 9, 0, 0, TimeSpan.FromHours(7))))
            await api.Host.Command(_kaur, id, "premium-payments", new { month = $"{year}-11", amount = 16_800, paidOn = $"{year}-11-30" });

        using var clock = api.ClockAt(new DateTimeOffset(year + 1, 1, 2, 9, 0, 0, TimeSpan.FromHours(7)));
        await api.Host.Services.GetRequiredService<CaseSweep>().RunOnceAsync(CancellationToken.None);

        var view = await api.Host.GetCase(_kaur, id);
        Assert.Equal(CaseStage.Enrolled, view.Stage);
        Assert.Null(view.Subsidy);
        var line = await api.Host.BudgetLine(year, Payer.ApbdProvince, null);
        Assert.Equal((16_800L, 16_800L), (line.Committed, line.Paid));

        await using var session = api.Store.QuerySession();
        var ended = (await session.Events.FetchStreamAsync(id)).Select(e => e.Data).OfType<SubsidyEnded>().Single();
        Assert.Equal(SubsidyEndReason.BudgetYearOver, ended.Reason);
        Assert.Equal(16_800, ended.Released);
    }
}
