using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Audit.AccessLog;

public static class Configuration
{
    /// <summary>
    /// The access log: one document per response that carried personal data, only ever inserted (the
    /// runtime role needs INSERT and SELECT on its table, never UPDATE or DELETE). Indexed for the
    /// auditors' filters: when, who, and which case (a GIN index over the document).
    /// </summary>
    public static IServiceCollection AddAccessLog(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<AccessLogOptions>(configuration, AccessLogOptions.Section, AccessLogOptions.Rules);
        services.AddScoped<PersonalDataReads>();
        services.AddAppendOnlyDocument<AccessLogEntry>();
        services.ConfigureMarten(opts => opts.Schema.For<AccessLogEntry>()
            .Duplicate(e => e.ReadAt)
            .Duplicate(e => e.UserId)
            .GinIndexJsonData());
        return services;
    }
}
