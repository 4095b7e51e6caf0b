using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Forecast;

public static class Configuration
{
    public static IServiceCollection AddForecast(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSettings<ForecastOptions>(configuration, ForecastOptions.Section, ForecastOptions.Rules).Services;
}
