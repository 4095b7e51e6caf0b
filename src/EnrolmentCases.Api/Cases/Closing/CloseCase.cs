using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Cases.Closing;

public record CloseCase(ClosureReason? Reason, string? Note = null, long? ExpectedVersion = null);

public static class CloseCaseEndpoint
{
    public static ProblemDetails Validate(CloseCase? command)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        errors.Required("reason", command.Reason);
        errors.MaxLength("note", command.Note, 2000);
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    public static object[] Decide(Case current, CloseCase command, DateTimeOffset now)
    {
        if (current.Stage == CaseStage.Closed)
            throw new InvalidTransition(current.Stage, "The case is already closed.");
        return [new CaseClosed(command.Reason!.Value, command.Note, current.Stage, now)];
    }

    [WolverinePost("/api/cases/{id}/closure", Name = "CloseCase"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, CloseCase command, IDocumentStore store, HttpContext http, TimeProvider clock) =>
        CaseCommand.Execute(store, http, id, command.ExpectedVersion,
            current => Decide(current, command, clock.GetUtcNow()),
            // A closed case no longer holds its NIK: a new case may be opened for the worker.
            (session, current) => session.Delete<OpenCaseClaim>(current.Nik));
}
