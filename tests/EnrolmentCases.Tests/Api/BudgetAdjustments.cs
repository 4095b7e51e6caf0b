using Alba;
using EnrolmentCases.Budgets;
using EnrolmentCases.Money;
using Marten;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// POST /api/budgets/adjustments: a planner corrects an allocation up or down, with a reason; a reduction
/// never takes back money a subsidy reserved, also when it races a grant. Each test uses a fresh budget year.
/// </summary>
[Collection(ApiCollection.Name)]
public class BudgetAdjustments(ApiFixture api)
{
    private const string Url = "/api/budgets/adjustments";

    private static object Adjustment(int year, long amount, string? regency = "17.04", string reason = "Perubahan APBD 2041, Perda 4/2041") =>
        new { payer = regency is null ? "APBD_PROVINCE" : "APBD_REGENCY", regencyCode = regency, year, amount, reason };

    private Task<IScenarioResult> Adjust(string token, object body, int status) => api.Host.Scenario(s =>
    {
        s.Post.Json(body).ToUrl(Url);
        s.WithBearerToken(token);
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task an_adjustment_moves_the_allocation_either_way_and_records_who_and_why()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        var subject = $"planner-{Guid.NewGuid():N}";
        var planner = api.TokenFor("planner", subject, "17.04");

        var up = await (await Adjust(planner, Adjustment(year, 500_000), 200)).Accepted();
        Assert.Equal(2, up.Version);
        Assert.Equal(1_500_000, (await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04")).Allocated);

        var down = await Adjust(planner, Adjustment(year, -300_000, reason: "Refocusing, SE Mendagri"), 200);
        Assert.Equal("\"3\"", down.Context.Response.Headers.ETag.ToString());
        var line = await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04");
        Assert.Equal((1_200_000L, 1_200_000L), (line.Allocated, line.Remaining));

        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(Budget.IdFor(Payer.ApbdRegency, "17.04", year));
        var adjusted = events.Where(e => e.Data is AllocationAdjusted).ToList();
        Assert.Equal([500_000L, -300_000L], adjusted.Select(e => ((AllocationAdjusted)e.Data).Amount));
        Assert.Equal("Refocusing, SE Mendagri", ((AllocationAdjusted)adjusted[1].Data).Reason);
        Assert.All(adjusted, e => Assert.Equal(subject, e.UserName));
    }

    [Fact]
    public async Task a_reduction_below_what_is_unreserved_is_refused_with_the_remaining_amount()
    {
        var caseworker = api.Token("caseworker", "17.04");
        var funded = await api.Host.EnrolledCaseWithABudget(caseworker, allocation: 100_000);
        await api.Host.Command(caseworker, funded.Id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", funded.Year, $"{funded.Year}-01", 4));

        var refused = await (await Adjust(api.Token("planner"), Adjustment(funded.Year, -50_000), 409)).Problem();
        Assert.Equal("budget-exceeded", refused.Slug());
        Assert.Equal(100_000 - 4 * 16_800, refused.GetProperty("remaining").GetInt64());

        var line = await api.Host.BudgetLine(funded.Year, Payer.ApbdRegency, "17.04");
        Assert.Equal((100_000L, 100_000L - 4 * 16_800), (line.Allocated, line.Remaining));
        await Adjust(api.Token("planner"), Adjustment(funded.Year, -(100_000 - 4 * 16_800)), 200);
        Assert.Equal(0, (await api.Host.BudgetLine(funded.Year, Payer.ApbdRegency, "17.04")).Remaining);
    }

    [Fact]
    public async Task a_budget_without_an_allocation_has_nothing_to_adjust()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var problem = await (await Adjust(api.Token("planner"), Adjustment(year, 1_000), 404)).Problem();
        Assert.Equal("not-found", problem.Slug());
        await using var session = api.Store.QuerySession();
        Assert.Null(await session.Events.FetchStreamStateAsync(Budget.IdFor(Payer.ApbdRegency, "17.04", year)));
    }

    [Theory]
    [InlineData("planner", "17.05", "17.04")] // another regency's planner
    [InlineData("planner", "17.04", null)] // a regency's planner, the province's budget
    [InlineData("caseworker", "17.04", "17.04")]
    [InlineData("auditor", null, "17.04")]
    [InlineData("admin", null, "17.04")]
    public async Task only_the_budgets_planners_adjust_it(string role, string? claim, string? budgetRegency)
    {
        var year = await ScopeYear.Value;
        await Adjust(api.Token(role, claim is null ? [] : [claim]), Adjustment(year, -1_000, budgetRegency), 403);
        Assert.Equal(1_000_000, (await api.Host.BudgetLine(year, budgetRegency is null ? Payer.ApbdProvince : Payer.ApbdRegency, budgetRegency)).Allocated);
    }

    /// <summary>One budget year for every refusal: none of them may change it.</summary>
    private Lazy<Task<int>> ScopeYear => _scopeYear ??= new Lazy<Task<int>>(async () =>
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_PROVINCE", null, year, 1_000_000);
        await api.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        return year;
    });

    private static Lazy<Task<int>>? _scopeYear;

    [Theory]
    [InlineData("""{"payer":"APBD_REGENCY","regencyCode":"17.04","year":2041,"amount":0,"reason":"x"}""", "amount")]
    [InlineData("""{"payer":"APBD_REGENCY","regencyCode":"17.04","year":2041,"amount":1000}""", "reason")]
    [InlineData("""{"payer":"APBD_REGENCY","regencyCode":"17.04","year":2041,"amount":1000,"reason":"  "}""", "reason")]
    [InlineData("""{"payer":"APBD_REGENCY","regencyCode":"17.04","year":2041,"amount":1000,"reason":"\u0000"}""", "reason")]
    [InlineData("""{"payer":"APBD_REGENCY","year":2041,"amount":1000,"reason":"x"}""", "regencyCode")]
    [InlineData("""{"payer":"APBD_PROVINCE","year":2041,"amount":-9000000000000000000,"reason":"x"}""", "amount")]
    public async Task an_invalid_adjustment_is_a_validation_problem(string body, string field)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl(Url);
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(api.Token("planner"));
            s.StatusCodeShouldBe(400);
        });
        Assert.True((await result.Problem()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task a_long_reason_is_refused()
    {
        await Adjust(api.Token("planner"), Adjustment(2041, 1_000, reason: new string('r', 1001)), 400);
    }

    [Fact]
    public async Task a_reduction_racing_a_grant_for_the_same_money_never_overdraws_the_budget()
    {
        // One budget year, a regency per round.
        var year = MoneyScenarios.FreshBudgetYear();
        foreach (var regency in new[] { "17.01", "17.02", "17.03", "17.05" })
        {
            // 100,000 left; the grant needs 67,200 and the reduction takes 50,000: both fit alone, not together.
            var caseworker = api.Token("caseworker", regency);
            await api.Host.Allocate("APBD_REGENCY", regency, year, 100_000);
            var id = await api.Host.EnrolledCase(caseworker, regency);
            using var caseClient = api.Host.Client(caseworker);
            using var plannerClient = api.Host.Client(api.Token("planner"));
            var grant = caseClient.PostJson($"/api/cases/{id}/subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 4));
            var reduction = plannerClient.PostJson(Url, Adjustment(year, -50_000, regency));
            var statuses = (await Task.WhenAll(grant, reduction)).Select(r => (int)r.StatusCode).ToArray();

            Assert.Single(statuses, 200);
            Assert.Single(statuses, 409);
            var line = await api.Host.BudgetLine(year, Payer.ApbdRegency, regency);
            Assert.True(line.Remaining >= 0);
            Assert.Equal(line.Allocated - line.Committed, line.Remaining);
            Assert.Equal(statuses[0] == 200 ? (100_000L, 100_000L - 67_200) : (50_000L, 50_000L), (line.Allocated, line.Remaining));
        }
    }
}
