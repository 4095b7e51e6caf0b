using Wolverine;

namespace EnrolmentCases.Lapses.Sweeping;

public static class Configuration
{
    /// <summary>The lapse rule, and the sweep that records what the calendar decides.</summary>
    public static IServiceCollection AddLapses(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LapseOptions>(configuration.GetSection(LapseOptions.Section));
        services.AddSingleton<LapsePolicy>();
        services.AddSingleton<CaseSweep>();
        services.AddSingularAgent<CaseSweepAgent>();
        return services;
    }
}
