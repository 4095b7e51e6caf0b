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

    public static IEnumerable<string> Rules(RateLimitOptions o)
    {
        if (o.PermitLimit < 1) yield return $"PermitLimit must be at least 1 (is {o.PermitLimit})";
        if (o.WindowSeconds is < 1 or > 86_400) yield return $"WindowSeconds must be between 1 and 86400 (is {o.WindowSeconds})";
    }
}

public static class RateLimiting
{
    public static IServiceCollection AddClientRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<RateLimitOptions>(configuration, RateLimitOptions.Section, RateLimitOptions.Rules);
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

    /// <summary>The token's subject, or else the client's address (behind a trusted proxy, the one it forwarded: Infrastructure/Proxies.cs).</summary>
    private static string ClientKey(HttpContext http) =>
        http.User.FindFirst(ClaimNames.Subject)?.Value is { Length: > 0 } subject
            ? "user:" + subject
            : "address:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
