using EnrolmentCases.Budgets;
using EnrolmentCases.Coverage;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using JasperFx;
using Marten;
using Microsoft.AspNetCore.Mvc;

namespace EnrolmentCases.Cases;

/// <summary>What a command on a case came to: the version it produced, or why it was refused.</summary>
public abstract record CommandOutcome
{
    public sealed record Accepted(Guid Id, long Version) : CommandOutcome;

    public sealed record Refused(ProblemDetails Problem) : CommandOutcome;

    public IResult ToHttpResult(HttpContext http) => this switch
    {
        Accepted ok => CommandAccepted.Ok(http, ok.Id, ok.Version),
        Refused no => Results.Problem(no.Problem),
        _ => throw new InvalidOperationException()
    };
}

/// <summary>
/// The one path by which commands change an existing case: load it, check visibility and the
/// expected version, record a lapse that has come due, run the pure decision, keep the budgets in
/// step, append everything with the actor's metadata and commit in one transaction.
/// A command sent without an expected version is retried on a fresh read when another writer got
/// there first, so neither loses work; with one, the conflict is the caller's to resolve.
/// </summary>
public sealed class CaseCommand(IDocumentStore store, LapsePolicy lapses)
{
    private const int Attempts = 10;

    public async Task<IResult> ExecuteAsync(HttpContext http, Guid caseId, long? expectedVersionInBody,
        Func<Case, object[]> decide, Action<IDocumentSession, Case>? alsoWrite = null)
    {
        if (!ETags.TryExpectedVersion(expectedVersionInBody, http.Request, out var expected, out var versionError))
            return Results.Problem(Problems.ValidationFailed("expectedVersion", versionError!));
        var outcome = await ExecuteAsync(CommandContext.From(http), caseId, expected, decide, alsoWrite);
        return outcome.ToHttpResult(http);
    }

    public async Task<CommandOutcome> ExecuteAsync(CommandContext context, Guid caseId, long? expected,
        Func<Case, object[]> decide, Action<IDocumentSession, Case>? alsoWrite = null)
    {
        var ct = context.Cancellation;
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var stream = await session.Events.FetchForWriting<Case>(caseId, ct);
            var fetched = stream.Aggregate;
            var current = fetched;
            if (current is null || !context.Caller.CanChangeCasesOf(current.RegencyCode))
                return new CommandOutcome.Refused(Problems.CaseNotFound(caseId));
            var versionBefore = stream.CurrentVersion ?? 0;
            if (expected is { } wanted && wanted != versionBefore)
                return new CommandOutcome.Refused(Problems.Conflict(versionBefore, wanted));

            var events = new List<object>();
            // A lapse that came due since the last write is history: record it before deciding.
            if (lapses.Due(current) is { } lapsed)
            {
                events.Add(lapsed);
                current = current.Copy();
                current.Apply(lapsed);
            }

            try
            {
                events.AddRange(decide(current));
                if (events.Count == 0) return new CommandOutcome.Accepted(caseId, versionBefore);
                events = StageChanges.Annotate(fetched, events, lapses, lapses.Now);

                await BudgetLedger.RecordAsync(session, caseId, events, lapses.Now, ct);
            }
            catch (InvalidTransition e)
            {
                return new CommandOutcome.Refused(Problems.Create(Problems.InvalidTransition, 409,
                    "The case is not at a stage where this is possible", e.Message,
                    new Dictionary<string, object?> { ["stage"] = e.Stage }));
            }
            catch (CommandRejected e)
            {
                return new CommandOutcome.Refused(Problems.ValidationFailed(e.Field, e.Message));
            }
            catch (BudgetExceeded e)
            {
                return new CommandOutcome.Refused(Problems.Create(Problems.BudgetExceeded, 409,
                    "The budget cannot cover this subsidy", e.Message,
                    new Dictionary<string, object?> { ["remaining"] = e.Remaining, ["requested"] = e.Requested }));
            }

            stream.AppendMany(events);
            alsoWrite?.Invoke(session, current);
            context.Stamp(session);
            try
            {
                await session.SaveChangesAsync(ct);
                return new CommandOutcome.Accepted(caseId, versionBefore + events.Count);
            }
            catch (ConcurrencyException) when (expected is null && attempt < Attempts)
            {
                // Someone else appended first; decide again on what they wrote, after a short jittered pause.
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), ct);
            }
            catch (ConcurrencyException)
            {
                await using var query = store.QuerySession();
                var state = await query.Events.FetchStreamStateAsync(caseId, ct);
                return new CommandOutcome.Refused(Problems.Conflict(state?.Version ?? 0, expected ?? versionBefore));
            }
            catch (DocumentAlreadyExistsException)
            {
                var duplicate = await OpenCaseClaim.DuplicateProblem(session, current.Nik, ct);
                return new CommandOutcome.Refused(duplicate);
            }
        }
    }
}

/// <summary>Thrown by a case decision when a field is well-formed but does not fit the case.</summary>
public sealed class CommandRejected(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
