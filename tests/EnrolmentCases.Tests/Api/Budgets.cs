using System.Net.Http.Json;
using Alba;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Budgets(ApiFixture api)
{
    [Theory]
    [InlineData("""{"payer":"APBD_REGENCY","year":2026,"amount":1000,"kind":"APBD"}""", "regencyCode")]
    [InlineData("""{"payer":"APBD_REGENCY","regencyCode":"99.99","year":2026,"amount":1000,"kind":"APBD"}""", "regencyCode")]
    [InlineData("""{"payer":"APBD_PROVINCE","regencyCode":"17.04","year":2026,"amount":1000,"kind":"APBD"}""", "regencyCode")]
    [InlineData("""{"payer":"APBD_PROVINCE","year":2026,"amount":-1,"kind":"APBD"}""", "amount")]
    [InlineData("""{"payer":"APBD_PROVINCE","year":2026,"amount":1000,"kind":"GRANT"}""", "kind")]
    [InlineData("""{"payer":"APBD_PROVINCE","amount":1000,"kind":"APBD"}""", "year")]
    public async Task an_invalid_allocation_is_a_validation_problem(string body, string field)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl("/api/budgets");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(api.Token("planner"));
            s.StatusCodeShouldBe(400);
        });
        Assert.True((await result.Problem()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task allocations_racing_to_start_a_budget_are_each_recorded_once_or_refused_never_lost()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        using var client = api.Host.Client(api.Token("planner"));
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostJson("/api/budgets", new { payer = "APBD_PROVINCE", year, amount = 1_000, kind = "APBD" })));

        var recorded = responses.Count(r => (int)r.StatusCode == 201);
        Assert.True(recorded >= 1);
        foreach (var refused in responses.Where(r => (int)r.StatusCode != 201))
        {
            // The first allocation starts the budget's stream; one that raced it is told to send again.
            Assert.Equal(409, (int)refused.StatusCode);
            Assert.Equal("concurrency-conflict", System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.Slug());
        }

        Assert.Equal(recorded * 1_000, (await api.Host.BudgetLine(year, Payer.ApbdProvince, null)).Allocated);
    }

    [Fact]
    public async Task target_revisions_racing_to_start_a_target_are_each_recorded_once_or_refused_never_lost()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        using var client = api.Host.Client(api.Token("planner"));
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PutAsJsonAsync($"/api/regencies/17.09/targets/{year}", new { eligibleWorkers = 100 + i, source = "race" })));

        var recorded = responses.Count(r => (int)r.StatusCode == 200);
        Assert.True(recorded >= 1);
        Assert.All(responses.Where(r => (int)r.StatusCode != 200), r => Assert.Equal(409, (int)r.StatusCode));
        await using var session = api.Store.QuerySession();
        Assert.Equal(recorded, (await session.Events.FetchStreamAsync(EnrolmentCases.Targets.RegencyTarget.IdFor("17.09", year))).Count);
    }

    [Fact]
    public async Task allocations_and_targets_answer_with_their_streams_versions()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var planner = api.Token("planner");
        for (var expected = 1; expected <= 2; expected++)
        {
            var allocation = await api.Host.Scenario(s =>
            {
                s.Post.Json(new { payer = "APBD_PROVINCE", year, amount = 1000, kind = expected == 1 ? "APBD" : "APBD_P" }).ToUrl("/api/budgets");
                s.WithBearerToken(planner);
                s.StatusCodeShouldBe(201);
            });
            Assert.Equal(expected, (await allocation.Accepted()).Version);

            var target = await api.Host.Scenario(s =>
            {
                s.Put.Json(new { eligibleWorkers = 100 * expected, source = "test" }).ToUrl($"/api/regencies/17.71/targets/{year}");
                s.WithBearerToken(planner);
                s.StatusCodeShouldBeOk();
            });
            Assert.Equal(expected, (await target.Accepted()).Version);
        }
    }

    [Theory]
    [InlineData("caseworker")]
    [InlineData("auditor")]
    [InlineData("admin")]
    public async Task only_planners_record_allocations(string role)
    {
        await api.Host.Scenario(s =>
        {
            s.Post.Json(new { payer = "APBD_PROVINCE", year = 2026, amount = 1000, kind = "APBD" }).ToUrl("/api/budgets");
            s.WithBearerToken(api.Token(role, "17.04"));
            s.StatusCodeShouldBe(403);
        });
    }

    [Fact]
    public async Task every_role_reads_budgets_per_payer_and_regency()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_PROVINCE", null, year, 600_000_000);
        await api.Host.Allocate("APBD_REGENCY", "17.08", year, 1_715_227_200);
        await api.Host.Allocate("APBD_REGENCY", "17.07", year, 500_000_000);

        foreach (var role in new[] { "caseworker", "auditor", "planner", "admin" })
        {
            var budgets = await api.Host.Budgets(api.Token(role, "17.04"), year);
            Assert.Equal(new (Payer, string?)[] { (Payer.ApbdProvince, null), (Payer.ApbdRegency, "17.07"), (Payer.ApbdRegency, "17.08") },
                budgets.Items.Select(l => (l.Payer, l.RegencyCode)));
        }

        var kepahiang = await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.08");
        Assert.Equal(1_715_227_200, kepahiang.Remaining);
    }
}
