using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using JasperFx;
using Marten;

namespace EnrolmentCases.Cases;

/// <summary>
/// The one path by which commands change an existing case: load it, check visibility and the
/// expected version, run the pure decision, append its events with the request's metadata, commit.
/// A command sent without an expected version is retried on a fresh read when another writer got
/// there first, so neither loses work; with one, the conflict is the caller's to resolve.
/// </summary>
public static class CaseCommand
{
    private const int Attempts = 10;

    public static async Task<IResult> Execute(
        IDocumentStore store,
        HttpContext http,
        Guid caseId,
        long? expectedVersionInBody,
        Func<Case, object[]> decide,
        Action<IDocumentSession, Case>? alsoWrite = null)
    {
        if (!ETags.TryExpectedVersion(expectedVersionInBody, http.Request, out var expected, out var versionError))
            return Results.Problem(Problems.ValidationFailed("expectedVersion", versionError!));

        var caller = Caller.From(http.User);
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var stream = await session.Events.FetchForWriting<Case>(caseId, http.RequestAborted);
            var current = stream.Aggregate;
            if (current is null || !caller.CanChangeCasesOf(current.RegencyCode))
                return Results.Problem(Problems.CaseNotFound(caseId));
            if (expected is { } wanted && wanted != stream.CurrentVersion)
                return Results.Problem(Problems.Conflict(stream.CurrentVersion ?? 0, wanted));

            object[] events;
            try
            {
                events = decide(current);
            }
            catch (InvalidTransition e)
            {
                return Results.Problem(Problems.Create(Problems.InvalidTransition, 409,
                    "The case is not at a stage where this is possible", e.Message,
                    new Dictionary<string, object?> { ["stage"] = e.Stage }));
            }

            var versionBefore = stream.CurrentVersion ?? 0;
            stream.AppendMany(events);
            alsoWrite?.Invoke(session, current);
            RequestMetadata.Stamp(session, http);
            try
            {
                await session.SaveChangesAsync(http.RequestAborted);
                return CommandAccepted.Ok(http, caseId, versionBefore + events.Length);
            }
            catch (ConcurrencyException) when (expected is null && attempt < Attempts)
            {
                // Someone else appended first; decide again on what they wrote, after a short jittered pause.
                await Task.Delay(Random.Shared.Next(1, 5 * attempt), http.RequestAborted);
            }
            catch (ConcurrencyException)
            {
                await using var query = store.QuerySession();
                var state = await query.Events.FetchStreamStateAsync(caseId, http.RequestAborted);
                return Results.Problem(Problems.Conflict(state?.Version ?? 0, expected ?? versionBefore));
            }
            catch (DocumentAlreadyExistsException)
            {
                return await OpenCaseClaim.DuplicateProblem(session, current.Nik, http.RequestAborted);
            }
        }
    }
}
