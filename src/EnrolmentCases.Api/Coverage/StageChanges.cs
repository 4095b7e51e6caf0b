using EnrolmentCases.Cases;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Coverage;

/// <summary>
/// The coverage annotation every command on a case composes: follows the case through the events
/// its decision produced and adds a CaseStageChanged after each event that moves it to another
/// stage, with the instant the move takes effect and what it does to the counts on both bases.
/// </summary>
public static class StageChanges
{
    /// <summary>
    /// The stages are folded with the case itself (<see cref="Case.Stages"/>), from the events its command read inside the
    /// transaction and under the stream's lock: the stream is not read a second time (ADR 0046).
    /// </summary>
    public static Decision Annotate(Case? before, Decision decision, Now now)
    {
        if (decision.Refusal is not null || !MovesStage(before, decision.Events)) return decision;
        return decision with { Events = Annotate(before, CaseStages.Of(before), decision.Events, now.Calendar, now.Instant) };
    }

    public static List<object> Annotate(Case? before, CaseStages stages, IEnumerable<object> events, ProvinceCalendar calendar,
        DateTimeOffset now)
    {
        var state = before;
        var annotated = new List<object>();
        foreach (var e in events)
        {
            annotated.Add(e);
            var from = state?.Stage;
            state = state is null ? Case.Opened((WorkerIdentified)e) : state.After(e);
            if (state.Stage == from) continue;

            var effective = EffectiveAt(e, calendar) ?? now;
            var change = new CaseStageChanged(state.RegencyCode, from, state.Stage, now, effective,
                StageTimeline.Move(stages.Recorded, now, state.Stage).Deltas,
                StageTimeline.Move(stages.Effective, effective, state.Stage).Deltas);
            stages = CaseStages.Apply(change, stages);
            annotated.Add(change);
        }

        return annotated;
    }

    private static bool MovesStage(Case? before, IReadOnlyList<object> events) =>
        before is null || Stages(before, events).Distinct().Count() > 1;

    private static IEnumerable<CaseStage> Stages(Case before, IEnumerable<object> events)
    {
        var state = before;
        yield return state.Stage;
        foreach (var e in events) yield return (state = state.After(e)).Stage;
    }

    /// <summary>When a change takes effect, where the event says so; otherwise when it is recorded.</summary>
    public static DateTimeOffset? EffectiveAt(object e, ProvinceCalendar calendar) => e switch
    {
        WorkerIdentified x => x.IdentifiedAt,
        CaseStageChanged x => x.EffectiveAt,
        ContactAttempted x => x.OccurredAt,
        WorkerEnrolled x => calendar.StartOf(x.EffectiveDate),
        SubsidyGranted x => calendar.StartOf(x.StartMonth.FirstDay),
        CaseLapsed x => calendar.StartOf(x.EffectiveOn),
        _ => null
    };
}
