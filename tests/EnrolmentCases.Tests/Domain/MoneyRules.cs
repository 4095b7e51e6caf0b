using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Subsidies;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Domain;

public class TariffRules
{
    private static readonly TariffOptions Tariff = new()
    {
        JkkBasisPoints = 100, JkmFlat = 6_800, JhtBasisPoints = 200,
        IncomeBrackets = [1_000_000, 1_500_000, 2_000_000, 20_700_000]
    };

    [Theory]
    [InlineData(1_000_000, false, 16_800)] // the subsidised package: JKK 10,000 + JKM 6,800
    [InlineData(600_000, false, 16_800)] // below the lowest bracket counts at the lowest
    [InlineData(1_499_999, false, 16_800)]
    [InlineData(1_500_000, false, 21_800)]
    [InlineData(1_750_000, false, 21_800)]
    [InlineData(1_000_000, true, 36_800)] // + JHT 2 % = 20,000
    [InlineData(50_000_000, false, 213_800)] // capped at the highest bracket
    public void the_premium_follows_programmes_and_the_income_bracket(long income, bool withJht, long premium)
    {
        Programme[] programmes = withJht ? [Programme.Jkk, Programme.Jkm, Programme.Jht] : [Programme.Jkk, Programme.Jkm];
        Assert.Equal(premium, EnrolmentCases.Money.Tariff.MonthlyPremium(Tariff, programmes, income));
    }

    [Fact]
    public void kepahiangs_published_budget_of_about_rp_1_71_billion_is_reproduced()
    {
        // 8,509 regency-funded workers x Rp 16,800 x 12 months = Rp 1,715,414,400 ("about Rp 1.71 billion").
        var premium = EnrolmentCases.Money.Tariff.MonthlyPremium(Tariff, [Programme.Jkk, Programme.Jkm], 1_000_000);
        Assert.Equal(1_715_414_400, 8_509 * premium * 12);
    }

    [Fact]
    public void shares_are_rounded_half_up_to_whole_rupiah()
    {
        var odd = new TariffOptions { JkkBasisPoints = 100, JkmFlat = 0, IncomeBrackets = [1_234_550] };
        Assert.Equal(12_346, EnrolmentCases.Money.Tariff.MonthlyPremium(odd, [Programme.Jkk], 1_234_550));
    }
}

public class BudgetRules
{
    private static Budget WithAllocation(long allocated, long committed = 0) =>
        new(Payer.ApbdRegency, "17.04", 2026) { Allocated = allocated, Committed = committed };

    private static Case Enrolled() => new Case(Guid.NewGuid(), "1704015506900001", "17.04", CaseStage.Contacted)
        .After(new WorkerEnrolled("12345678901", [Programme.Jkk, Programme.Jkm], 1_000_000, new DateOnly(2026, 1, 1), DateTimeOffset.UtcNow));

    /// <summary>The grant's decision on the case, then the check its commitment meets when it is booked on the budget.</summary>
    private static Decision Grant(Budget? budget, int months = 4)
    {
        var decision = SubsidyDecisions.Grant(Enrolled(), new GrantSubsidy(Payer.ApbdRegency, 2026, "2026-09", months),
            new TariffOptions { IncomeBrackets = [1_000_000] }, DateTimeOffset.UtcNow);
        var entries = BudgetLedger.Entries(Guid.NewGuid(), decision.Events, DateTimeOffset.UtcNow).Select(e => e.Entry);
        return decision.Refusal is null && BudgetLedger.Refuses(budget, entries) is { } exceeded ? Decision.Refuse(exceeded) : decision;
    }

    [Fact]
    public void a_grant_that_fits_reserves_premium_times_months_of_its_regencys_budget()
    {
        var granted = Assert.IsType<SubsidyGranted>(Assert.Single(Grant(WithAllocation(1_000_000)).Events));
        Assert.Equal(16_800, granted.MonthlyPremium);
        Assert.Equal(4, granted.Months);
        Assert.Equal(Budget.IdFor(Payer.ApbdRegency, "17.04", 2026), granted.BudgetId);
    }

    [Fact]
    public void a_commitment_may_take_exactly_what_remains()
    {
        Assert.Null(Budget.Refuses(WithAllocation(201_600, 134_400), 67_200));
        Assert.Null(Grant(WithAllocation(201_600, 134_400)).Refusal);
    }

    [Fact]
    public void a_commitment_over_the_remainder_is_refused_with_the_remainder()
    {
        var refused = Grant(WithAllocation(201_600, 150_000));
        Assert.Empty(refused.Events);
        Assert.Equal("/problems/budget-exceeded", refused.Refusal!.Type);
        Assert.Equal(51_600L, refused.Refusal.Extensions["remaining"]);
        Assert.Equal(67_200L, refused.Refusal.Extensions["requested"]);
    }

    [Fact]
    public void without_an_allocation_nothing_fits() =>
        Assert.Equal(0L, Grant(null, months: 1).Refusal!.Extensions["remaining"]);

    [Fact]
    public void budget_ids_are_stable_and_distinct_per_payer_regency_and_year()
    {
        Assert.Equal(Budget.IdFor(Payer.ApbdRegency, "17.04", 2026), Budget.IdFor(Payer.ApbdRegency, "17.04", 2026));
        Assert.NotEqual(Budget.IdFor(Payer.ApbdRegency, "17.04", 2026), Budget.IdFor(Payer.ApbdRegency, "17.04", 2027));
        Assert.NotEqual(Budget.IdFor(Payer.ApbdRegency, "17.04", 2026), Budget.IdFor(Payer.ApbdRegency, "17.07", 2026));
        Assert.NotEqual(Budget.IdFor(Payer.ApbdProvince, null, 2026), Budget.IdFor(Payer.ApbdRegency, null, 2026));
    }
}

public class MonthRules
{
    [Theory]
    [InlineData("2026-01", true)]
    [InlineData("2026-12", true)]
    [InlineData("2026-13", false)]
    [InlineData("2026-00", false)]
    [InlineData("2026-1", false)]
    [InlineData("26-01", false)]
    [InlineData("2026/01", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void months_are_written_yyyy_mm(string? text, bool valid) => Assert.Equal(valid, YearMonth.TryParse(text, out _));

    [Fact]
    public void month_arithmetic_crosses_years()
    {
        Assert.Equal(new YearMonth(2027, 2), new YearMonth(2026, 11).AddMonths(3));
        Assert.Equal(new YearMonth(2025, 12), new YearMonth(2026, 1).AddMonths(-1));
        Assert.Equal(new YearMonth(2026, 1), YearMonth.FromIndex(new YearMonth(2026, 1).Index));
    }
}
