using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace EnrolmentCases.Infrastructure;

/// <summary>The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed.</summary>
public sealed class ProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Addresses of trusted proxies, e.g. "10.0.0.5". Loopback is always trusted.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR form, e.g. "10.0.0.0/8".</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Proxies in a row whose entries are read, from the nearest one back.</summary>
    public int ForwardLimit { get; set; } = 1;

    public static IEnumerable<string> Rules(ProxyOptions o)
    {
        foreach (var proxy in o.KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
            yield return $"KnownProxies: '{proxy}' is not an IP address";
        foreach (var network in o.KnownNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            yield return $"KnownNetworks: '{network}' is not a network in CIDR form (such as 10.0.0.0/8)";
        if (o.ForwardLimit is < 1 or > 10) yield return $"ForwardLimit must be between 1 and 10 (is {o.ForwardLimit})";
    }
}

public static class Proxies
{
    /// <summary>
    /// Behind a proxy the connection comes from the proxy: take the client's address and scheme from
    /// the headers a trusted proxy adds, so the per-client limits and logs see the real client.
    /// Headers from anyone else are ignored.
    /// </summary>
    public static IServiceCollection AddProxies(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<ProxyOptions>(configuration, ProxyOptions.Section, ProxyOptions.Rules);
        services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<ProxyOptions>>((forwarded, proxies) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = proxies.Value.ForwardLimit;
            // The defaults (127.0.0.0/8 and ::1) stay: a proxy on the same machine is trusted.
            foreach (var proxy in proxies.Value.KnownProxies)
                if (IPAddress.TryParse(proxy, out var address)) forwarded.KnownProxies.Add(address);
            foreach (var network in proxies.Value.KnownNetworks)
                if (System.Net.IPNetwork.TryParse(network, out var parsed)) forwarded.KnownIPNetworks.Add(parsed);
        });
        return services;
    }
}
