using EnrolmentCases.Budgets;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using EnrolmentCases.Subsidies;
using JasperFx.Events;
using Wolverine.Marten;

namespace EnrolmentCases.Cases.Closing;

public record CloseCase(ClosureReason? Reason, string? Note = null, long? ExpectedVersion = null) : IExpectVersion;

public static class CloseCaseEndpoint
{
    public static ProblemDetails Validate(CloseCase? command) => ValidationErrors.Check(command, (c, errors) =>
    {
        errors.Required("reason", c.Reason);
        errors.Text("note", c.Note, 2000, multiline: true);
    });

    /// <summary>Closing ends a running subsidy first, giving the unspent commitment back to its budget.</summary>
    public static Decision Decide(Case current, CloseCase command, DateTimeOffset now)
    {
        if (current.Stage == CaseStage.Closed) return Decision.NotAt(current.Stage, "The case is already closed.");
        var reason = command.Reason!.Value;
        var end = reason == ClosureReason.WageEarner ? SubsidyEndReason.WageEarner : SubsidyEndReason.Closure;
        return SubsidyDecisions.End(current, end, now)
            .Then(current, open => Decision.Record(new CaseClosed(reason, command.Note, open.Stage, now)));
    }

    [WolverinePost("/api/cases/{id}/closure", OperationId = "CloseCase", Summary = "Close a case",
        Description = "Closes the case with a reason. A running subsidy ends first and its unspent commitment returns to the budget; the worker's NIK is free for a new case.")]
    [Tags("Cases"), Authorize(Roles = Roles.Caseworker)]
    public static async Task<(IResult, Events, IMartenOp)> Post(CloseCase command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses, IDocumentSession session)
    {
        var decision = lapses.Due(@case, now).Then(@case, current => Decide(current, command, now.Instant));
        var (answer, events) = StageChanges.Annotate(@case, decision, now).Answer(@case);
        // A running subsidy's unspent commitment goes back to its budget (locked and booked last; a release never exceeds it).
        await BudgetLedger.BookAsync(session, @case.Id, events, now.Instant);
        // A closed case no longer holds its NIK: a new case may be opened for the worker.
        return (answer, events,
            decision.Refusal is null && @case.Subject is { } subject ? MartenOps.Delete<OpenCaseClaim>(subject) : MartenOps.Nothing());
    }
}
