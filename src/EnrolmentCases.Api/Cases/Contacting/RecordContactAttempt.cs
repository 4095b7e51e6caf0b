using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Regencies;
using Wolverine.Marten;

namespace EnrolmentCases.Cases.Contacting;

public record RecordContactAttempt(
    ContactChannel? Channel,
    ContactOutcome? Outcome,
    string? Note = null,
    DateTimeOffset? OccurredAt = null,
    long? ExpectedVersion = null) : IExpectVersion;

public static class RecordContactAttemptEndpoint
{
    public static ProblemDetails Validate(RecordContactAttempt? command, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        errors.Required("channel", c.Channel);
        errors.Required("outcome", c.Outcome);
        errors.Text("note", c.Note, 2000, multiline: true);
        if (c.OccurredAt > now.Instant.AddMinutes(5)) errors.Add("occurredAt", "must not be in the future");
        else errors.Instant("occurredAt", c.OccurredAt, now.Bounds);
    });

    /// <summary>Any attempt is recorded; only reaching the worker moves an identified case on.</summary>
    public static Decision Decide(Case current, RecordContactAttempt command, DateTimeOffset now) =>
        current.Stage == CaseStage.Closed
            ? Decision.NotAt(current.Stage, "A closed case takes no contact attempts; reopen it first.")
            : Decision.Record(new ContactAttempted(command.Channel!.Value, command.Outcome!.Value, command.Note,
                command.OccurredAt ?? now, now));

    [WolverinePost("/api/cases/{id}/contact-attempts", OperationId = "RecordContactAttempt", Summary = "Record a contact attempt",
        Description = "Records a visit, call or message to the worker. Reaching the worker moves an identified case to contacted; other outcomes are recorded and leave the stage alone. occurredAt may give the time in the field when the attempt is entered later.")]
    [Tags("Cases"), Authorize(Roles = Roles.Caseworker)]
    public static (IResult, Events) Post(RecordContactAttempt command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses)
    {
        var decision = lapses.Due(@case, now).Then(@case, current => Decide(current, command, now.Instant));
        return StageChanges.Annotate(@case, decision, now).Answer(@case);
    }
}
