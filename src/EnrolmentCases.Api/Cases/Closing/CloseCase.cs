using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Subsidies;
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

    /// <summary>Closing ends a running subsidy first, giving the unspent commitment back to its budget.</summary>
    public static object[] Decide(Case current, CloseCase command, DateTimeOffset now)
    {
        if (current.Stage == CaseStage.Closed)
            throw new InvalidTransition(current.Stage, "The case is already closed.");

        var reason = command.Reason!.Value;
        var ending = SubsidyDecisions.End(current,
            reason == ClosureReason.WageEarner ? SubsidyEndReason.WageEarner : SubsidyEndReason.Closure, now);
        var fromStage = ending is not null && current.Stage == CaseStage.Subsidized ? CaseStage.Enrolled : current.Stage;
        return ending is null
            ? [new CaseClosed(reason, command.Note, fromStage, now)]
            : [ending, new CaseClosed(reason, command.Note, fromStage, now)];
    }

    [WolverinePost("/api/cases/{id}/closure", Name = "CloseCase"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, CloseCase command, CaseCommand cases, HttpContext http, TimeProvider clock) =>
        cases.ExecuteAsync(http, id, command.ExpectedVersion,
            current => Decide(current, command, clock.GetUtcNow()),
            ReleaseNik);

    /// <summary>A closed case no longer holds its NIK: a new case may be opened for the worker.</summary>
    public static void ReleaseNik(IDocumentSession session, Case closing) => session.Delete<OpenCaseClaim>(closing.Nik);
}
