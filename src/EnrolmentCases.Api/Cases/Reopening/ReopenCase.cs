using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Cases.Reopening;

public record ReopenCase(string? Note, long? ExpectedVersion = null);

public static class ReopenCaseEndpoint
{
    public static ProblemDetails Validate(ReopenCase? command)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        errors.Required("note", command.Note);
        errors.MaxLength("note", command.Note, 2000);
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    /// <summary>A reopened case returns to the stage it was closed from.</summary>
    public static object[] Decide(Case current, ReopenCase command, DateTimeOffset now)
    {
        if (current.Stage != CaseStage.Closed)
            throw new InvalidTransition(current.Stage, "Only a closed case can be reopened.");
        return [new CaseReopened(command.Note!.Trim(), current.StageBeforeClosure ?? CaseStage.Identified, now)];
    }

    [WolverinePost("/api/cases/{id}/reopening", Name = "ReopenCase"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, ReopenCase command, CaseCommand cases, HttpContext http, TimeProvider clock) =>
        cases.ExecuteAsync(http, id, command.ExpectedVersion,
            current => Decide(current, command, clock.GetUtcNow()),
            // Fails with duplicate-case when another open case took the NIK meanwhile.
            (session, current) => session.Insert(new OpenCaseClaim(current.Nik, current.Id, current.RegencyCode)));
}
