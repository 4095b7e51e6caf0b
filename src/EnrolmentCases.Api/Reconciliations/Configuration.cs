using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using JasperFx;
using JasperFx.CodeGeneration;
using Wolverine;
using Wolverine.Configuration;
using Wolverine.Runtime;
using Wolverine.Runtime.Handlers;

namespace EnrolmentCases.Reconciliations;

/// <summary>How long a chunk of a status file keeps trying before its reconciliation ends failed (values in appsettings.json).</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconciliations";

    /// <summary>Cooldowns (milliseconds, full jitter) before each new attempt of a chunk that met a database outage, deadlock or serialization failure.</summary>
    public int[] OutageRetryMilliseconds { get; set; } = [];

    /// <summary>Cooldowns before each new attempt of a chunk whose matched case changed its KPJ, person or regency meanwhile.</summary>
    public int[] ChangedRetryMilliseconds { get; set; } = [];

    public static IEnumerable<string> Rules(ReconciliationOptions o) =>
        ResilienceOptions.CooldownRules(nameof(OutageRetryMilliseconds), o.OutageRetryMilliseconds)
            .Concat(ResilienceOptions.CooldownRules(nameof(ChangedRetryMilliseconds), o.ChangedRetryMilliseconds));
}

public static class Configuration
{
    /// <summary>Status files from BPJS Ketenagakerjaan, reconciled chunk by chunk through the durable local queue, like imports.</summary>
    public static WolverineOptions AddReconciliations(this WolverineOptions opts, IConfiguration configuration)
    {
        var options = new ReconciliationOptions();
        configuration.GetSection(ReconciliationOptions.Section).Bind(options);
        opts.Services.AddSettings<ReconciliationOptions>(configuration, ReconciliationOptions.Section, ReconciliationOptions.Rules);
        opts.Policies.Add(new ChunkFailurePolicy(options));
        // Declared, so the schema step creates their tables: the runtime role the API serves as cannot (ADR 16).
        opts.Services.ConfigureMarten(marten =>
        {
            marten.Schema.For<Reconciliation>();
            marten.Schema.For<ReconciliationKey>();
            marten.Schema.For<ReconciliationChunk>();
            marten.Schema.For<ReconciliationChunkFindings>();
        });
        return opts;
    }

    private sealed class ChunkFailurePolicy(ReconciliationOptions options) : IHandlerPolicy
    {
        public void Apply(IReadOnlyList<HandlerChain> chains, GenerationRules rules, IServiceContainer container)
        {
            foreach (var chain in chains.Where(c => c.MessageType == typeof(ReconcileChunk)))
                ChunkFailures.Apply(chain,
                [
                    new ChunkRetry(e => e is CaseChangedWhileMatchingException, "a matched case changed meanwhile", options.ChangedRetryMilliseconds,
                        Jitter: false),
                    new ChunkRetry(DatabaseFailures.IsTransient, "a database outage, deadlock or serialization failure", options.OutageRetryMilliseconds,
                        Jitter: true)
                ], exception => new ImportChunkFailedException(exception), MarkFailedAsync);
        }
    }

    /// <summary>The end of a reconciliation whose chunk could not be written even after its retries: failed, with the reason users may read.</summary>
    private static async ValueTask MarkFailedAsync(IWolverineRuntime runtime, IEnvelopeLifecycle lifecycle, Exception exception)
    {
        if (lifecycle.Envelope?.Message is not ReconcileChunk message) return;
        await using var session = runtime.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        var reconciliation = await session.LoadAsync<Reconciliation>(message.ReconciliationId);
        if (reconciliation is null || reconciliation.Status is ImportStatus.Completed or ImportStatus.Failed) return;

        var first = message.Index * ReconciliationChunk.Size;
        var cause = exception is CaseChangedWhileMatchingException ? "its cases kept changing while they were matched" : ImportFailure.Cause(exception);
        reconciliation.Status = ImportStatus.Failed;
        reconciliation.Failure = $"Rows of chunk {message.Index + 1} of {reconciliation.Chunks} (data rows {first + 1}-{Math.Min(first + ReconciliationChunk.Size, reconciliation.Total)}) " +
                                 $"could not be reconciled after {lifecycle.Envelope.Attempts} attempts: {cause}. The rows before them were reconciled, these and " +
                                 "the rows after them were not. Once the cause is fixed, send the file again (the rows already recorded are not recorded twice).";
        reconciliation.FailedAt = runtime.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        session.Store(reconciliation);
        await session.SaveChangesAsync();
        runtime.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(Configuration))
            .LogError(exception, "Reconciliation {ReconciliationId} failed at chunk {Chunk}: {Failure}", reconciliation.Id, message.Index, reconciliation.Failure);
    }
}
