using EnrolmentCases.Audit;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The pure halves of readiness: how far behind is too far.</summary>
public class HealthRules
{
    private static readonly string[] Projections = ["CoverageMonth:All", "CoverageDelta:All"];

    [Fact]
    public void projections_within_the_lag_of_the_high_water_mark_are_healthy()
    {
        var rows = new Dictionary<string, long> { ["HighWaterMark"] = 1_000, ["CoverageMonth:All"] = 1_000, ["CoverageDelta:All"] = 995 };
        var assessment = ProjectionLag.Assess(Projections, rows, head: 1_002, maxLag: 10);
        Assert.False(assessment.Degraded, assessment.Description);
        Assert.Equal(1_000L, assessment.Data["highWaterMark"]);
    }

    [Fact]
    public void a_projection_without_a_row_counts_from_zero()
    {
        var rows = new Dictionary<string, long> { ["HighWaterMark"] = 50, ["CoverageMonth:All"] = 50 };
        var assessment = ProjectionLag.Assess(Projections, rows, head: 50, maxLag: 10);
        Assert.True(assessment.Degraded);
        Assert.Contains("CoverageDelta:All is 50 events behind", assessment.Description);
    }

    [Fact]
    public void a_stalled_high_water_mark_is_caught_by_the_sequence_even_when_every_projection_has_reached_it()
    {
        var rows = new Dictionary<string, long> { ["HighWaterMark"] = 100, ["CoverageMonth:All"] = 100, ["CoverageDelta:All"] = 100 };
        var assessment = ProjectionLag.Assess(Projections, rows, head: 5_000, maxLag: 1_000);
        Assert.True(assessment.Degraded);
        Assert.Contains("is the projection daemon running?", assessment.Description);
    }

    private static readonly AuditOptions Sealing = new() { SealIntervalSeconds = 2, MaxSealLagSeconds = 30 };

    [Theory]
    [InlineData(100, 100, null, false)] // all sealed, never ran here: nothing waits
    [InlineData(100, 90, 3.0, false)] // ten wait for the next run
    [InlineData(100, 90, 31.0, true)] // ten wait and the sealer stopped
    [InlineData(100, 0, null, true)] // events wait and no run ever finished
    public void the_sealer_is_degraded_only_when_events_wait_longer_than_allowed(long highWater, long sealedThrough, double? lastRunSecondsAgo, bool degraded)
    {
        var assessment = SealerLag.Assess(Sealing, highWater, sealedThrough, lastRunSecondsAgo);
        Assert.Equal(degraded, assessment.Degraded);
        Assert.Equal(highWater - sealedThrough, assessment.Data["unsealedEvents"]);
    }

    [Fact]
    public void a_sealer_disabled_by_configuration_says_so()
    {
        var assessment = SealerLag.Assess(new AuditOptions { SealIntervalSeconds = 0 }, 100, 0, null);
        Assert.False(assessment.Degraded);
        Assert.Contains("disabled by configuration", assessment.Description);
        Assert.Equal(false, assessment.Data["enabled"]);
    }
}
