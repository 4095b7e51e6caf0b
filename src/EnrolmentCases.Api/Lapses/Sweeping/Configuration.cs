using EnrolmentCases.Infrastructure;
using Wolverine;

namespace EnrolmentCases.Lapses.Sweeping;

public static class Configuration
{
    /// <summary>The lapse rule, and the sweep that records what the calendar decides.</summary>
    public static IServiceCollection AddLapses(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<LapseOptions>(configuration, LapseOptions.Section, LapseOptions.Rules);
        services.AddSingleton<LapsePolicy>();
        services.AddSingleton<CaseSweep>();
        services.AddSingularAgent<CaseSweepAgent>();
        return services;
    }
}
