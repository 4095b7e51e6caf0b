using EnrolmentCases.Infrastructure;
using Wolverine.Marten;

namespace EnrolmentCases.Cases;

/// <summary>What a command decided about a case: the events to record, or why it was refused.</summary>
public sealed record Decision(IReadOnlyList<object> Events, ProblemDetails? Refusal = null)
{
    public static Decision Record(params object[] events) => new(events);

    /// <summary>The command does not fit the case's stage (409 invalid-transition, naming the stage).</summary>
    public static Decision NotAt(CaseStage stage, string detail) => new([], Problems.Create(Problems.InvalidTransition, 409,
        "The case is not at a stage where this is possible", detail, new Dictionary<string, object?> { ["stage"] = stage }));

    /// <summary>A well-formed field that does not fit this case (400 validation).</summary>
    public static Decision Invalid(string field, string message) => new([], Problems.ValidationFailed(field, message));

    public static Decision Refuse(ProblemDetails problem) => new([], problem);

    /// <summary>Runs the next step on the case as these events leave it, unless this decision was a refusal.</summary>
    public Decision Then(Case before, Func<Case, Decision> next)
    {
        if (Refusal is not null) return this;
        var after = next(Events.Aggregate(before, (state, e) => state.After(e)));
        return after.Refusal is not null ? after : new Decision([.. Events, .. after.Events]);
    }

    /// <summary>The HTTP answer and the events to append: the case's new version, or the refusal with nothing appended.</summary>
    public (IResult Answer, Events Events) Answer(Case before)
    {
        var events = new Events();
        if (Refusal is { } refused) return (Results.Problem(refused), events);
        events.AddRange(Events);
        return (new CommandAnswer(before.Id, before.Version + events.Count), events);
    }
}
