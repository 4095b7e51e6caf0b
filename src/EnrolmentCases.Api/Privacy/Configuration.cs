using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Privacy;

public static class Configuration
{
    /// <summary>Personal data sealed per person; the keys come from configuration and are checked at start.</summary>
    public static IServiceCollection AddPrivacy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<PrivacyOptions>(configuration, PrivacyOptions.Section, PrivacyOptions.Rules);
        services.AddSingleton<PersonalData>();
        services.ConfigureMarten(opts => opts.Schema.For<PersonKey>());
        return services;
    }
}
