using System.Text.RegularExpressions;
using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The log of the first requests after a start (ADR 58): off by default, and when asked for, exactly that many requests,
/// health probes not counted, each line written once its answer has gone. A host of its own, so that its first requests
/// are this test's.
/// </summary>
public class FirstRequestLog
{
    private static readonly Regex Line = new(
        @"^Request (\d+) after start: ([A-Z]+) (.+?) (\d{3}) in \d+\.\d ms; meanwhile the JIT compiled \d+ methods in \d+\.\d ms");

    [Fact]
    public async Task the_first_requests_are_logged_when_asked_for_and_no_more_and_no_health_probe_counts()
    {
        var logs = new LogCapture();
        await using var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", "first_requests");
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            web.UseSetting("WarmUp:LogFirstRequests", "3");
            web.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(logs));
        });
        var planner = new HostTokens(host).Token("planner");

        // A probe first and between the reads: none of them may take a number. Four reads: the fourth must not be logged.
        for (var i = 0; i < 4; i++)
        {
            await host.Scenario(s => s.Get.Url("/health/live"));
            await host.Scenario(s =>
            {
                s.Get.Url("/api/coverage");
                s.WithBearerToken(planner);
                s.StatusCodeShouldBe(200);
            });
        }

        // Written once each answer has gone: a moment later at most (5 s here). A fourth line, were one coming, would come
        // as soon.
        for (var waited = 0; waited < 50 && Lines(logs).Count < 3; waited++) await Task.Delay(100);
        await Task.Delay(300);
        var logged = Lines(logs);
        Assert.Equal(["1", "2", "3"], logged.Select(m => m.Groups[1].Value).Order());
        Assert.All(logged, m => Assert.Equal(("GET", "/api/coverage", "200"), (m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value)));
    }

    private static List<Match> Lines(LogCapture logs) =>
        logs.Entries.Where(e => e.Category.EndsWith("FirstRequestTiming", StringComparison.Ordinal))
            .Select(e => Line.Match(e.Text)).Where(m => m.Success).ToList();
}
