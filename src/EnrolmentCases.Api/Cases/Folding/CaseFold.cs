using EnrolmentCases.Coverage;
using EnrolmentCases.Infrastructure;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace EnrolmentCases.Cases.Folding;

/// <summary>
/// Folds the write model of a case from its stream, live, with Case's own Opened and With methods, and keeps the
/// version and MAC of the last event it read (Case.Tail): the MAC listener chains the command's first new event to it
/// instead of reading the stream's tail a second time, and coverage's stage timelines (Case.Stages) so that a command does
/// not read the stream again to annotate a stage change (ADR 0046). Registered for live aggregation only. It lives apart
/// from Case because it knows coverage's events, and coverage knows cases.
/// </summary>
public sealed class CaseFold(string? macHeader) : SingleStreamProjection<Case, Guid>
{
    public override Case? Evolve(Case? snapshot, Guid id, IEvent e)
    {
        var next = e.Data switch
        {
            WorkerIdentified x when snapshot is null => Case.Opened(x),
            CaseStageChanged x when snapshot is not null => snapshot with { Stages = CaseStages.Apply(x, CaseStages.Of(snapshot)) },
            _ => snapshot?.After(e.Data)
        };
        if (next is null) return null;
        var tail = macHeader is null ? null : new StreamTail(e.Version, MacOf(e, macHeader));
        return next with { Version = e.Version, Tail = tail };
    }

    /// <summary>
    /// The MAC header as the tail query reads it (<c>coalesce(headers->>'mac', '')</c>): a JSON string's value, and ""
    /// for none or JSON null (JsonElement's ToString), as the audit's case history reads headers.
    /// </summary>
    private static string MacOf(IEvent e, string header) => e.GetHeader(header)?.ToString() ?? "";
}
