using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alba;
using EnrolmentCases.Audit;
using Marten;
using Marten.Events.Daemon.Coordination;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

public static class Readiness
{
    public static async Task<(int Status, JsonElement Body)> Ready(this IAlbaHost host, string? token = null, Action<Scenario>? configure = null)
    {
        var result = await host.Scenario(s =>
        {
            s.Get.Url("/health/ready");
            if (token is not null) s.WithBearerToken(token);
            configure?.Invoke(s);
            s.IgnoreStatusCode();
        });
        return (result.Context.Response.StatusCode, await result.ReadAsJsonAsync<JsonElement>());
    }

    public static JsonElement Check(this JsonElement report, string name) => report.GetProperty("checks").GetProperty(name);

    public static string Status(this JsonElement element) => element.GetProperty("status").GetString()!;

    public static string[] PropertyNames(this JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    /// <summary>The async projections' progression rows, as the daemon names them.</summary>
    public static string[] AsyncProjections(this IDocumentStore store) =>
        ((StoreOptions)store.Options).Projections.AllShards().Select(s => s.Name.Identity).ToArray();

    public static Task Sql(string sql) => TestSql.ExecuteAsync(sql);
}

[Collection(ApiCollection.Name)]
public class ReadinessDetail(ApiFixture api)
{
    [Fact]
    public async Task anonymous_callers_and_caseworkers_see_only_the_status()
    {
        foreach (var token in new[] { null, api.Token("caseworker", "17.04"), api.Token("planner") })
        {
            var (status, body) = await api.Host.Ready(token);
            Assert.Equal(200, status);
            Assert.Equal(["status"], body.PropertyNames());
            Assert.Contains(body.Status(), new[] { "Healthy", "Degraded" });
        }
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("auditor")]
    public async Task admins_and_auditors_see_each_check_with_the_lag_of_every_projection_and_of_the_sealer(string role)
    {
        var (status, body) = await api.Host.Ready(api.Token(role));

        Assert.Equal(200, status);
        Assert.Equal(["audit-sealer", "database", "projections", "search-index"], body.GetProperty("checks").PropertyNames().Order());
        Assert.Equal("Healthy", body.Check("database").Status());

        var projections = body.Check("projections").GetProperty("data");
        Assert.True(projections.GetProperty("highWaterMark").GetInt64() >= 0);
        var names = projections.GetProperty("projections").PropertyNames();
        Assert.Contains("Coverage:All", names);
        Assert.Equal(api.Store.AsyncProjections().Order(), names.Order());
        Assert.All(names, n => Assert.True(projections.GetProperty("projections").GetProperty(n).GetProperty("lag").GetInt64() >= 0));

        var sealer = body.Check("audit-sealer").GetProperty("data");
        Assert.True(sealer.GetProperty("enabled").GetBoolean());
        Assert.True(sealer.GetProperty("unsealedEvents").GetInt64() >= 0);
        Assert.Equal(30, sealer.GetProperty("maxLagSeconds").GetInt32());
    }

    [Fact]
    public async Task liveness_answers_from_the_process_alone()
    {
        var result = await api.Host.Scenario(s => s.Get.Url("/health/live"));
        Assert.Equal(["status"], (await result.ReadAsJsonAsync<JsonElement>()).PropertyNames());
    }
}

/// <summary>
/// A host with thresholds small enough to cross: a projection may trail by 3 events, events may wait
/// 2 s for a sealer that, every hour, would run only long after the test. No cached reports.
/// </summary>
public sealed class LaggingHost() : HostFixture(schema: "health_lag")
{
    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["Health:MaxProjectionLag"] = "3";
        settings["Health:CacheSeconds"] = "0";
        settings["Audit:SealIntervalSeconds"] = "3600";
        settings["Audit:MaxSealLagSeconds"] = "3601";
    }
}

