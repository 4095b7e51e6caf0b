using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Lapses.Risk;

public static class Configuration
{
    /// <summary>Each regency's lapse-risk list, recorded daily by a self-rescheduling durable message.</summary>
    public static IServiceCollection AddDailyLapseRisk(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<DailyLapseRiskOptions>(configuration, DailyLapseRiskOptions.Section, DailyLapseRiskOptions.Rules);
        services.AddSingleton<DailyLapseRiskJob>();
        services.AddSingleton<DailyLapseRiskSchedule>();
        services.AddHostedService<DailyLapseRiskAtStart>();
        services.ConfigureMarten(opts => opts.Schema.For<DailyLapseRisk>());
        services.AddAppendOnlyDocument<DailyLapseRisk>();
        return services;
    }
}
