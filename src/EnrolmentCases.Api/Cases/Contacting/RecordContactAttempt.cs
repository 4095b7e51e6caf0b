using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Cases.Contacting;

public record RecordContactAttempt(
    ContactChannel? Channel,
    ContactOutcome? Outcome,
    string? Note = null,
    DateTimeOffset? OccurredAt = null,
    long? ExpectedVersion = null);

public static class RecordContactAttemptEndpoint
{
    public static ProblemDetails Validate(RecordContactAttempt? command, TimeProvider clock)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        errors.Required("channel", command.Channel);
        errors.Required("outcome", command.Outcome);
        errors.MaxLength("note", command.Note, 2000);
        if (command.OccurredAt > clock.GetUtcNow().AddMinutes(5)) errors.Add("occurredAt", "must not be in the future");
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    /// <summary>Any attempt is recorded; only reaching the worker moves an identified case on.</summary>
    public static object[] Decide(Case current, RecordContactAttempt command, DateTimeOffset now)
    {
        if (current.Stage == CaseStage.Closed)
            throw new InvalidTransition(current.Stage, "A closed case takes no contact attempts; reopen it first.");
        return [new ContactAttempted(command.Channel!.Value, command.Outcome!.Value, command.Note, command.OccurredAt ?? now, now)];
    }

    [WolverinePost("/api/cases/{id}/contact-attempts", Name = "RecordContactAttempt"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, RecordContactAttempt command, CaseCommand cases, HttpContext http, TimeProvider clock) =>
        cases.ExecuteAsync(http, id, command.ExpectedVersion, current => Decide(current, command, clock.GetUtcNow()));
}
