using Microsoft.Extensions.Options;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Options bound from one configuration section and checked when the host starts, so a bad value
/// stops the start with a message naming the setting instead of surfacing in some later request.
/// </summary>
public static class Settings
{
    /// <param name="rules">Each broken rule as "Key must ...": the section is put in front ("Audit:Key must ...").</param>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services, IConfiguration configuration, string section,
        Func<T, IEnumerable<string>> rules) where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(new SectionRules<T>(section, rules));
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    private sealed class SectionRules<T>(string section, Func<T, IEnumerable<string>> rules) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var broken = rules(options).Select(rule => $"{section}:{rule}").ToList();
            return broken.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(broken);
        }
    }
}
