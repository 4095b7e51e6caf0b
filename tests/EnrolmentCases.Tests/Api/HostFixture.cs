using Alba;
using EnrolmentCases.Identity;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using System.Text;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// One API host over the test PostgreSQL, with what every test host has in common: the Development
/// environment (whose signing key the tests' tokens are issued with), no background sweep or daily lapse-risk list
/// (tests run them themselves, at the instants they choose) and an allowance per client that no test comes near unless
/// a fixture lowers it. A fixture may give its host a schema of its own, so that what its tests do to
/// the whole store (sweeps, tampering, bulk loads) meets only its own collection's data, and a clock
/// the tests move by hand.
/// </summary>
public abstract class HostFixture(string? schema = null, TimeProvider? clock = null) : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    /// <summary>Where this host publishes its anchors (Audit:Anchors:Directory), a fresh folder per fixture.</summary>
    public string AnchorDirectory { get; } = Path.Combine(Path.GetTempPath(), "enrolment-anchors", TestRun.Id, Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The host's clock; only fixtures given one at construction have it.</summary>
    public TestClock Clock => clock as TestClock ?? throw new InvalidOperationException($"{GetType().Name} has no clock to move by hand.");

    /// <summary>Host settings beyond the common ones; set a key again to override a common one.</summary>
    protected virtual void Configure(IDictionary<string, string> settings)
    {
    }

    /// <summary>Services beyond the application's own, added after them (a test exporter, a log capture).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>Whether the host starts on a wiped schema; a host that follows another on the same data says no.</summary>
    protected virtual bool ResetOnStart => true;

    /// <summary>Runs once the host is up and its schema wiped.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["Lapse:SweepIntervalMinutes"] = "0",
            // Nor the daily lapse-risk list: its tests record it at the instants they choose.
            ["LapseRisk:Daily:Enabled"] = "false",
            ["RateLimiting:PermitLimit"] = "100000",
            // Money tests take budget years of their own from 2041 upwards (MoneyScenarios.FreshBudgetYear),
            // past the production horizon, up to 2126 (the most the setting allows); InputBounds tests the
            // production value on a host of its own.
            ["ReferenceData:HorizonYears"] = "100",
            // Ready once warmed, without waiting for the JIT to go quiet (ADR 49): in a test process that starts host after
            // host it never does, so every host would wait the whole bound. ReadinessAfterSettling tests the wait.
            ["WarmUp:SettleSeconds"] = "0"
        };
        if (schema is not null) settings["EventStore:Schema"] = schema;
        // Each host publishes the chain's head to a folder of its own: the data of any other host is not its history.
        settings["Audit:Anchors:Directory"] = AnchorDirectory;
        settings["Audit:ErasureRegister:IntervalSeconds"] = "0"; // the erasure register (beside the anchors) is checked at start only
        Configure(settings);

        Host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            web.ConfigureServices(services =>
            {
                if (clock is not null) services.AddSingleton<TimeProvider>(clock);
                ConfigureServices(services);
            });
        });
        if (ResetOnStart) await Host.ResetAllDataAsOwnerAsync();
        await SeedAsync();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        if (Directory.Exists(AnchorDirectory)) Directory.Delete(AnchorDirectory, recursive: true);
    }

    /// <summary>Moves the clock for one test; disposing puts it back for the tests that follow.</summary>
    public IDisposable ClockAt(DateTimeOffset instant)
    {
        var before = Clock.GetUtcNow();
        Clock.Set(instant);
        return new Restore(() => Clock.Set(before));
    }

    private sealed class Restore(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }

    /// <summary>A token for a user of its own, so each test has its own rate-limit allowance.</summary>
    public string Token(string role, params string[] regencies) => TokenFor(role, $"{role}-{Guid.NewGuid():N}", regencies);

    public string TokenFor(string role, string subject, params string[] regencies) => new HostTokens(Host).TokenFor(role, subject, regencies);
}

/// <summary>Development tokens for any host, including the short-lived ones some tests start themselves.</summary>
public sealed class HostTokens(IAlbaHost host)
{
    public string Token(string role, params string[] regencies) => TokenFor(role, $"{role}-{Guid.NewGuid():N}", regencies);

    public string TokenFor(string role, string subject, params string[] regencies) =>
        DevelopmentTokens.Issue(host.Services.GetRequiredService<IOptions<AuthOptions>>().Value, role, subject, regencies);
}

/// <summary>
/// Tokens signed with the key the Development environment trusts, minted in the test process, for a host in
/// this process or an API process of its own (given its issuer and audience).
/// </summary>
public static class DevelopmentTokens
{
    private static readonly SymmetricSecurityKey Key = new(Encoding.UTF8.GetBytes(Authentication.DevelopmentSigningKey));

    public static string Issue(AuthOptions options, string role, string subject, params string[] regencies) =>
        Authentication.IssueToken(options, Key, subject, $"Tester {subject}", role, regencies, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
}
