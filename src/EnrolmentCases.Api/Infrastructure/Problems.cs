
namespace EnrolmentCases.Infrastructure;

/// <summary>
/// The stable problem types of the API (RFC 9457). Clients match on the slug at the end of `type`.
/// </summary>
public static class Problems
{
    public const string Validation = "validation";
    public const string NotFound = "not-found";
    public const string DuplicateCase = "duplicate-case";
    public const string InvalidTransition = "invalid-transition";
    public const string ConcurrencyConflict = "concurrency-conflict";
    public const string BudgetExceeded = "budget-exceeded";
    public const string JobRunning = "job-running";
    public const string IdempotencyKeyReused = "idempotency-key-reused";
    public const string IdempotencyKeyInUse = "idempotency-key-in-use";
    public const string RateLimited = "rate-limited";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string PayloadTooLarge = "payload-too-large";
    public const string ServiceUnavailable = "service-unavailable";
    public const string ServerError = "server-error";

    // Relative URI: resolved against the API itself, which serves a description at GET /problems/{slug}.
    public const string TypeBase = "/problems/";

    public static string TypeFor(string slug) => TypeBase + slug;

    /// <summary>Slug and title used when a status code reaches the client without a body of its own.</summary>
    public static (string Slug, string Title) ForStatus(int status) => status switch
    {
        400 => (Validation, "The request is invalid"),
        401 => (Unauthorized, "Authentication is required"),
        403 => (Forbidden, "Your role does not allow this"),
        404 => (NotFound, "Not found"),
        405 => ("method-not-allowed", "Method not allowed"),
        406 => ("not-acceptable", "Not acceptable"),
        409 => (ConcurrencyConflict, "Conflict"),
        413 => (PayloadTooLarge, "The request body is too large"),
        415 => (UnsupportedMediaType, "Unsupported media type"),
        422 => (IdempotencyKeyReused, "This Idempotency-Key was used for another request"),
        429 => (RateLimited, "Too many requests"),
        503 => (ServiceUnavailable, "The database cannot be reached"),
        _ => (status >= 500 ? ServerError : "error", status >= 500 ? "Unexpected server error" : "Request failed")
    };

    public static ProblemDetails Create(string slug, int status, string title, string? detail = null,
        IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Type = TypeFor(slug), Status = status, Title = title, Detail = detail };
        if (extensions != null)
        {
            foreach (var (key, value) in extensions) problem.Extensions[key] = value;
        }

        return problem;
    }

    public static ProblemDetails ValidationFailed(IDictionary<string, string[]> errors, string? detail = null)
    {
        var problem = new ValidationProblemDetails(errors)
        {
            Type = TypeFor(Validation),
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is invalid",
            Detail = detail ?? "See errors for the fields that need correcting."
        };
        return problem;
    }

    public static ProblemDetails ValidationFailed(string field, string message) =>
        ValidationFailed(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemDetails MissingBody => ValidationFailed("body", "is required: send the command as a JSON object");

    public static ProblemDetails CaseNotFound(Guid id) =>
        Create(NotFound, 404, "Case not found", $"No case {id} is visible to you.");

    public static ProblemDetails StartedMeanwhile => Create(ConcurrencyConflict, 409, "Another change was saved at the same moment",
        "Another request started this record at the same moment and nothing was written. Send it again.");

    public static ProblemDetails Conflict(long currentVersion, long expectedVersion) =>
        Create(ConcurrencyConflict, 409, "The case changed since you read it",
            $"Expected version {expectedVersion} but the case is at version {currentVersion}. Reload it and try again.",
            new Dictionary<string, object?> { ["currentVersion"] = currentVersion });
}
