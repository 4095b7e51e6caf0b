using EnrolmentCases.Cases;
using EnrolmentCases.DemoData;

namespace EnrolmentCases.Tests.Domain;

public class DemoPlanRules
{
    private const double DefaultScale = 0.05;

    private static double Ratio(string code, double scale)
    {
        var regency = DemoPlan.Regencies.Single(r => r.Code == code);
        return (double)DemoPlan.Covered(regency, scale) / DemoPlan.Eligible(regency, scale);
    }

    private static double Province(double scale) =>
        (double)DemoPlan.Regencies.Sum(r => DemoPlan.Covered(r, scale)) / DemoPlan.Regencies.Sum(r => DemoPlan.Eligible(r, scale));

    [Theory]
    [InlineData(DefaultScale)]
    [InlineData(0.02)]
    [InlineData(1.0)]
    public void the_plan_reproduces_the_articles_figures_within_half_a_point(double scale)
    {
        Assert.InRange(Province(scale), 0.365, 0.375);
        Assert.InRange(Ratio("17.04", scale), 0.745, 0.755);
        Assert.InRange(Ratio("17.07", scale), 0.165, 0.175);
        var ratios = DemoPlan.Regencies.ToDictionary(r => r.Code, r => Ratio(r.Code, scale));
        Assert.Equal("17.04", ratios.MaxBy(x => x.Value).Key);
        Assert.Equal("17.07", ratios.MinBy(x => x.Value).Key);
    }

    [Fact]
    public void at_full_scale_the_targets_add_up_to_the_provinces_count_of_vulnerable_workers() =>
        Assert.Equal(114_883, DemoPlan.Regencies.Sum(r => r.VulnerableWorkers));

    [Fact]
    public void the_plan_is_deterministic_and_covers_every_stage()
    {
        var first = DemoPlan.Cases(0.02, 16_800, 0.3);
        var second = DemoPlan.Cases(0.02, 16_800, 0.3);
        Assert.Equal(first.Count, second.Count);
        Assert.Equal(first.Select(c => c.Steps[^1].At), second.Select(c => c.Steps[^1].At));
        Assert.Equal(Enum.GetValues<CaseStage>().Order(), first.Select(c => c.FinalStage).Distinct().Order());
        Assert.All(first, c => Assert.Equal(c.Steps.OrderBy(s => s.At).Select(s => s.At), c.Steps.Select(s => s.At)));
        Assert.All(first, c => Assert.True(c.Steps[^1].At <= DemoPlan.End));
    }
}
