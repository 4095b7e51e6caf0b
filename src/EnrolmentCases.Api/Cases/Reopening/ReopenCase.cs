using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Regencies;
using JasperFx;
using Wolverine.Marten;

namespace EnrolmentCases.Cases.Reopening;

public record ReopenCase(string? Note, long? ExpectedVersion = null) : IExpectVersion;

public static class ReopenCaseEndpoint
{
    public static ProblemDetails Validate(ReopenCase? command) => ValidationErrors.Check(command, (c, errors) =>
    {
        errors.Required("note", c.Note);
        errors.Text("note", c.Note, 2000, multiline: true);
    });

    /// <summary>A reopened case returns to the stage it was closed from.</summary>
    public static Decision Decide(Case current, ReopenCase command, DateTimeOffset now) =>
        current.Stage != CaseStage.Closed
            ? Decision.NotAt(current.Stage, "Only a closed case can be reopened.")
            : Decision.Record(new CaseReopened(command.Note!.Trim(), current.StageBeforeClosure ?? CaseStage.Identified, now));

    [WolverinePost("/api/cases/{id}/reopening", OperationId = "ReopenCase", Summary = "Reopen a case",
        Description = "Returns a closed case to the stage it was closed from, unless the worker has meanwhile got another open case (duplicate-case).")]
    [Tags("Cases"), Authorize(Roles = Roles.Caseworker)]
    public static (IResult, Events, IMartenOp) Post(ReopenCase command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses)
    {
        var decision = lapses.Due(@case, now).Then(@case, current => Decide(current, command, now.Instant));
        var (answer, events) = StageChanges.Annotate(@case, decision, now).Answer(@case);
        // The case holds the NIK again; the commit fails with duplicate-case when another open case took it meanwhile.
        // An erased case knows no NIK to hold.
        return (answer, events,
            decision.Refusal is null && @case.Subject is { } subject ? MartenOps.Insert(OpenCaseClaim.For(@case, subject)) : MartenOps.Nothing());
    }

    public static Task<ProblemDetails> OnExceptionAsync(DocumentAlreadyExistsException e, Case @case, IDocumentStore store,
        HttpResponse response) =>
        OpenCaseClaim.DuplicateProblemAsync(store, @case.Subject!, Caller.From(response.HttpContext.User));
}
