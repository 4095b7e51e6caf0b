using EnrolmentCases.Infrastructure;
using JasperFx.Events.Projections;

namespace EnrolmentCases.Cases.Folding;

public static class Configuration
{
    /// <summary>The write model of a case, folded live from its stream by CaseFold whenever a command loads it (ADR 0046).</summary>
    public static IServiceCollection AddCaseFold(this IServiceCollection services) =>
        services.ConfigureMarten((provider, opts) =>
            opts.Projections.Add(new CaseFold(provider.GetService<IEventSigner>()?.MacHeader), ProjectionLifecycle.Live));
}
