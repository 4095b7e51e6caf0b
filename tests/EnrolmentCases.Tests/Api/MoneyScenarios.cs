using Alba;
using EnrolmentCases.Budgets;
using EnrolmentCases.Money;

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

    /// <summary>An enrolled case and the fresh budget year whose regency budget can pay for its subsidy.</summary>
    public sealed record FundedCase(Guid Id, int Year);

    /// <summary>The world most subsidy tests start from: a Kaur (17.04) regency budget for a fresh year, and an enrolled Kaur case.</summary>
    public static async Task<FundedCase> EnrolledCaseWithABudget(this IAlbaHost host, string token, long allocation = 1_000_000)
    {
        var year = FreshBudgetYear();
        await host.Allocate("APBD_REGENCY", "17.04", year, allocation);
        return new FundedCase(await host.EnrolledCase(token), year);
    }

    public static Task<BudgetYear> Budgets(this IAlbaHost host, string token, int year) =>
        host.Read<BudgetYear>(token, $"/api/budgets?year={year}");

    /// <summary>The budget line, after checking the year's lines add up: allocated = committed + remaining, 0 <= paid <= committed.</summary>
    public static async Task<BudgetLine> BudgetLine(this IAlbaHost host, int year, Payer payer, string? regency)
    {
        var budgets = await host.Budgets(new HostTokens(host).Token("auditor"), year);
        Assert.Equal(year, budgets.Year);
        foreach (var line in budgets.Items)
        {
            Assert.Equal(line.Allocated, line.Committed + line.Remaining);
            Assert.InRange(line.Remaining, 0, line.Allocated);
            Assert.InRange(line.Paid, 0, line.Committed);
        }

        return budgets.Items.Single(l => l.Payer == payer && l.RegencyCode == regency);
    }
}
