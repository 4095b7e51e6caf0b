using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Regencies;

public static class Configuration
{
    /// <summary>Reference data of the province, its calendar, and the instant each request acts at.</summary>
    public static IServiceCollection AddProvince(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<ReferenceData>(configuration, ReferenceData.Section, ReferenceData.Rules);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ReferenceData>>().Value);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ProvinceCalendar(
            ProvinceCalendar.FindZone(sp.GetRequiredService<ReferenceData>().TimeZone), sp.GetRequiredService<TimeProvider>()));
        services.AddScoped<Now>();
        return services;
    }
}
