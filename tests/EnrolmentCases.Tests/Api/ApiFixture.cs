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
/// One API host over the real PostgreSQL for the whole collection. Tests isolate themselves by
/// using fresh NIKs and case ids instead of wiping data between tests.
/// </summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public IAlbaHost Host { get; private set; } = null!;
    public TestClock Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7)));

    public const int RateLimit = 300;

    public IDocumentStore Store => Host.Services.GetRequiredService<IDocumentStore>();

    public async Task InitializeAsync()
    {
        Host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("RateLimiting:PermitLimit", RateLimit.ToString());
            // Tests run the sweep themselves, at the instants they choose.
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            web.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
        });
        await Host.ResetAllMartenDataAsync();
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

    public async Task DisposeAsync() => await Host.DisposeAsync();

    /// <summary>A token for a user of its own, so each test has its own rate-limit allowance.</summary>
    public string Token(string role, params string[] regencies) => TokenFor(role, $"{role}-{Guid.NewGuid():N}", regencies);

    public string TokenFor(string role, string subject, params string[] regencies) =>
        ApiFixtureTokens.Issue(Host, role, subject, regencies);
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
