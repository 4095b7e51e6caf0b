using JasperFx;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Infrastructure;

public static class ErrorHandling
{
    /// <summary>
    /// Every error leaves as problem details with one of our types, including the ones produced by
    /// the framework itself (bad JSON, wrong content type, unknown route, 405...).
    /// </summary>
    public static IServiceCollection AddProblemResponses(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (problem.Type is null || !problem.Type.StartsWith(Problems.TypeBase, StringComparison.Ordinal))
            {
                var (slug, title) = Problems.ForStatus(status);
                problem.Type = Problems.TypeFor(slug);
                if (status == 400 && context.HttpContext.Features.Get<IExceptionHandlerFeature>() is null)
                    DescribeUnreadableBody(problem);
                else problem.Title = title;
            }

            problem.Instance ??= context.HttpContext.Request.Path;
            problem.Extensions["traceId"] = Telemetry.TraceId(context.HttpContext);
        });
        services.AddSettings<ResilienceOptions>(configuration, ResilienceOptions.Section, ResilienceOptions.Rules);
        services.AddExceptionHandler<UnhandledExceptionHandler>();
        return services;
    }

    /// <summary>
    /// The framework's own answers to an unreadable body or query value, recast as validation
    /// problems naming the field.
    /// </summary>
    private static void DescribeUnreadableBody(ProblemDetails problem)
    {
        if (problem.Extensions.Remove("parameter", out var parameter) && parameter is string name)
        {
            problem.Title = "The request is invalid";
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [name] = ["is not a valid value"] };
            return;
        }

        var detail = problem.Detail ?? "";
        var field = "body";
        var pathAt = detail.IndexOf("Path: $", StringComparison.Ordinal);
        if (pathAt >= 0)
        {
            var path = detail[(pathAt + 7)..].Split(' ', '|')[0].TrimStart('.');
            if (path.Length > 0) field = path;
        }

        problem.Title = "The request is invalid";
        problem.Detail = field == "body"
            ? "The body is not valid JSON for this request."
            : $"The value of '{field}' has the wrong type or is not one of the allowed values.";
        problem.Extensions.Remove("lineNumber");
        problem.Extensions.Remove("bytePositionInLine");
        problem.Extensions["errors"] = new Dictionary<string, string[]> { [field] = [problem.Detail] };
    }

    /// <summary>
    /// A database that is down, restarting or refused the transaction: 503 with Retry-After, never 500. What
    /// was written depends on when the connection failed; a request that reads never wrote anything.
    /// </summary>
    public static ProblemDetails? DatabaseUnavailable(Exception exception, string method) =>
        DatabaseFailures.Classify(exception) switch
        {
            DatabaseFailure.None => null,
            DatabaseFailure.OutcomeUnknown when !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) =>
                Problems.Create(Problems.ServiceUnavailable, 503, "The database cannot be reached",
                    "The connection to the database broke while the request was being processed. If it broke while the " +
                    "change was being saved, the change may have been saved: read it back before sending it again."),
            _ => Problems.Create(Problems.ServiceUnavailable, 503, "The database cannot be reached",
                "The database is unavailable or restarting, and nothing was written. Try again after the Retry-After delay.")
        };

    /// <summary>
    /// The client aborted the request (closed the connection, timed out, navigated away) and what failed is
    /// the abort's doing: the request's token cancelled the work (OperationCanceledException), or Npgsql
    /// cancelled the running statement (57014 query_canceled) or broke its connection doing so. Not an outage
    /// and not a defect: nobody is left to answer, and the database is fine. A genuine failure that merely
    /// coincides with an abort (anything else) is still reported as such.
    /// </summary>
    public static bool AbortedByClient(Exception exception, bool requestAborted) =>
        requestAborted && (DatabaseFailures.Unwrapped(exception).Any(e => e is OperationCanceledException)
                           || DatabaseFailures.Classify(exception) != DatabaseFailure.None);

    private sealed class UnhandledExceptionHandler(IProblemDetailsService problems, IOptions<ResilienceOptions> resilience,
        ILogger<UnhandledExceptionHandler> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
        {
            if (AbortedByClient(exception, http.RequestAborted.IsCancellationRequested))
            {
                // As ASP.NET Core does for its own cancellations: 499 for the access log, no body, no error.
                logger.LogDebug("Request {Method} {Path} aborted by the client", http.Request.Method, http.Request.Path);
                if (!http.Response.HasStarted) http.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
                return true;
            }

            var problem = exception switch
            {
                BadHttpRequestException bad when bad.StatusCode == 413 =>
                    Problems.Create(Problems.PayloadTooLarge, 413, "The request body is too large"),
                BadHttpRequestException bad => Problems.Create(Problems.Validation, bad.StatusCode, "The request is invalid", bad.Message),
                ConcurrencyException => Problems.Create(Problems.ConcurrencyConflict, 409,
                    "Another change was saved at the same moment", "Reload and try again."),
                // Two requests started the same stream at once (a budget's first allocation, a target's first
                // revision): nothing of the loser was written, and sending it again appends after the winner.
                Marten.Exceptions.ExistingStreamIdCollisionException => Problems.StartedMeanwhile,
                _ => DatabaseUnavailable(exception, http.Request.Method)
            };
            if (problem?.Status == 503)
            {
                logger.LogWarning("Database unavailable on {Method} {Path}: {Error}", http.Request.Method, http.Request.Path, exception.Message);
                http.Response.Headers.RetryAfter = resilience.Value.RetryAfterSeconds.ToString();
            }

            if (problem is null)
            {
                logger.LogError(exception, "Unhandled error on {Method} {Path}", http.Request.Method, http.Request.Path);
                problem = Problems.Create(Problems.ServerError, 500, "Unexpected server error",
                    "The error was logged; nothing was saved. Quote the traceId when reporting it.");
            }

            http.Response.StatusCode = problem.Status!.Value;
            return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
        }
    }
}