public class ReadinessWhenBehind(LaggingHost host) : IClassFixture<LaggingHost>
{
    [Fact]
    public async Task a_projection_behind_the_threshold_and_a_sealer_that_has_not_run_make_readiness_degraded_but_still_200()
    {
        var kaur = host.Token("caseworker", "17.04");
        for (var i = 0; i < 3; i++) await host.Host.IdentifyWorker(kaur);
        await host.Host.ProjectionsCaughtUp();

        var (status, body) = await host.Host.Ready(host.Token("admin"));
        Assert.Equal(200, status);
        Assert.Equal("Healthy", body.Check("projections").Status());
        var sealer = body.Check("audit-sealer");
        Assert.Equal("Degraded", sealer.Status());
        Assert.Contains("has not finished a run", sealer.GetProperty("description").GetString());
        Assert.Equal(6, sealer.GetProperty("data").GetProperty("unsealedEvents").GetInt64()); // each case: identified + stage change

        // The daemon stops (draining what it was writing), and its row for the coverage read models then
        // says it is back at the start: 6 events behind, with nobody left to move it on.
        await host.Host.Services.GetRequiredService<IProjectionCoordinator>().PauseAsync();
        await Readiness.Sql("update health_lag.mt_event_progression set last_seq_id = 0 where name = 'Coverage:All'");
        await host.Host.Services.GetRequiredService<AuditSealer>().SealAsync(CancellationToken.None);

        (status, body) = await host.Host.Ready(host.Token("admin"));
        Assert.Equal(200, status);
        Assert.Equal("Degraded", body.Status());
        var projections = body.Check("projections");
        Assert.True(projections.Status() == "Degraded", body.ToString());
        Assert.Contains("Coverage:All is 6 events behind", projections.GetProperty("description").GetString());
        Assert.Equal(6, projections.GetProperty("data").GetProperty("projections").GetProperty("Coverage:All").GetProperty("lag").GetInt64());
        // A run of the sealer leaves its heartbeat, and nothing unsealed.
        Assert.Equal("Healthy", body.Check("audit-sealer").Status());
        Assert.Equal(0, body.Check("audit-sealer").GetProperty("data").GetProperty("unsealedEvents").GetInt64());

        var (anonymousStatus, anonymous) = await host.Host.Ready();
        Assert.Equal(200, anonymousStatus);
        Assert.Equal(["status"], anonymous.PropertyNames());
        Assert.Equal("Degraded", anonymous.Status());
    }
}

/// <summary>A host whose readiness report is computed once a minute at most, and that has events to count.</summary>
public sealed class ProbedHost() : HostFixture(schema: "health_probe")
{
    protected override void Configure(IDictionary<string, string> settings) => settings["Health:CacheSeconds"] = "60";

    protected override async Task SeedAsync()
    {
        var kaur = Token("caseworker", "17.04");
        for (var i = 0; i < 5; i++) await Host.IdentifyWorker(kaur);
        await Host.ProjectionsCaughtUp();
    }
}

public partial class ReadinessCost(ProbedHost host) : IClassFixture<ProbedHost>
{
    [GeneratedRegex(@"\bmt_events\b")]
    private static partial Regex EventsTable();

    [Fact]
    public async Task a_flood_of_probes_costs_one_set_of_queries_none_of_them_on_the_events_table()
    {
        // Every statement sent under the probes' trace, whichever thread sends it.
        var trace = ActivityTraceId.CreateRandom();
        var statements = new List<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name != "Npgsql" || activity.TraceId != trace) return;
                var text = activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement");
                lock (statements) statements.Add(text?.ToString() ?? activity.DisplayName);
            }
        };
        ActivitySource.AddActivityListener(listener);
        var traceparent = $"00-{trace}-{ActivitySpanId.CreateRandom()}-01";
        void Traced(Scenario s) => s.WithRequestHeader("traceparent", traceparent);

        var (status, first) = await host.Host.Ready(configure: Traced);
        Assert.Equal(200, status);
        Assert.NotEqual("Unhealthy", first.Status()); // degraded is possible: the sealer may not have run yet
        int afterOne;
        lock (statements) afterOne = statements.Count;
        Assert.True(afterOne >= 3, $"the first probe ran the database, projection and sealer checks: {string.Join(" | ", statements)}");

        for (var round = 0; round < 10; round++)
            await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => host.Host.Ready(configure: Traced)));

        lock (statements)
        {
            Assert.Equal(afterOne, statements.Count);
            Assert.DoesNotContain(statements, s => EventsTable().IsMatch(s));
            Assert.Contains(statements, s => s.Contains("mt_event_progression"));
        }
    }
}

