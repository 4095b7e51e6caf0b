using System.Threading.RateLimiting;
using EnrolmentCases.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;

namespace EnrolmentCases.Identity;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    /// <summary>Requests one client (token subject, or address when anonymous) may make per window.</summary>
    public int PermitLimit { get; set; } = 1200;

    public int WindowSeconds { get; set; } = 60;
}

public static class RateLimiting
{
    public static IServiceCollection AddClientRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = TimeSpan.FromSeconds(options.WindowSeconds),
                    QueueLimit = 0
                }));
            limiter.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : options.WindowSeconds;
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = retryAfter.ToString();
                await Results.Problem(Problems.Create(Problems.RateLimited, 429, "Too many requests",
                    $"At most {options.PermitLimit} requests per {options.WindowSeconds} s per client; retry after {retryAfter} s.")).ExecuteAsync(http);
            };
        });
        return services;
    }

    private static string ClientKey(HttpContext http) =>
        http.User.FindFirst(ClaimNames.Subject)?.Value is { Length: > 0 } subject
            ? "user:" + subject
            : "address:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
