using EnrolmentCases.Infrastructure;
using Wolverine;
using Wolverine.ErrorHandling;

namespace EnrolmentCases.Imports;

public static class Configuration
{
    /// <summary>Two imports claiming the same workers at once: the loser's chunk retries and finds them taken.</summary>
    public static WolverineOptions AddImports(this WolverineOptions opts)
    {
        // Rows by outcome, counted as their chunks commit.
        opts.Services.AddInstruments<ImportMetrics>();
        opts.Policies.OnException(e => e is JasperFx.DocumentAlreadyExistsException ||
                                       e is AggregateException { InnerExceptions: var inner } && inner.All(x => x is JasperFx.DocumentAlreadyExistsException),
                "a worker was claimed by a concurrent import")
            .RetryWithCooldown(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500),
                TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        return opts;
    }
}
