using EnrolmentCases.Infrastructure;
using JasperFx.Events.Projections;

namespace EnrolmentCases.Forecast;

public static class Configuration
{
    /// <summary>The forecast's settings and its cohort counts (async daemon, like the coverage roll-ups it reads beside them).</summary>
    public static IServiceCollection AddForecast(this IServiceCollection services, IConfiguration configuration)
    {
        services.ConfigureMarten(opts =>
        {
            opts.Projections.Add(new SubsidyCohortProjection(), ProjectionLifecycle.Async);
            opts.Schema.For<SubsidyCohortCount>().Duplicate(c => c.Year);
        });
        return services.AddSettings<ForecastOptions>(configuration, ForecastOptions.Section, ForecastOptions.Rules).Services;
    }
}
