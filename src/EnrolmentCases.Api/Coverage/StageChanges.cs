using EnrolmentCases.Cases;
using EnrolmentCases.Lapses;

namespace EnrolmentCases.Coverage;

/// <summary>
/// Follows a case through the events a command produces and adds a CaseStageChanged after each
/// event that moves it to another stage, with the instant the move takes effect.
/// </summary>
public static class StageChanges
{
    public static List<object> Annotate(Case? before, IEnumerable<object> events, LapsePolicy calendar, DateTimeOffset now)
    {
        var state = before?.Copy();
        var annotated = new List<object>();
        foreach (var e in events)
        {
            annotated.Add(e);
            var from = state?.Stage;
            if (state is null) state = Case.Create((WorkerIdentified)e);
            else state.Follow(e);
            if (state.Stage == from) continue;

            var effective = EffectiveAt(e, calendar) ?? now;
            var change = new CaseStageChanged(state.RegencyCode, from, state.Stage, now, effective,
                StageTimeline.Move(state.RecordedStages, now, state.Stage).Deltas,
                StageTimeline.Move(state.EffectiveStages, effective, state.Stage).Deltas);
            state.Apply(change);
            annotated.Add(change);
        }

        return annotated;
    }

    /// <summary>When a change takes effect, where the event says so; otherwise when it is recorded.</summary>
    public static DateTimeOffset? EffectiveAt(object e, LapsePolicy calendar) => e switch
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
