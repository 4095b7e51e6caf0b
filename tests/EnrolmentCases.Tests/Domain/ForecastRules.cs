using EnrolmentCases.Forecast;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Domain;

public class ForecastRules
{
    private static ForecastInputs Inputs(IReadOnlyList<CohortMember> cohort, Allocation? province = null,
        Dictionary<string, Allocation>? regencies = null, long covered = 0, long? eligible = null, double target = 0.39) => new(
        2026, target, 0.3, 16_800, "17", "Bengkulu",
        [new RegencyInputs("17.08", "Kabupaten Kepahiang", covered, eligible)],
        cohort, regencies ?? new Dictionary<string, Allocation>(), province);

    private static List<CohortMember> Workers(int count, Payer payer, YearMonth start) =>
        Enumerable.Repeat(new CohortMember("17.08", payer, start, 16_800), count).ToList();

    [Fact]
    public void the_provinces_published_figures_run_out_in_february()
    {
        // 71,935 workers cost Rp 1.21 billion a month against a yearly allocation near Rp 2 billion.
        var report = SubsidyForecast.Calculate(Inputs(Workers(71_935, Payer.ApbdProvince, new YearMonth(2026, 1)),
            province: new Allocation(2_000_000_000, 0, 0, 2_000_000_000)));

        Assert.Equal(1_208_508_000, report.Province.MonthlyCost.Province);
        Assert.Equal("2026-02", report.Province.RunsOut.Province);
        Assert.Equal(12 * 1_208_508_000L - 2_000_000_000, report.Province.Gap.Province);
    }

    [Fact]
    public void a_cohort_starting_in_september_costs_four_months()
    {
        var report = SubsidyForecast.Calculate(Inputs(Workers(10, Payer.ApbdProvince, new YearMonth(2026, 9)),
            province: new Allocation(1_000_000, 672_000, 0, 328_000)));
        Assert.Equal(672_000, report.Province.YearlyCost.Province); // 10 x 4 x 16,800
        Assert.Null(report.Province.RunsOut.Province);
        Assert.Equal(10, report.Regencies[0].SubsidizedWorkers.Province);
    }

    [Fact]
    public void reaching_a_target_costs_the_missing_workers_split_seventy_thirty()
    {
        // Kepahiang: 12,156 vulnerable workers; at 39 % that is 4,741 workers, 741 more than the 4,000 covered.
        var report = SubsidyForecast.Calculate(Inputs([], covered: 4_000, eligible: 12_156,
            regencies: new() { ["17.08"] = new Allocation(100_000_000, 0, 0, 100_000_000) }));
        var row = report.Regencies[0];
        Assert.Equal(741, row.WorkersNeeded);
        var yearly = 741L * 16_800 * 12;
        Assert.Equal(yearly, row.NeededYearlyCost!.Total);
        Assert.Equal((long)Math.Round(yearly * 0.3), row.NeededYearlyCost.Province);
        Assert.Equal(row.NeededYearlyCost.Regency - 100_000_000, row.Gap.Regency);
    }

    [Fact]
    public void a_regency_above_its_target_needs_nobody_and_without_a_target_nothing_is_claimed()
    {
        Assert.Equal(0, SubsidyForecast.WorkersNeeded(0.39, 500, 1_000));
        Assert.Null(SubsidyForecast.WorkersNeeded(0.39, 500, null));
        var report = SubsidyForecast.Calculate(Inputs([]));
        Assert.Null(report.Regencies[0].WorkersNeeded);
        Assert.Null(report.Province.WorkersNeeded);
    }
}
