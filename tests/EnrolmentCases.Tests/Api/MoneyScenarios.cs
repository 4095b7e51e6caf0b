using System.Text.Json;
using Alba;

namespace EnrolmentCases.Tests.Api;

/// <summary>Steps for the money tests. Each test takes a budget year no other test uses, so budgets never mix.</summary>
public static class MoneyScenarios
{
    private static int _year = 2040;

    public static int FreshBudgetYear() => Interlocked.Increment(ref _year);

    public static async Task Allocate(this IAlbaHost host, string payer, string? regency, int year, long amount, string kind = "APBD")
    {
        await host.Scenario(s =>
        {
            s.Post.Json(new { payer, regencyCode = regency, year, amount, kind }).ToUrl("/api/budgets");
            s.WithBearerToken(new HostTokens(host).Token("planner"));
            s.StatusCodeShouldBe(201);
        });
    }

    public static object Grant(string payer, int year, string startMonth, int months) =>
        new { payer, budgetYear = year, startMonth, months };

    /// <summary>The budget line, after checking it adds up: allocated = committed + remaining, 0 <= paid <= committed.</summary>
    public static async Task<JsonElement> BudgetLine(this IAlbaHost host, int year, string payer, string? regency)
    {
        var result = await host.Scenario(s =>
        {
            s.Get.Url($"/api/budgets?year={year}");
            s.WithBearerToken(new HostTokens(host).Token("auditor"));
            s.StatusCodeShouldBeOk();
        });
        var body = await result.ReadAsJsonAsync<JsonElement>();
        Assert.Equal(year, body.GetProperty("year").GetInt32());
        foreach (var item in body.GetProperty("items").EnumerateArray())
        {
            var allocated = item.GetProperty("allocated").GetInt64();
            var committed = item.GetProperty("committed").GetInt64();
            var paid = item.GetProperty("paid").GetInt64();
            var remaining = item.GetProperty("remaining").GetInt64();
            Assert.Equal(allocated, committed + remaining);
            Assert.InRange(remaining, 0, allocated);
            Assert.InRange(paid, 0, committed);
        }

        return body.GetProperty("items").EnumerateArray().Single(i =>
            i.GetProperty("payer").GetString() == payer &&
            (i.TryGetProperty("regencyCode", out var r) ? r.GetString() : null) == regency);
    }
}
