using System.Reflection;
using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Tests.Api;

/// <summary>Every settings class is checked when the host starts; a bad value stops the start and names the setting.</summary>
[Collection(ApiCollection.Name)]
public class Settings(ApiFixture api)
{
    [Theory]
    [InlineData("Audit:SealIntervalSeconds", "-5", "Audit:SealIntervalSeconds must be between 0 (off) and 3600")]
    [InlineData("Audit:MaxSealLagSeconds", "2", "Audit:MaxSealLagSeconds (2) must exceed SealIntervalSeconds (2)")]
    [InlineData("Lapse:GraceMonths", "-1", "Lapse:GraceMonths must be between 0 and 24")]
    [InlineData("Forecast:ProvinceShare", "30", "Forecast:ProvinceShare must be a fraction from 0 to 1")]
    [InlineData("Tariff:JkkBasisPoints", "20000", "Tariff:JkkBasisPoints must be between 0 and 10000")]
    [InlineData("RateLimiting:WindowSeconds", "0", "RateLimiting:WindowSeconds must be between 1 and 86400")]
    [InlineData("ReferenceData:TimeZone", "Mars/Olympus_Mons", "ReferenceData:TimeZone 'Mars/Olympus_Mons' is not a time zone")]
    [InlineData("ReferenceData:HorizonYears", "0", "ReferenceData:HorizonYears must be between 1 and 100")]
    [InlineData("ReferenceData:EarliestDate", "1800-01-01", "ReferenceData:EarliestDate must be a past date after 1900")]
    [InlineData("ReferenceData:Regencies:0:Code", "18.01", "ReferenceData:Regencies: '18.01' must be a code of province 17")]
    [InlineData("Health:CacheSeconds", "600", "Health:CacheSeconds must be between 0 and 60")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "ForwardedHeaders:KnownNetworks: '10.0.0.0/33' is not a network")]
    [InlineData("Privacy:NikKey", "c2hvcnQ=", "Privacy:NikKey must be set to at least 32 random bytes")]
    [InlineData("Privacy:CurrentMasterKeyId", "retired", "Privacy:CurrentMasterKeyId must name one of MasterKeys")]
    [InlineData("Privacy:SearchKey", "c2hvcnQ=", "Privacy:SearchKey must be set to at least 32 random bytes")]
    [InlineData("LapseRisk:Daily:At", "6am", "LapseRisk:Daily:At must be a time of day as HH:mm")]
    [InlineData("LapseRisk:Daily:WithinDays", "0", "LapseRisk:Daily:WithinDays must be between 1 and 366")]
    [InlineData("Projections:SlowPollingMilliseconds", "100", "Projections:SlowPollingMilliseconds must be at least FastPollingMilliseconds")]
    [InlineData("Projections:WakeMinimumIntervalMilliseconds", "-1", "Projections:WakeMinimumIntervalMilliseconds must be between 0 and FastPollingMilliseconds")]
    [InlineData("WarmUp:ReadinessWaitSeconds", "60", "WarmUp:ReadinessWaitSeconds must be between 0 and 30")]
    [InlineData("WarmUp:Connections", "101", "WarmUp:Connections must be between 0 and 100")]
    [InlineData("WarmUp:SettleSeconds", "-1", "WarmUp:SettleSeconds must be between 0 and 60")]
    [InlineData("WarmUp:SettleQuietMilliseconds", "10", "WarmUp:SettleQuietMilliseconds must be between 50 and 10,000")]
    public async Task a_host_with_a_bad_value_does_not_start_and_says_which_setting(string key, string value, string message)
    {
        var failure = await Record.ExceptionAsync(async () =>
        {
            await using var host = await AlbaHost.For<Program>(web =>
            {
                web.UseEnvironment("Development");
                web.UseSetting("EventStore:Schema", "settings_check");
                web.UseSetting("Lapse:SweepIntervalMinutes", "0");
                web.UseSetting(key, value);
            });
        });

        Assert.NotNull(failure);
        var messages = string.Join("\n", Flatten(failure));
        Assert.Contains(message, messages);
    }

    private static IEnumerable<string> Flatten(Exception e) =>
        e is AggregateException aggregate ? aggregate.InnerExceptions.SelectMany(Flatten)
        : e is OptionsValidationException validation ? validation.Failures
        : e.InnerException is { } inner ? Flatten(inner).Prepend(e.Message)
        : [e.Message];

    [Fact]
    public void every_settings_class_has_rules_checked_at_start()
    {
        // A settings class names its configuration section in a Section constant.
        var settings = typeof(Program).Assembly.GetTypes()
            .Where(t => t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .ToList();
        Assert.True(settings.Count >= 9, string.Join(", ", settings.Select(t => t.Name)));
        var unvalidated = settings
            .Where(t => !api.Host.Services.GetServices(typeof(IValidateOptions<>).MakeGenericType(t)).Any())
            .Select(t => t.FullName)
            .ToList();
        Assert.True(unvalidated.Count == 0,
            "register these with services.AddSettings<T>(configuration, T.Section, T.Rules) (Infrastructure/Settings.cs): " + string.Join(", ", unvalidated));
    }
}
