namespace EnrolmentCases.Forecast;

public static class Configuration
{
    public static IServiceCollection AddForecast(this IServiceCollection services, IConfiguration configuration) =>
        services.Configure<ForecastOptions>(configuration.GetSection(ForecastOptions.Section));
}
