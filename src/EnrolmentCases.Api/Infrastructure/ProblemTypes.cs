
namespace EnrolmentCases.Infrastructure;

public sealed record ProblemTypeDescription(string Type, int Status, string Title, string Meaning);

/// <summary>Makes every problem `type` URI resolvable to a description of what it means.</summary>
public static class ProblemTypesEndpoint
{
    private static readonly ProblemTypeDescription[] Known =
    [
        Describe(Problems.Validation, 400, "Malformed JSON, or missing or invalid fields; `errors` maps each field to its messages."),
        Describe(Problems.Unauthorized, 401, "No bearer token, or one that is expired or not signed by a trusted key."),
        Describe(Problems.Forbidden, 403, "The token's role or regencies do not allow this request."),
        Describe(Problems.NotFound, 404, "Unknown id, or a case outside the caller's regencies."),
        Describe(Problems.DuplicateCase, 409, "An open case already exists for this NIK; `existingCaseId` names it when the caller may see that case."),
        Describe(Problems.InvalidTransition, 409, "The command does not fit the case's stage; `stage` gives the current one."),
        Describe(Problems.ConcurrencyConflict, 409, "expectedVersion or If-Match did not match; `currentVersion` gives the current one."),
        Describe(Problems.BudgetExceeded, 409, "A subsidy, or an allocation adjustment, would take the payer's remaining allocation below zero; `remaining` gives it."),
        Describe(Problems.JobRunning, 409, "A one-at-a-time job (replay verification) is already queued or running; `jobId` names it."),
        Describe(Problems.IdempotencyKeyReused, 422, "An Idempotency-Key seen before (same caller, within its retention) arrived with a different request; nothing was done. Use a new key."),
        Describe(Problems.IdempotencyKeyInUse, 409, "The first request with this Idempotency-Key was carried out but its answer is not available yet (or was lost when the server stopped); nothing was done now. Read the result back."),
        Describe(Problems.PayloadTooLarge, 413, "The request body is larger than this endpoint accepts."),
        Describe(Problems.UnsupportedMediaType, 415, "The body's Content-Type is not one this endpoint reads (usually application/json)."),
        Describe(Problems.RateLimited, 429, "Too many requests from one client; retry after the Retry-After delay."),
        Describe(Problems.ServiceUnavailable, 503, "The database cannot be reached or is restarting; retry after the Retry-After delay. " +
                                                   "Nothing was written, unless the detail says the connection broke while the change was being saved."),
        Describe(Problems.ServerError, 500, "An unexpected error; nothing was saved. Quote the traceId when reporting it.")
    ];

    private static ProblemTypeDescription Describe(string slug, int status, string meaning) =>
        new(Problems.TypeFor(slug), status, Problems.ForStatus(status).Title, meaning);

    [WolverineGet("/problems", OperationId = "ListProblemTypes", Summary = "Problem types",
        Description = "Every problem type the API answers with, and what it means.")]
    [Tags("Reference"), AllowAnonymous]
    public static ProblemTypeDescription[] List() => Known;

    [WolverineGet("/problems/{slug}", OperationId = "GetProblemType", Summary = "A problem type",
        Description = "What one problem type means.")]
    [Tags("Reference"), AllowAnonymous]
    [ProducesResponseType<ProblemTypeDescription>(200)]
    public static IResult Get(string slug) =>
        Known.FirstOrDefault(p => p.Type == Problems.TypeFor(slug)) is { } found
            ? Results.Ok(found)
            : Results.Problem(Problems.Create(Problems.NotFound, 404, "Unknown problem type"));
}
