using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Money;

public static class Configuration
{
    /// <summary>The tariff: premiums come from configuration, because rates change by regulation.</summary>
    public static IServiceCollection AddMoney(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSettings<TariffOptions>(configuration, TariffOptions.Section, TariffOptions.Rules).Services;
}
