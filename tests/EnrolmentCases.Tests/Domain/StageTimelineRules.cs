using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;

namespace EnrolmentCases.Tests.Domain;

public class StageTimelineRules
{
    private static readonly DateTimeOffset Jan1 = new(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(7));
    private static readonly DateTimeOffset Mar1 = Jan1.AddMonths(2);
    private static readonly DateTimeOffset Mar10 = Mar1.AddDays(9);

    /// <summary>Counts per stage at an instant, from deltas alone: what the coverage read models do.</summary>
    private static Dictionary<CaseStage, int> CountsAt(IEnumerable<StageDelta> deltas, DateTimeOffset at) =>
        deltas.Where(d => d.At <= at).GroupBy(d => d.Stage).ToDictionary(g => g.Key, g => g.Sum(d => d.Change));

    [Fact]
    public void a_new_case_enters_its_first_stage()
    {
        var (timeline, deltas) = StageTimeline.Move([], Mar1, CaseStage.Identified);
        Assert.Equal([new StagePeriod(Mar1, CaseStage.Identified)], timeline);
        Assert.Equal([new StageDelta(Mar1, CaseStage.Identified, 1)], deltas);
    }

    [Fact]
    public void a_later_change_leaves_one_stage_and_enters_the_next()
    {
        var (_, deltas) = StageTimeline.Move([new StagePeriod(Mar1, CaseStage.Identified)], Mar10, CaseStage.Contacted);
        Assert.Equal([new StageDelta(Mar10, CaseStage.Identified, -1), new StageDelta(Mar10, CaseStage.Contacted, 1)], deltas);
    }

    [Fact]
    public void a_backdated_enrolment_pulls_the_earlier_steps_back_and_counts_stay_whole()
    {
        List<StagePeriod> recorded = [new(Mar1, CaseStage.Identified), new(Mar10, CaseStage.Contacted)];
        var all = new List<StageDelta>
        {
            new(Mar1, CaseStage.Identified, 1), new(Mar10, CaseStage.Identified, -1), new(Mar10, CaseStage.Contacted, 1)
        };

        var (timeline, deltas) = StageTimeline.Move(recorded, Jan1, CaseStage.Enrolled);
        all.AddRange(deltas);

        Assert.Equal([new StagePeriod(Jan1, CaseStage.Enrolled)], timeline);
        foreach (var at in new[] { Jan1.AddDays(-1), Jan1, Mar1, Mar1.AddDays(5), Mar10, Mar10.AddDays(30) })
        {
            var counts = CountsAt(all, at);
            Assert.All(counts.Values, c => Assert.InRange(c, 0, 1));
            Assert.Equal(at >= Jan1 ? 1 : 0, counts.GetValueOrDefault(CaseStage.Enrolled));
            Assert.Equal(at >= Jan1 ? 1 : 0, counts.Values.Sum());
        }
    }

    [Fact]
    public void moving_to_the_stage_the_case_already_has_changes_nothing()
    {
        var (timeline, deltas) = StageTimeline.Move([new StagePeriod(Mar1, CaseStage.Enrolled)], Mar10, CaseStage.Enrolled);
        Assert.Single(timeline);
        Assert.Empty(deltas);
    }
}
