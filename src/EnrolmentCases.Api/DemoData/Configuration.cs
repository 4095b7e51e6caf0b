using Microsoft.AspNetCore.TestHost;

namespace EnrolmentCases.DemoData;

public static class Configuration
{
    /// <summary>
    /// `demo` plays the plan through the API itself, hosted in memory (no port, no network) on the
    /// simulated clock. Only that command's own process is set up so; the API a user runs is not.
    /// </summary>
    public static WebApplicationBuilder AddDemoHosting(this WebApplicationBuilder builder, string[] args)
    {
        if (args.FirstOrDefault() != DemoCommand.Name) return builder;
        builder.WebHost.UseTestServer(server => server.PreserveExecutionContext = true);
        builder.Services.AddSingleton<TimeProvider, DemoClock>();
        builder.Configuration["RateLimiting:PermitLimit"] = int.MaxValue.ToString();
        builder.Configuration["Lapse:SweepIntervalMinutes"] = "0";
        return builder;
    }
}
