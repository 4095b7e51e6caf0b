using EnrolmentCases.Infrastructure;
using Wolverine;
using JasperFx;
using JasperFx.CodeGeneration;
using Wolverine.Configuration;
using Wolverine.Runtime.Handlers;

namespace EnrolmentCases.Imports;

/// <summary>How long a chunk keeps trying before its import ends failed (values in appsettings.json).</summary>
public sealed class ImportOptions
{
    public const string Section = "Imports";

    /// <summary>
    /// Cooldowns (milliseconds, each stretched by a random factor between 1 and 2) before each new attempt of
    /// a chunk that met a database outage, a deadlock or a serialization failure: about a minute in all, so
    /// that a database restart or failover pauses an import instead of failing it.
    /// </summary>
    public int[] OutageRetryMilliseconds { get; set; } = [];

    /// <summary>Cooldowns before each new attempt of a chunk whose worker a concurrent import claimed first.</summary>
    public int[] ClaimRetryMilliseconds { get; set; } = [];

    public static IEnumerable<string> Rules(ImportOptions o) =>
        ResilienceOptions.CooldownRules(nameof(OutageRetryMilliseconds), o.OutageRetryMilliseconds)
            .Concat(ResilienceOptions.CooldownRules(nameof(ClaimRetryMilliseconds), o.ClaimRetryMilliseconds));
}

public static class Configuration
{
    /// <summary>
    /// A chunk retries what may pass (a worker claimed by a concurrent import: the retry finds the worker
    /// taken; a database outage: the retry finds it back). When it still fails, or fails for any other
    /// reason, its message goes to the dead letters and its import ends failed with the reason.
    /// </summary>
    public static WolverineOptions AddImports(this WolverineOptions opts, IConfiguration configuration)
    {
        // Rows by outcome, counted as their chunks commit.
        opts.Services.AddInstruments<ImportMetrics>();
        // Writes a chunk's cases set-wise (ADR 0027).
        opts.Services.AddSingleton<BulkOpening>();
        var options = new ImportOptions();
        configuration.GetSection(ImportOptions.Section).Bind(options);
        opts.Services.AddSettings<ImportOptions>(configuration, ImportOptions.Section, ImportOptions.Rules);
        opts.Policies.Add(new ChunkFailurePolicy(options));
        // Declared, so the schema step creates their tables: the runtime role the API serves as cannot (ADR 16).
        opts.Services.ConfigureMarten(marten =>
        {
            marten.Schema.For<Import>();
            marten.Schema.For<ImportChunk>();
        });
        return opts;
    }

    /// <summary>The chunk handler's own rules, which come before the rules every handler has (Resilience).</summary>
    private sealed class ChunkFailurePolicy(ImportOptions options) : IHandlerPolicy
    {
        public void Apply(IReadOnlyList<HandlerChain> chains, GenerationRules rules, IServiceContainer container)
        {
            foreach (var chain in chains.Where(c => c.MessageType == typeof(ProcessImportChunk)))
                ChunkFailures.Apply(chain,
                [
                    new ChunkRetry(ClaimedMeanwhile, "a worker was claimed by a concurrent import", options.ClaimRetryMilliseconds, Jitter: false),
                    new ChunkRetry(DatabaseFailures.IsTransient, "a database outage, deadlock or serialization failure", options.OutageRetryMilliseconds,
                        Jitter: true)
                ],
                    // The dead letter keeps the message (an import id and a chunk number) and what failed, not the
                    // exception's own text, which may quote a row's values; the log has the whole exception, masked.
                    exception => new ImportChunkFailedException(exception), ImportFailure.MarkFailedAsync);
        }
    }

    private static bool ClaimedMeanwhile(Exception e) =>
        e is JasperFx.DocumentAlreadyExistsException ||
        e is AggregateException { InnerExceptions: var inner } && inner.All(x => x is JasperFx.DocumentAlreadyExistsException);
}
