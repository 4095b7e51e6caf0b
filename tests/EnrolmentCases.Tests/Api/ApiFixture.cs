namespace EnrolmentCases.Tests.Api;

/// <summary>
/// One API host over the real PostgreSQL for the whole collection. Tests isolate themselves by
/// using fresh NIKs and case ids instead of wiping data between tests.
/// </summary>
public sealed class ApiFixture() : HostFixture(clock: new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    /// <summary>Requests one client may make in a window; RateLimits spends exactly this and one more.</summary>
    public const int RateLimit = 300;

    /// <summary>
    /// A day: no window of this host ends during a test run. The limit is a fixed window per client
    /// (token subject, or address when anonymous) that starts when the client is first seen. With the
    /// production minute, RateLimits passed only if its 301 requests fitted in one minute; on a loaded
    /// machine they need not, the window renews, and the 301st request is let through. With a window
    /// no run outlasts, the 301st is refused however slowly they go.
    /// The price: an allowance now lasts the whole run, so no client may make RateLimit requests in all.
    /// None comes near: every test takes fresh tokens (Token, a subject per call; the one fixed subject,
    /// "ani.kaur", makes one request), the heaviest single token is an Imports poller (Finished stops
    /// at 250 polls, plus a few requests from the same test), then BudgetInvariants' caseworker (about
    /// 75), and all anonymous requests of the run (AccessControl, Operations) are about a dozen.
    /// A host of its own for RateLimits would cost another host start; an assertion that holds
    /// wherever a window ends could no longer say that the request over the limit is the one refused.
    /// </summary>
    public const int RateWindowSeconds = 24 * 60 * 60;

    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["RateLimiting:PermitLimit"] = RateLimit.ToString();
        settings["RateLimiting:WindowSeconds"] = RateWindowSeconds.ToString();
        // A repeat whose first answer never comes (IdempotencyKeys) gives up after this, not the production 10 s.
        settings["Idempotency:WaitMilliseconds"] = "3000";
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}
