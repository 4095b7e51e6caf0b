using System.Text.Json;
using System.Net;
using EnrolmentCases.Budgets;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Budgets add up after any sequence of commands: a seeded random walk of grants, payments,
/// closures and reopenings over a few cases, checked after every step against a model the test
/// keeps itself from the answers it got.
/// </summary>
[Collection(ApiCollection.Name)]
public class BudgetInvariants(ApiFixture api)
{
    private readonly string _seluma = api.Token("caseworker", "17.05");

    private sealed class Model
    {
        public int? Months;
        public string? Start;
        public readonly HashSet<string> PaidMonths = [];
        public long SubsidisedPaid; // paid by the budget during the current subsidy
        public bool Closed;
    }

    [Theory]
    [InlineData(7)]
    [InlineData(2026)]
    public async Task committed_paid_and_remaining_stay_exact_through_a_random_sequence(int seed)
    {
        var random = new Random(seed);
        var year = MoneyScenarios.FreshBudgetYear();
        const long allocation = 500_000;
        await api.Host.Allocate("APBD_REGENCY", "17.05", year, allocation);
        using var clock = api.ClockAt(new DateTimeOffset(year, 1, 15, 9, 0, 0, TimeSpan.FromHours(7)));

        var cases = new Dictionary<Guid, Model>();
        for (var i = 0; i < 4; i++) cases[await api.Host.EnrolledCase(_seluma, "17.05", $"{year}-01-01")] = new Model();
        long releasedPaid = 0; // what ended subsidies had paid: it stays committed
        long totalPaid = 0;
        using var client = api.Host.Client(_seluma);
        int grants = 0, subsidisedPayments = 0;

        for (var step = 0; step < 60; step++)
        {
            var (id, model) = cases.ElementAt(random.Next(cases.Count));
            // Weighted: grants 30 %, payments 40 %, closures and reopenings 15 % each.
            var roll = random.Next(20);
            switch (roll < 6 ? 0 : roll < 14 ? 1 : roll < 17 ? 2 : 3)
            {
                case 0:
                {
                    var start = random.Next(1, 12);
                    var months = random.Next(1, 13 - start + 1);
                    var response = await client.PostJson($"/api/cases/{id}/subsidy",
                        MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-{start:00}", months));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        Assert.True(model.Months is null && !model.Closed);
                        model.Months = months;
                        model.Start = $"{year}-{start:00}";
                        model.SubsidisedPaid = 0;
                        grants++;
                    }
                    else Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
                    break;
                }
                case 1:
                {
                    // Mostly a month of the running subsidy, sometimes one the worker pays.
                    var m = model.Start is { } from && random.Next(3) > 0
                        ? int.Parse(from[5..]) + random.Next(model.Months!.Value)
                        : random.Next(1, 4);
                    var month = $"{year}-{m:00}";
                    var response = await client.PostJson($"/api/cases/{id}/premium-payments",
                        new { month, amount = 16_800, paidOn = $"{year}-01-15" });
                    if (response.StatusCode != HttpStatusCode.OK || !model.PaidMonths.Add(month)) break;
                    if (model.Start is { } s && string.CompareOrdinal(month, s) >= 0 &&
                        int.Parse(month[5..]) <= int.Parse(s[5..]) + model.Months!.Value - 1)
                    {
                        subsidisedPayments++;
                        model.SubsidisedPaid += 16_800;
                        totalPaid += 16_800;
                    }

                    break;
                }
                case 2:
                {
                    var response = await client.PostJson($"/api/cases/{id}/closure", new { reason = "declined" });
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        if (model.Months is not null) releasedPaid += model.SubsidisedPaid;
                        model.Months = null;
                        model.Start = null;
                        model.Closed = true;
                    }
                    break;
                }
                default:
                {
                    var response = await client.PostJson($"/api/cases/{id}/reopening", new { note = "back" });
                    if (response.StatusCode == HttpStatusCode.OK) model.Closed = false;
                    break;
                }
            }

            var expectedCommitted = releasedPaid + cases.Values.Where(m => m.Months is not null).Sum(m => 16_800L * m.Months!.Value);
            Assert.Equal(new BudgetLine(Payer.ApbdRegency, "17.05", allocation, expectedCommitted, totalPaid, allocation - expectedCommitted),
                await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.05"));
        }

        // The walk must have exercised the money paths, or it proved nothing.
        Assert.True(grants >= 2, $"only {grants} grants succeeded");
        Assert.True(subsidisedPayments >= 1, "no subsidised payment was made");
    }

    [Fact]
    public async Task grants_payments_and_closures_racing_on_one_budget_never_overcommit_it_and_leave_it_exact()
    {
        // The budget is locked only when the money is booked, at the end of each command: grants, subsidised payments and
        // releases of closed subsidies all queue on it there. Six running subsidies, room for three more grants and a part
        // of a fourth; ten grants race with three payments and three closures that release a whole commitment each.
        const long yearly = 12 * 16_800;
        var year = MoneyScenarios.FreshBudgetYear();
        const long allocation = 9 * yearly + 100_000;
        await api.Host.Allocate("APBD_REGENCY", "17.05", year, allocation);
        using var clock = api.ClockAt(new DateTimeOffset(year, 1, 15, 9, 0, 0, TimeSpan.FromHours(7)));
        using var client = api.Host.Client(_seluma);

        var running = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            var id = await api.Host.EnrolledCase(_seluma, "17.05", $"{year}-01-01");
            var granted = await client.PostJson($"/api/cases/{id}/subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 12));
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
            running.Add(id);
        }

        var waiting = new List<Guid>();
        for (var i = 0; i < 10; i++) waiting.Add(await api.Host.EnrolledCase(_seluma, "17.05", $"{year}-01-01"));

        using var start = new ManualResetEventSlim();
        Task<HttpResponseMessage> Race(string url, object body) => Task.Run(async () =>
        {
            start.Wait();
            return await client.PostJson(url, body);
        });
        var grants = waiting.Select(id => Race($"/api/cases/{id}/subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 12))).ToList();
        var payments = running.Take(3).Select(id => Race($"/api/cases/{id}/premium-payments",
            new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-01-15" })).ToList();
        var closures = running.Skip(3).Select(id => Race($"/api/cases/{id}/closure", new { reason = "declined" })).ToList();
        start.Set();
        await Task.WhenAll([.. grants, .. payments, .. closures]);

        foreach (var other in payments.Concat(closures)) Assert.Equal(HttpStatusCode.OK, other.Result.StatusCode);
        var won = grants.Count(g => g.Result.StatusCode == HttpStatusCode.OK);
        foreach (var lost in grants.Where(g => g.Result.StatusCode != HttpStatusCode.OK))
        {
            Assert.Equal(HttpStatusCode.Conflict, lost.Result.StatusCode);
            Assert.Equal("budget-exceeded", JsonDocument.Parse(await lost.Result.Content.ReadAsStringAsync()).RootElement.Slug());
        }

        // At least the three that fit from the start; at most three more, with what the closures released.
        Assert.InRange(won, 3, 6);
        var committed = (3 + won) * yearly;
        Assert.Equal(new BudgetLine(Payer.ApbdRegency, "17.05", allocation, committed, 3 * 16_800, allocation - committed),
            await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.05"));
        var subsidised = 0;
        foreach (var id in waiting)
            if ((await api.Host.GetCase(_seluma, id)).Stage == EnrolmentCases.Cases.CaseStage.Subsidized) subsidised++;
        Assert.Equal(won, subsidised);
    }
}