/// <summary>Forwards TCP connections to PostgreSQL until stopped, when it closes every one: a database gone away.</summary>
public sealed class DatabaseLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly string _host;
    private readonly int _port;
    private readonly Task _accepting;

    public DatabaseLink(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        (_host, _port) = (target.Host!, target.Port);
        _listener.Start();
        target.Host = "127.0.0.1";
        target.Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        target.Timeout = 3;
        ConnectionString = target.ConnectionString;
        _accepting = AcceptAsync();
    }

    public string ConnectionString { get; }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            var server = new TcpClient();
            await server.ConnectAsync(_host, _port);
            lock (_open) _open.AddRange([client, server]);
            _ = Pump(client, server);
            _ = Pump(server, client);
        }
    }

    private async Task Pump(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), _stop.Token);
        }
        catch (Exception)
        {
            // The link was cut.
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    public async Task CutAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_open) _open.ForEach(c => c.Close());
        await _accepting;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await CutAsync();
        _stop.Dispose();
    }
}

public class ReadinessAfterSettling
{
    [Fact]
    public async Task a_node_that_has_not_settled_is_not_ready_until_the_settle_bound_has_passed()
    {
        const int bound = 6;
        await using var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", "health_settling");
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            // A quiet window longer than the bound: the process cannot count as settled, so only the bound ends the wait.
            web.UseSetting("WarmUp:SettleSeconds", bound.ToString());
            web.UseSetting("WarmUp:SettleQuietMilliseconds", "10000");
            web.UseSetting("WarmUp:ReadinessWaitSeconds", "0");
        });
        var warmUp = host.Services.GetRequiredService<EnrolmentCases.Infrastructure.WarmUp>();
        await warmUp.Done.WaitAsync(TimeSpan.FromSeconds(60));
        var done = Stopwatch.GetTimestamp();

        var (status, body) = await host.Ready();
        Assert.False(warmUp.Settled.IsCompleted, "settled before the bound, with a quiet window longer than the bound");
        Assert.Equal(503, status);
        Assert.Equal("warming up", body.GetProperty("description").GetString());

        await warmUp.Settled.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(Stopwatch.GetElapsedTime(done) >= TimeSpan.FromSeconds(bound - 0.5), $"settled {Stopwatch.GetElapsedTime(done)} after the warm-up");
        Assert.Equal(200, (await host.Ready()).Status);
    }
}

public class ReadinessWithoutADatabase
{
    [Fact]
    public async Task a_database_that_cannot_be_reached_makes_readiness_503_unhealthy_and_liveness_stays_200()
    {
        await using var link = new DatabaseLink(Environment.GetEnvironmentVariable("ConnectionStrings__Marten")!);
        await using var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:Marten", link.ConnectionString);
            web.UseSetting("EventStore:Schema", "health_outage");
            web.UseSetting("Health:CacheSeconds", "0");
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            web.UseSetting("WarmUp:SettleSeconds", "0");
            // The first probe waits out the warm-up however loaded the machine: this test is about the outage after it.
            web.UseSetting("WarmUp:ReadinessWaitSeconds", "30");
        });
        Assert.Equal(200, (await host.Ready()).Status);

        await link.CutAsync();

        var (status, body) = await host.Ready();
        Assert.Equal(503, status);
        Assert.Equal(["status"], body.PropertyNames());
        Assert.Equal("Unhealthy", body.Status());

        (status, body) = await host.Ready(new HostTokens(host).Token("admin"));
        Assert.Equal(503, status);
        Assert.Equal("Unhealthy", body.Check("database").Status());
        Assert.Equal("PostgreSQL is not reachable", body.Check("database").GetProperty("description").GetString());

        await host.Scenario(s =>
        {
            s.Get.Url("/health/live");
            s.StatusCodeShouldBeOk();
        });
    }
}
