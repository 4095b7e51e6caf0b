using System.Text.Json.Serialization;
using EnrolmentCases.Cases;

namespace EnrolmentCases.Coverage;

/// <summary>The two clocks coverage can be read on.</summary>
public enum Basis
{
    /// <summary>What the system knew at the time: every change counts from when it was recorded.</summary>
    [JsonStringEnumMemberName("recorded")] Recorded,
    /// <summary>As known now: changes count from their effective dates (backdated enrolments, lapse days).</summary>
    [JsonStringEnumMemberName("effective")] Effective
}

/// <summary>From this instant on, the case is at this stage.</summary>
public sealed record StagePeriod(DateTimeOffset From, CaseStage Stage);

/// <summary>A change to the count of cases at a stage, at an instant: +1 entering, -1 leaving.</summary>
public sealed record StageDelta(DateTimeOffset At, CaseStage Stage, int Change);

/// <summary>
/// A case's stages over time on one basis, and what a new stage change does to the counts.
/// On the effective basis a change may take effect before changes recorded earlier (a backdated
/// enrolment recorded after the contact that led to it); then everything recorded before it that
/// would take effect later is pulled back to the same instant, so each case's timeline stays in
/// order and no count ever goes negative.
/// </summary>
public static class StageTimeline
{
    public static (List<StagePeriod> Timeline, List<StageDelta> Deltas) Move(
        IReadOnlyList<StagePeriod> current, DateTimeOffset at, CaseStage to)
    {
        var next = current.Where(p => p.From < at).ToList();
        if (next.Count == 0 || next[^1].Stage != to) next.Add(new StagePeriod(at, to));
        return (next, Difference(DeltasOf(current), DeltasOf(next)));
    }

    private static IEnumerable<StageDelta> DeltasOf(IReadOnlyList<StagePeriod> timeline)
    {
        for (var i = 0; i < timeline.Count; i++)
        {
            yield return new StageDelta(timeline[i].From, timeline[i].Stage, +1);
            if (i > 0) yield return new StageDelta(timeline[i].From, timeline[i - 1].Stage, -1);
        }
    }

    private static List<StageDelta> Difference(IEnumerable<StageDelta> before, IEnumerable<StageDelta> after) =>
        after.Concat(before.Select(d => d with { Change = -d.Change }))
            .GroupBy(d => (d.At, d.Stage))
            .Select(g => new StageDelta(g.Key.At, g.Key.Stage, g.Sum(d => d.Change)))
            .Where(d => d.Change != 0)
            .OrderBy(d => d.At).ThenBy(d => d.Stage)
            .ToList();
}
