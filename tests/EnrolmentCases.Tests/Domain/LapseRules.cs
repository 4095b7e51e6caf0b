using EnrolmentCases.Cases;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Payments;

namespace EnrolmentCases.Tests.Domain;

public class LapseRules
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private const int Grace = 3;

    /// <summary>Enrolled with premiums due from January 2026, having paid the given months.</summary>
    private static Case EnrolledFromJanuary(params string[] paidMonths)
    {
        var state = new Case(Guid.NewGuid(), "1704015506900001", "17.04", CaseStage.Contacted)
            .After(new WorkerEnrolled("12345678901", [Programme.Jkk, Programme.Jkm], 1_000_000, new DateOnly(2026, 1, 1), Now));
        foreach (var month in paidMonths)
        {
            YearMonth.TryParse(month, out var m);
            state = state.After(new PremiumPaid(m, 16_800, m.FirstDay, null, Now));
        }

        return state;
    }

    [Fact]
    public void three_unpaid_months_are_tolerated_the_fourth_lapses_the_membership()
    {
        var state = EnrolledFromJanuary();
        Assert.Null(LapseRule.Due(state, new DateOnly(2026, 4, 30), Grace, Now));

        var lapsed = LapseRule.Due(state, new DateOnly(2026, 5, 1), Grace, Now);
        Assert.NotNull(lapsed);
        Assert.Equal(new YearMonth(2026, 1), lapsed.FirstUnpaidMonth);
        Assert.Equal(4, lapsed.UnpaidMonths);
        Assert.Equal(new DateOnly(2026, 5, 1), lapsed.EffectiveOn);
    }

    [Fact]
    public void the_count_starts_after_the_latest_paid_month()
    {
        var state = EnrolledFromJanuary("2026-01", "2026-02");
        Assert.Null(LapseRule.Due(state, new DateOnly(2026, 6, 30), Grace, Now));
        Assert.Equal(new DateOnly(2026, 7, 1), LapseRule.Due(state, new DateOnly(2026, 7, 1), Grace, Now)!.EffectiveOn);
    }

    [Fact]
    public void a_lapse_found_late_keeps_the_day_it_happened()
    {
        var lapsed = LapseRule.Due(EnrolledFromJanuary(), new DateOnly(2026, 9, 15), Grace, Now)!;
        Assert.Equal(new DateOnly(2026, 5, 1), lapsed.EffectiveOn);
        Assert.Equal(8, lapsed.UnpaidMonths);
    }

    [Theory]
    [InlineData(CaseStage.Identified)]
    [InlineData(CaseStage.Contacted)]
    [InlineData(CaseStage.Closed)]
    [InlineData(CaseStage.Lapsed)]
    public void only_active_memberships_lapse(CaseStage stage)
    {
        var state = EnrolledFromJanuary() with { Stage = stage };
        Assert.Null(LapseRule.Due(state, new DateOnly(2027, 1, 1), Grace, Now));
    }

    [Fact]
    public void paying_the_current_month_reactivates_a_lapsed_membership_but_old_arrears_do_not()
    {
        var today = new DateOnly(2026, 6, 10);
        var state = EnrolledFromJanuary();
        state = state.After(LapseRule.Due(state, today, Grace, Now)!);
        Assert.Equal(CaseStage.Lapsed, state.Stage);

        var arrears = RecordPremiumPaymentEndpoint.Decide(state, new RecordPremiumPayment("2026-01", 16_800, today), today, Grace, Now);
        Assert.IsType<PremiumPaid>(Assert.Single(arrears.Events));

        var current = RecordPremiumPaymentEndpoint.Decide(state, new RecordPremiumPayment("2026-06", 16_800, today), today, Grace, Now);
        Assert.Equal(2, current.Events.Count);
        var back = Assert.IsType<CaseReactivated>(current.Events[1]);
        Assert.Equal(CaseStage.Enrolled, back.ToStage);
    }

    [Fact]
    public void a_month_already_paid_is_not_recorded_twice()
    {
        var state = EnrolledFromJanuary("2026-01");
        var again = RecordPremiumPaymentEndpoint.Decide(state, new RecordPremiumPayment("2026-01", 16_800, new DateOnly(2026, 1, 5)),
            new DateOnly(2026, 2, 1), Grace, Now);
        Assert.Empty(again.Events);
        Assert.Null(again.Refusal);
    }

    [Fact]
    public void a_month_before_premiums_fell_due_is_refused()
    {
        var refused = RecordPremiumPaymentEndpoint.Decide(EnrolledFromJanuary(),
            new RecordPremiumPayment("2025-12", 16_800, new DateOnly(2026, 1, 5)), new DateOnly(2026, 2, 1), Grace, Now);
        Assert.Empty(refused.Events);
        Assert.Contains("month", ((Microsoft.AspNetCore.Mvc.ValidationProblemDetails)refused.Refusal!).Errors.Keys);
    }
}
