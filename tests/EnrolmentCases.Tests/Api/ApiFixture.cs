namespace EnrolmentCases.Tests.Api;

/// <summary>
/// One API host over the real PostgreSQL for the whole collection. Tests isolate themselves by
/// using fresh NIKs and case ids instead of wiping data between tests.
/// </summary>
public sealed class ApiFixture() : HostFixture(clock: new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    public const int RateLimit = 300;

    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["RateLimiting:PermitLimit"] = RateLimit.ToString();
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
