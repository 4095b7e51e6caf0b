using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EnrolmentCases.Infrastructure;

public static class Configuration
{
    /// <summary>The API's conventions: its JSON, problem details for every error, health, OpenAPI, the reference docs and proxies.</summary>
    public static IServiceCollection AddApiConventions(this IServiceCollection services, IConfiguration configuration)
    {
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { NotInResponsesAttribute.Modify } };
        });
        services.AddProblemResponses(configuration);
        services.AddOperations(configuration);
        services.AddProxies(configuration);
        services.AddIdempotency(configuration);
        return services;
    }
}
