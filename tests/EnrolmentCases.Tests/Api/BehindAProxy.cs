using System.Net;
using Alba;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host behind a proxy at 10.20.30.40, allowing each client two requests a day.</summary>
public sealed class ProxiedHost() : HostFixture(schema: "proxy_check")
{
    public const string Proxy = "10.20.30.40";

    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["ForwardedHeaders:KnownProxies:0"] = Proxy;
        settings["RateLimiting:PermitLimit"] = "2";
        settings["RateLimiting:WindowSeconds"] = "86400";
    }
}

public class BehindAProxy(ProxiedHost host) : IClassFixture<ProxiedHost>
{
    /// <summary>An anonymous request arriving from the given connection address, with an X-Forwarded-For header.</summary>
    private Task<IScenarioResult> From(string connection, string forwardedFor, int status) =>
        host.Host.Scenario(s =>
        {
            s.Get.Url("/problems/duplicate-case");
            s.ConfigureHttpContext(http => http.Connection.RemoteIpAddress = IPAddress.Parse(connection));
            s.WithRequestHeader("X-Forwarded-For", forwardedFor);
            s.StatusCodeShouldBe(status);
        });

    [Fact]
    public async Task through_a_known_proxy_each_client_has_its_own_allowance()
    {
        await From(ProxiedHost.Proxy, "203.0.113.7", 200);
        await From(ProxiedHost.Proxy, "203.0.113.7", 200);
        await From(ProxiedHost.Proxy, "203.0.113.7", 429);
        // Another client behind the same proxy is not held back by the first one.
        await From(ProxiedHost.Proxy, "203.0.113.8", 200);
    }

    [Fact]
    public async Task an_unknown_sender_cannot_choose_its_address_with_the_header()
    {
        await From("198.51.100.9", "203.0.113.20", 200);
        await From("198.51.100.9", "203.0.113.21", 200);
        // A different header each time, the same sender: its allowance is spent.
        await From("198.51.100.9", "203.0.113.22", 429);
    }
}
