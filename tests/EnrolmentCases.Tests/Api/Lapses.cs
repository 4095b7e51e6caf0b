using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Coverage;
using EnrolmentCases.Lapses.Sweeping;
using EnrolmentCases.Money;
using Marten;
using Marten.Linq;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>In the sweep collection: these tests sweep at 2026 dates months ahead of the shared clock.</summary>
[Collection(SweepCollection.Name)]
public class Lapses(SweepFixture api)
{
    // Mukomuko is used by no other test class: its worklist shows only these cases.
    private readonly string _mukomuko = api.Token("caseworker", "17.06");

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 9) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));

    private Task Sweep() => api.Host.Services.GetRequiredService<CaseSweep>().RunOnceAsync(CancellationToken.None);

    [Fact]
    public async Task an_active_membership_says_when_it_lapses_and_the_worklist_lists_those_lapsing_before_a_day()
    {
        Guid unpaid, paid, identified;
        using (api.ClockAt(Wib(2026, 1, 5)))
        {
            unpaid = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: "2026-01-01");
            paid = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: "2026-01-01");
            identified = await api.Host.IdentifyWorker(_mukomuko, Scenarios.NewWorker(regency: "17.06"));
            foreach (var month in new[] { "2026-01", "2026-02" })
                await api.Host.Command(_mukomuko, paid, "premium-payments", new { month, amount = 16_800, paidOn = "2026-01-05" });
        }

        using (api.ClockAt(Wib(2026, 3, 10)))
        {
            // Nothing paid since January: four unpaid months (January to April) end it on 1 May; paid through February, on 1 July.
            Assert.Equal(new DateOnly(2026, 5, 1), (await api.Host.GetCase(_mukomuko, unpaid)).LapsesOn);
            Assert.Equal(new DateOnly(2026, 7, 1), (await api.Host.GetCase(_mukomuko, paid)).LapsesOn);
            Assert.Null((await api.Host.GetCase(_mukomuko, identified)).LapsesOn);

            var before2May = await Lapsing("2026-05-02");
            Assert.Contains(unpaid, before2May);
            Assert.DoesNotContain(paid, before2May);
            Assert.DoesNotContain(unpaid, await Lapsing("2026-05-01")); // lapsing on the day is not before it
            Assert.Contains(paid, await Lapsing("2026-07-02"));
        }

        using (api.ClockAt(Wib(2026, 5, 1, 8)))
        {
            // Lapsed on read: nothing pending any more, and no longer on the list of those about to lapse.
            var lapsed = await api.Host.GetCase(_mukomuko, unpaid);
            Assert.Equal(CaseStage.Lapsed, lapsed.Stage);
            Assert.Null(lapsed.LapsesOn);
            var lapsing = await Lapsing("2026-07-02");
            Assert.DoesNotContain(unpaid, lapsing);
            Assert.Contains(paid, lapsing);

            await api.Host.Scenario(s =>
            {
                s.Get.Url("/api/cases?lapsingBefore=9999-12-31");
                s.WithBearerToken(_mukomuko);
                s.StatusCodeShouldBe(400);
            });
        }
    }

    [Fact]
    public async Task lapse_risk_lists_the_memberships_that_lapse_within_the_window_unless_paid()
    {
        Guid unpaid;
        using (api.ClockAt(Wib(2026, 1, 5)))
            unpaid = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: "2026-01-01");

        using (api.ClockAt(Wib(2026, 4, 5)))
        {
            var month = await Risk(30);
            var item = Assert.Single(month.Items, i => i.CaseId == unpaid);
            Assert.Equal(new DateOnly(2026, 5, 1), item.LapsesOn);
            Assert.Equal(new YearMonth(2026, 1), item.FirstUnpaidMonth);
            Assert.Null(item.Payer); // the worker pays
            Assert.Null(item.BudgetCanPay);
            Assert.DoesNotContain((await Risk(20)).Items, i => i.CaseId == unpaid); // 1 May is 26 days away

            // Another caseworker's regencies are not theirs to see; bad windows are refused.
            var kaur = api.Token("caseworker", "17.04");
            var other = await api.Host.Read<EnrolmentCases.Lapses.Risk.LapseRisk>(kaur, "/api/lapse-risk?regency=17.06&withinDays=30");
            Assert.Empty(other.Items);
            foreach (var bad in new[] { "withinDays=0", "withinDays=367", "page=0", "pageSize=201" })
                await api.Host.Scenario(s =>
                {
                    s.Get.Url($"/api/lapse-risk?{bad}");
                    s.WithBearerToken(_mukomuko);
                    s.StatusCodeShouldBe(400);
                });
        }
    }

    [Fact]
    public async Task lapse_risk_says_whether_the_subsidising_budget_has_reserved_the_month_that_falls_due()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        Guid covered, ending;
        using (api.ClockAt(Wib(year - 1, 12, 10)))
        {
            await api.Host.Allocate("APBD_REGENCY", "17.06", year, 1_000_000);
            covered = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: $"{year - 1}-12-01");
            ending = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: $"{year - 1}-12-01");
            await api.Host.Command(_mukomuko, covered, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 2));
            await api.Host.Command(_mukomuko, ending, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 1));
        }

        using (api.ClockAt(Wib(year, 1, 5)))
            await api.Host.Command(_mukomuko, ending, "premium-payments", new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-01-05" });

        using (api.ClockAt(Wib(year, 4, 5)))
        {
            // Nothing paid: January falls due, and the two-month subsidy has January reserved.
            var item = Assert.Single((await Risk(30)).Items, i => i.CaseId == covered);
            Assert.Equal(new DateOnly(year, 5, 1), item.LapsesOn);
            Assert.Equal(Payer.ApbdRegency, item.Payer);
            Assert.True(item.BudgetCanPay);
        }

        using (api.ClockAt(Wib(year, 5, 10)))
        {
            // January paid: February falls due, after the one-month subsidy ended, so nothing is reserved for it.
            var item = Assert.Single((await Risk(30)).Items, i => i.CaseId == ending);
            Assert.Equal(new DateOnly(year, 6, 1), item.LapsesOn);
            Assert.Equal(new YearMonth(year, 2), item.FirstUnpaidMonth);
            Assert.Equal(Payer.ApbdRegency, item.Payer);
            Assert.False(item.BudgetCanPay);
        }
    }

    /// <summary>Lapse risk for Mukomuko, checked against the case views: every case whose lapsesOn is after today and within the window.</summary>
    private async Task<EnrolmentCases.Lapses.Risk.LapseRisk> Risk(int withinDays)
    {
        var risk = await api.Host.Read<EnrolmentCases.Lapses.Risk.LapseRisk>(_mukomuko, $"/api/lapse-risk?regency=17.06&withinDays={withinDays}&pageSize=200");
        var today = DateOnly.FromDateTime(api.Clock.GetUtcNow().ToOffset(TimeSpan.FromHours(7)).DateTime);
        var views = (await api.Host.Worklist(_mukomuko, "?regency=17.06&pageSize=200")).Items;
        var expected = views.Where(c => c.LapsesOn is { } on && on > today && on <= today.AddDays(withinDays)).Select(c => c.Id).Order();
        Assert.Equal(expected, risk.Items.Select(i => i.CaseId).Order());
        Assert.Equal(risk.Items.OrderBy(i => i.LapsesOn).Select(i => i.LapsesOn), risk.Items.Select(i => i.LapsesOn));
        return risk;
    }

    /// <summary>
    /// The worklist's answer to lapsingBefore, checked against the case views themselves: every Mukomuko
    /// case whose lapsesOn falls before the day, and no other.
    /// </summary>
    private async Task<HashSet<Guid>> Lapsing(string day)
    {
        var listed = (await api.Host.Worklist(_mukomuko, $"?regency=17.06&lapsingBefore={day}&pageSize=200")).Items.Select(c => c.Id).ToHashSet();
        var all = (await api.Host.Worklist(_mukomuko, "?regency=17.06&pageSize=200")).Items;
        var expected = all.Where(c => c.LapsesOn is { } on && on < DateOnly.Parse(day)).Select(c => c.Id).ToHashSet();
        Assert.Equal(expected.Order(), listed.Order());
        return listed;
    }

    [Fact]
    public async Task a_membership_unpaid_for_more_than_three_months_lapses_and_a_later_payment_reactivates_it()
    {
        Guid id;
        using (api.ClockAt(Wib(2026, 1, 5)))
            id = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: "2026-01-01");

        using (api.ClockAt(Wib(2026, 4, 30, 23)))
        {
            await Sweep();
            Assert.Equal(CaseStage.Enrolled, (await api.Host.GetCase(_mukomuko, id)).Stage);
        }

        using (api.ClockAt(Wib(2026, 5, 1, 0)))
        {
            // Read before any sweep: the rule applies on read.
            var view = await api.Host.GetCase(_mukomuko, id);
            Assert.Equal(CaseStage.Lapsed, view.Stage);
            var versionBeforeSweep = view.Version;

            await Sweep();
            await Sweep(); // a second run finds nothing more to record
            var swept = await api.Host.GetCase(_mukomuko, id);
            Assert.Equal(CaseStage.Lapsed, swept.Stage);
            Assert.Equal(versionBeforeSweep + 2, swept.Version); // CaseLapsed, CaseStageChanged

            await using var session = api.Store.QuerySession();
            var events = await session.Events.FetchStreamAsync(id);
            var lapsed = events.Select(e => e.Data).OfType<CaseLapsed>().Single();
            Assert.Equal(new DateOnly(2026, 5, 1), lapsed.EffectiveOn);
            Assert.Equal(4, lapsed.UnpaidMonths);
            Assert.Contains("4 consecutive months unpaid", lapsed.Reason);
            Assert.StartsWith("system:", events.Last().UserName);

            var worklist = await api.Host.Worklist(_mukomuko, "?regency=17.06&stage=lapsed");
            Assert.Contains(worklist.Items, c => c.Id == id);
        }

        using (api.ClockAt(Wib(2026, 5, 20)))
        {
            await api.Host.Command(_mukomuko, id, "premium-payments", new { month = "2026-05", amount = 16_800, paidOn = "2026-05-20" });
            var reactivated = await api.Host.GetCase(_mukomuko, id);
            Assert.Equal(CaseStage.Enrolled, reactivated.Stage);
            Assert.Equal(new YearMonth(2026, 5), reactivated.PaidThrough);
        }
    }

    [Fact]
    public async Task a_command_on_a_case_whose_lapse_was_not_yet_recorded_records_it_first()
    {
        Guid id;
        using (api.ClockAt(Wib(2026, 1, 5)))
            id = await api.Host.EnrolledCase(_mukomuko, "17.06", effectiveDate: "2026-01-01");

        using var clock = api.ClockAt(Wib(2026, 8, 1));
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_REGENCY", "17.06", year, 1_000_000);
        var refused = await api.Host.Command(_mukomuko, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 1), 409);
        Assert.Equal("lapsed", (await refused.Problem()).GetProperty("stage").GetString());

        // The refusal leaves nothing behind; the next accepted command records the lapse before itself.
        await api.Host.Command(_mukomuko, id, "contact-attempts", new { channel = "phone", outcome = "reached" });
        await using var session = api.Store.QuerySession();
        var types = (await session.Events.FetchStreamAsync(id)).Select(e => e.Data.GetType()).TakeLast(3).ToArray();
        Assert.Equal([typeof(CaseLapsed), typeof(CaseStageChanged), typeof(ContactAttempted)], types);
    }

    /// <summary>
    /// The sweep's two statements each have an index that answers them (ADR 0052): the cases that lapsed long ago and the
    /// ones without a subsidy are never read on the way. The plan is asked with sequential scans priced out, since on a test's
    /// few cases a scan is cheapest anyway; without a usable index the plan would still be one of the whole table.
    /// </summary>
    [Fact]
    public async Task the_sweeps_statements_read_their_own_index()
    {
        await using var session = api.Store.QuerySession();
        // The settled month's index holds only the active memberships, so it answers the lapsing question without a filter on
        // the stage: over a full index the rows of cases that lapsed long ago would be read and thrown away.
        foreach (var (filter, index, filtered) in new[]
                 {
                     (CaseSweep.Lapsing(YearMonth.Of(new DateOnly(2026, 3, 2)).Index - 3), "mt_doc_casedetails_idx_settled_through_index", false),
                     (CaseSweep.YearOver(2026), "mt_doc_casedetails_idx_subsidy_budget_year", true)
                 })
        {
            var plan = await TestSql.PlanAsync(session.Query<CaseDetails>().Where(filter).Select(c => c.Id)
                .ToCommand(), "set enable_seqscan = off");
            Assert.True(plan.Any(line => line.Contains($"Index Scan using {index}") || line.Contains($"Bitmap Index Scan on {index}")),
                string.Join('\n', plan));
            Assert.DoesNotContain(plan, line => line.Contains("Sort") || line.Contains("Limit") || line.Contains("WindowAgg"));
            if (!filtered) Assert.DoesNotContain(plan, line => line.Contains("Filter:"));
        }
    }
}
