using EnrolmentCases.Audit;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The pure halves of readiness: how far behind is too far.</summary>
public class HealthRules
{
    private static readonly string[] Projections = ["CoverageMonth:All", "CoverageChange:All"];

    [Fact]
    public void projections_within_the_lag_of_the_high_water_mark_are_healthy()
    {
        var rows = new Dictionary<string, long> { ["HighWaterMark"] = 1_000, ["CoverageMonth:All"] = 1_000, ["CoverageChange:All"] = 995 };
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
        Assert.Contains("CoverageChange:All is 50 events behind", assessment.Description);
    }

    [Fact]
    public void a_stalled_high_water_mark_is_caught_by_the_sequence_even_when_every_projection_has_reached_it()
    {
        var rows = new Dictionary<string, long> { ["HighWaterMark"] = 100, ["CoverageMonth:All"] = 100, ["CoverageChange:All"] = 100 };
        var assessment = ProjectionLag.Assess(Projections, rows, head: 5_000, maxLag: 1_000);
        Assert.True(assessment.Degraded);
        Assert.Contains("is the projection daemon running?", assessment.Description);
    }

    [Theory]
    [InlineData(105, 100, 61.0, true)] // a few newer events and a mark that stood still for a minute: no daemon anywhere
    [InlineData(105, 100, 10.0, false)] // a few newer events, the mark moved recently: the daemon is on its way
    [InlineData(100, 100, 3_600.0, false)] // nothing new for an hour: a quiet day, not a stall
    [InlineData(105, 100, null, false)] // no time known: only the lag counts
    public void a_high_water_mark_that_stands_still_behind_newer_events_is_a_stall(long head, long highWater, double? movedSecondsAgo, bool degraded)
    {
        var rows = new Dictionary<string, long> { ["HighWaterMark"] = highWater, ["CoverageMonth:All"] = highWater, ["CoverageChange:All"] = highWater };
        var assessment = ProjectionLag.Assess(Projections, rows, head, maxLag: 10_000, movedSecondsAgo, maxStallSeconds: 60);
        Assert.Equal(degraded, assessment.Degraded);
        if (degraded) Assert.Contains("has not moved for 61 s", assessment.Description);
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
