using Wolverine;
using Wolverine.ErrorHandling;

namespace EnrolmentCases.Infrastructure;

/// <summary>How the API rides out a database that is down, restarting or refusing a transaction (values in appsettings.json).</summary>
public sealed class ResilienceOptions
{
    public const string Section = "Resilience";

    /// <summary>The Retry-After (seconds) of a 503 service-unavailable answer.</summary>
    public int RetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// Cooldowns (milliseconds) before each new attempt of a message handler that met a database outage, a
    /// deadlock or a serialization failure; each is stretched by a random factor between 1 and 2 (full
    /// jitter) so that handlers failing together do not retry together.
    /// </summary>
    public int[] HandlerRetryMilliseconds { get; set; } = [];

    public static ResilienceOptions From(IConfiguration configuration)
    {
        var options = new ResilienceOptions();
        configuration.GetSection(Section).Bind(options);
        return options;
    }

    public static TimeSpan[] Cooldowns(IEnumerable<int> milliseconds) => milliseconds.Select(m => TimeSpan.FromMilliseconds(m)).ToArray();
}

public static class Resilience
{
    /// <summary>
    /// Every message handler retries database outages, deadlocks and serialization failures in place with
    /// jittered cooldowns. Safe for handlers because each runs in one transaction and decides again on fresh
    /// state (a chunk already imported is skipped, a lapse already recorded is not due again). HTTP endpoints
    /// answer 503 instead (ErrorHandling): Wolverine's error policies do not apply to them (ADR 14).
    /// </summary>
    public static WolverineOptions RetryDatabaseOutages(this WolverineOptions opts, IConfiguration configuration)
    {
        var options = ResilienceOptions.From(configuration);
        if (options.HandlerRetryMilliseconds.Length > 0)
        {
            opts.Policies.OnException(DatabaseFailures.IsTransient, "a database outage, deadlock or serialization failure")
                .RetryWithCooldown(ResilienceOptions.Cooldowns(options.HandlerRetryMilliseconds))
                .WithFullJitter();
        }

        return opts;
    }
}
