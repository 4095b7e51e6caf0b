using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Audit;

public static class Configuration
{
    /// <summary>The tamper-evidence chain and its sealer, and the replay verification.</summary>
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<AuditOptions>(configuration.GetSection(AuditOptions.Section));
        services.AddSingleton<AuditSealer>();
        services.AddHostedService<AuditSealerService>();
        services.AddInstruments<SealerLag>();
        services.AddSingleton<ReplayVerification>();
        // One link per event, written by the sealer, never by a projection.
        services.ConfigureMarten(opts => opts.Schema.For<AuditLink>());
        return services;
    }
}
