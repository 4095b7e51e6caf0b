using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Infrastructure;
using Wolverine;

namespace EnrolmentCases.Audit;

public static class Configuration
{
    /// <summary>
    /// The tamper evidence (a MAC per event, the chain, its sealer and anchors), the access log,
    /// subject access and the replay verification.
    /// </summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<AuditOptions>(configuration, AuditOptions.Section, AuditOptions.Rules);
        // A MAC on every event, written with it in its transaction, under a key only the application holds.
        services.AddSettings<MacOptions>(configuration, MacOptions.Section, MacOptions.Rules);
        services.AddSingleton<EventMacs>();
        services.AddSingleton<EnrolmentCases.Infrastructure.IEventSigner>(provider => provider.GetRequiredService<EventMacs>());
        services.AddSingleton<EventMacListener>();
        services.ConfigureMarten((provider, opts) => opts.Listeners.Add(provider.GetRequiredService<EventMacListener>()));
        // Who read whose personal data, when: recorded by every read that carries it.
        services.AddAccessLog(configuration);
        services.AddScoped<PersonalDataLocator>();
        services.AddSingleton<AuditSealer>();
        services.AddSingularAgent<AuditSealerAgent>();
        // The sealed head, published outside the database, on one node.
        services.AddSettings<AnchorOptions>(configuration, AnchorOptions.Section, AnchorOptions.Rules);
        services.AddSingleton<AnchorSink>();
        services.AddSingleton<AnchorPublisher>();
        services.AddSingularAgent<AnchorPublisherAgent>();
        // Erasure orders registered outside the database too, and carried out again on a restored one (ADR 0017).
        services.AddSettings<ErasureRegisterOptions>(configuration, ErasureRegisterOptions.Section, ErasureRegisterOptions.Rules);
        services.AddSingleton<ErasureRegister>();
        services.AddSingleton<ErasureRegisterListener>();
        services.ConfigureMarten((provider, opts) => opts.Listeners.Add(provider.GetRequiredService<ErasureRegisterListener>()));
        services.AddSingleton<ErasureReapplication>();
        services.AddHostedService<ErasureReapplicationAtStart>();
        services.AddSingularAgent<ErasureReapplicationAgent>();
        services.AddInstruments<SealerLagGauge>();
        services.AddSingleton<ReplayVerification>();
        // One link per event, written by the sealer, never by a projection; the API may only add links.
        services.AddAppendOnlyDocument<AuditLink>();
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<AuditLink>();
            opts.Schema.For<AuditSealerRun>();
        });
        services.AddHealthChecks().AddCheck<AuditSealerHealthCheck>("audit-sealer", tags: [Operations.Ready]);
        // Replay verifications run as jobs, one at a time, on whichever API process takes them.
        services.AddSettings<ReplayVerificationOptions>(configuration, ReplayVerificationOptions.Section, ReplayVerificationOptions.Rules);
        services.AddSingleton<ReplayVerificationJobs>();
        services.AddHostedService<ReplayVerificationWorker>();
        services.ConfigureMarten(opts =>
        {
            opts.Schema.For<ReplayVerificationJob>();
            opts.Schema.For<ReplayVerificationSlot>();
        });
        return services;
    }
}
