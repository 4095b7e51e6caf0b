using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Identity;

public static class Configuration
{
    /// <summary>Who is calling: bearer tokens, roles and regencies, and each caller's request allowance.</summary>
    public static IServiceCollection AddIdentity(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddSettings<AuthOptions>(configuration, AuthOptions.Section, AuthOptions.Rules);
        services.AddCaseworkerIdentity(configuration, environment);
        services.AddClientRateLimits(configuration);
        return services;
    }
}
