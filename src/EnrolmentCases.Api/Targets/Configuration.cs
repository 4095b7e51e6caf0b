using JasperFx.Events.Projections;

namespace EnrolmentCases.Targets;

public static class Configuration
{
    /// <summary>One stream per regency and year; the snapshot keeps every revision of the target.</summary>
    public static IServiceCollection AddTargets(this IServiceCollection services) =>
        services.ConfigureMarten(opts =>
        {
            opts.Projections.Snapshot<RegencyTarget>(SnapshotLifecycle.Inline);
            opts.Schema.For<RegencyTarget>().Duplicate(t => t.Year);
        });
}
