using EnrolmentCases.Cases;

namespace EnrolmentCases.Coverage;

/// <summary>
/// The case moved from one stage to another. Appended to the case's stream right after the event
/// that caused the move, with when it was recorded and when it takes effect, and the changes it
/// makes to the stage counts on both bases: the coverage read models read nothing else.
/// </summary>
public record CaseStageChanged(
    string RegencyCode,
    CaseStage? From,
    CaseStage To,
    DateTimeOffset RecordedAt,
    DateTimeOffset EffectiveAt,
    List<StageDelta> Recorded,
    List<StageDelta> Effective);

/// <summary>
/// A case's stages over time on both bases: what the next stage change is measured against. Folded
/// with the case (Case.Stages) from the events its command reads under the stream's lock.
/// </summary>
public sealed record CaseStages(IReadOnlyList<StagePeriod> Recorded, IReadOnlyList<StagePeriod> Effective)
{
    public static readonly CaseStages None = new([], []);

    /// <summary>The timelines folded with a case (Case.Stages, untyped there: cases do not depend on coverage), or none.</summary>
    public static CaseStages Of(Case? @case) => @case?.Stages as CaseStages ?? None;

    public static CaseStages Apply(CaseStageChanged e, CaseStages current) => current with
    {
        Recorded = StageTimeline.Move(current.Recorded, e.RecordedAt, e.To).Timeline,
        Effective = StageTimeline.Move(current.Effective, e.EffectiveAt, e.To).Timeline
    };
}
