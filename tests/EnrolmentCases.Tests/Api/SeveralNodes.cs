using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Operating;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

[CollectionDefinition(Name)]
public sealed class SeveralNodesCollection
{
    public const string Name = "several-nodes";
}

/// <summary>
/// Two API processes on one database, as production runs them: the async projections, the audit sealer
/// and the lapse sweep each run on exactly one of them, and when that node is killed the other takes its
/// work over, with read models that equal a fresh replay of the events.
/// </summary>
[Collection(SeveralNodesCollection.Name)]
public class SeveralNodes(ITestOutputHelper output)
{
    private const string Sealer = "audit-sealer:///";
    private const string Sweep = "lapse-sweep:///";
    private const int AsyncProjections = 2; // the coverage composite (CoverageMonth, CoverageDay, CoverageChange) and SubsidyCohortCount

    /// <summary>The async projections' progression rows: one each, and one for each of the composite's three members.</summary>
    private const int ProgressionRows = AsyncProjections + 3;
    private const int AgentCount = AsyncProjections + 4; // the async projections, the sealer, the anchor publisher, the sweep, the erasure register check
    private static readonly TimeSpan Failover = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static Dictionary<string, string> Settings() => new()
    {
        // Fast heartbeats so the test sees a failover in seconds; production keeps the defaults (ClusterOptions).
        ["Cluster:HeartbeatSeconds"] = "1",
        ["Cluster:StaleNodeSeconds"] = "5",
        ["Audit:SealIntervalSeconds"] = "1",
        ["Lapse:SweepIntervalMinutes"] = "0.05",
        ["RateLimiting:PermitLimit"] = "100000"
    };

    [Fact]
    public async Task each_agent_runs_on_exactly_one_of_two_nodes_and_the_survivor_of_a_sigkill_takes_them_over()
    {
        var schema = $"nodes_{Guid.NewGuid():N}"[..16];
        // Both nodes start at once on an empty schema: the schema is created once, without a race.
        var started = await Task.WhenAll(
            ApiServer.StartAsync(schema, settings: Settings(), waitUntilReady: true),
            ApiServer.StartAsync(schema, settings: Settings(), waitUntilReady: true));
        await using var first = started[0];
        await using var second = started[1];
        var nodes = new[] { first, second };
        // Nothing a node does at start reads the schema before its schema step has made it (the warm-up waits for it).
        foreach (var node in nodes) Assert.False(node.RecentOutput.Contains("fail:"), node.RecentOutput);
        var admin = first.Token("admin");
        var kaur = first.Token("caseworker", "17.04");
        var auditor = first.Token("auditor");

        // Every agent is assigned, each to one node only, and stays so while both nodes live.
        var placement = await AgentsOnceAsync(nodes, admin, p => p.Values.Sum(a => a.Agents.Count) == AgentCount, "all agents placed");
        AssertEachAgentOnce(placement);
        // While both nodes live no agent ever runs twice; the leader may still move one to even out the load (6 agents on
        // two nodes), and a moving agent is briefly on neither node, so each look checks for doubles and then waits for all.
        for (var look = 0; look < 5; look++)
        {
            await Task.Delay(500);
            placement = await AgentsAsync(nodes, admin);
            var running = placement.Values.SelectMany(p => p.Agents).ToList();
            Assert.Equal(running.Count, running.Distinct().Count());
            Assert.True(running.Count <= AgentCount, $"{running.Count} agents running, {AgentCount} exist");
        }

        placement = await AgentsOnceAsync(nodes, admin, p => p.Values.Sum(a => a.Agents.Count) == AgentCount, "all agents placed again");
        AssertEachAgentOnce(placement);

        Assert.Equal(AsyncProjections, placement.Values.Sum(p => p.Agents.Count(a => a.StartsWith("event-subscriptions://", StringComparison.Ordinal))));

        // Commands through both nodes, each case moved along by alternate nodes; the enrolments lie far enough back
        // that the sweep (wherever it runs) records each case's lapse.
        // Four clients at once, 60 cases, 180 commands: the load under which two solo daemons used to collide.
        var before = (await Task.WhenAll(Enumerable.Range(0, 4).Select(client =>
            CasesThroughAsync(client % 2 == 0 ? nodes : [second, first], kaur, 15)))).SelectMany(ids => ids).ToList();
        await LapsesRecordedAsync(first, kaur, before.Count, "the sweep on one of the two nodes");
        await SealedAndProjectedAsync(schema, "both nodes running");

        // Neither node reported a projection failure (duplicate progression or delta rows, as two daemons once did).
        foreach (var node in nodes) Assert.False(node.RecentOutput.Contains("fail: Marten"), node.RecentOutput);

        // SIGKILL the node that runs the sealer; the other must end up running every agent.
        var victim = nodes.Single(n => placement[n].Agents.Contains(Sealer));
        var survivor = nodes.Single(n => n != victim);
        var clock = Stopwatch.StartNew();
        victim.Kill();
        var after = await AgentsOnceAsync([survivor], admin, p => p[survivor].Agents.Count == AgentCount, "the survivor runs every agent",
            Failover);
        Assert.True(clock.Elapsed <= Failover, $"took over after {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"Node {after[survivor].NodeNumber} ran every agent {clock.Elapsed.TotalSeconds:0.0} s after node {placement[victim].NodeNumber} was killed");
        Assert.Contains(Sealer, after[survivor].Agents);
        Assert.Contains(Sweep, after[survivor].Agents);

        // The survivor's agents do the work: new cases are projected, sealed and swept there.
        var later = await CasesThroughAsync([survivor], kaur, 8);
        await LapsesRecordedAsync(survivor, kaur, before.Count + later.Count, "the sweep on the survivor");
        await SealedAndProjectedAsync(schema, "after the failover");

        using (var verify = await survivor.Client.SendAsync(ApiServer.Authorized(HttpMethod.Get, "/api/audit/verify", auditor)))
        {
            var chain = await verify.Content.ReadFromJsonAsync<JsonElement>(Json);
            Assert.True(verify.IsSuccessStatusCode && chain.GetProperty("valid").GetBoolean(), chain.ToString());
        }

        Assert.False(survivor.RecentOutput.Contains("fail:"), survivor.RecentOutput);
        await survivor.StopAsync();

        // What the read models hold equals a fresh replay of every event, both nodes' and the survivor's.
        var replay = await ApiProcess.RunAsync(schema, "verify-projections");
        Assert.True(replay.ExitCode == 0, replay.ToString());
    }

    private static void AssertEachAgentOnce(Dictionary<ApiServer, NodeAgents> placement)
    {
        var all = placement.Values.SelectMany(p => p.Agents).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(AgentCount, all.Count);
        Assert.Contains(Sealer, all);
        Assert.Contains(Sweep, all);
    }

    private static async Task<Dictionary<ApiServer, NodeAgents>> AgentsAsync(IEnumerable<ApiServer> nodes, string admin)
    {
        var placement = new Dictionary<ApiServer, NodeAgents>();
        foreach (var node in nodes)
        {
            using var response = await node.Client.SendAsync(ApiServer.Authorized(HttpMethod.Get, "/api/operations/agents", admin));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}\n{node.RecentOutput}");
            placement[node] = (await response.Content.ReadFromJsonAsync<NodeAgents>(Json))!;
        }

        return placement;
    }

    private static async Task<Dictionary<ApiServer, NodeAgents>> AgentsOnceAsync(IReadOnlyList<ApiServer> nodes, string admin,
        Func<Dictionary<ApiServer, NodeAgents>, bool> condition, string what, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        while (true)
        {
            var placement = await AgentsAsync(nodes, admin);
            if (condition(placement)) return placement;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Not {what} in time: {string.Join("; ", placement.Select(p => $"node {p.Value.NodeNumber}: {string.Join(", ", p.Value.Agents)}"))}\n" +
                            string.Join('\n', nodes.Select(n => n.RecentOutput)));
            await Task.Delay(250);
        }
    }

    /// <summary>Cases identified, reached and enrolled (effective March 2026, never paid), each step through the next node in turn.</summary>
    private static async Task<List<Guid>> CasesThroughAsync(IReadOnlyList<ApiServer> nodes, string token, int count)
    {
        var ids = new List<Guid>();
        var turn = 0;
        async Task<JsonElement> Send(string url, object body, HttpStatusCode expected)
        {
            var node = nodes[turn++ % nodes.Count];
            using var response = await node.Client.SendAsync(ApiServer.Authorized(HttpMethod.Post, url, token, JsonContent.Create(body)));
            var answer = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            Assert.True(response.StatusCode == expected, $"{url}: {response.StatusCode} {answer}");
            return answer;
        }

        for (var i = 0; i < count; i++)
        {
            var id = (await Send("/api/cases", Scenarios.NewWorker(), HttpStatusCode.Created)).GetProperty("id").GetGuid();
            await Send($"/api/cases/{id}/contact-attempts", new { channel = "visit", outcome = "reached" }, HttpStatusCode.OK);
            await Send($"/api/cases/{id}/enrolment", new
            {
                membershipNumber = "12345678901",
                programmes = new[] { "JKK", "JKM" },
                declaredMonthlyIncome = 1_000_000,
                effectiveDate = "2026-03-01"
            }, HttpStatusCode.OK);
            ids.Add(id);
        }

        return ids;
    }

    /// <summary>Waits until the worklist (which filters on the recorded stage) holds the given number of lapsed cases.</summary>
    private static async Task LapsesRecordedAsync(ApiServer node, string token, int expected, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        long recorded = 0;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await node.Client.SendAsync(ApiServer.Authorized(HttpMethod.Get, "/api/cases?regency=17.04&stage=lapsed&pageSize=1", token));
            recorded = (await response.Content.ReadFromJsonAsync<Paged<JsonElement>>(Json))!.Total;
            if (recorded == expected) return;
            Assert.True(recorded < expected, $"{recorded} lapses recorded, more than the {expected} cases");
            await Task.Delay(500);
        }

        Assert.Fail($"{what} recorded {recorded} of {expected} lapses in {Patience.TotalSeconds} s\n{node.RecentOutput}");
    }

    /// <summary>Waits until every event is sealed into the audit chain and every async projection has reached the newest event.</summary>
    private static async Task SealedAndProjectedAsync(string schema, string when)
    {
        var deadline = DateTime.UtcNow + Patience;
        string state = "";
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = new NpgsqlConnection(ApiProcess.TestDatabase);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"""
                select (select coalesce(max(seq_id), 0) from {schema}.mt_events),
                       (select coalesce(max(id), 0) from {schema}.mt_doc_auditlink),
                       (select coalesce(min(last_seq_id), 0) from {schema}.mt_event_progression where name like '%:%'),
                       (select count(*) from {schema}.mt_event_progression where name like '%:%')
                """, connection);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var (newest, sealedUpTo, slowest, projections) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            state = $"newest event {newest}, sealed up to {sealedUpTo}, slowest projection at {slowest} ({projections} projections)";
            if (newest > 0 && sealedUpTo == newest && slowest == newest && projections == ProgressionRows) return;
            await Task.Delay(500);
        }

        Assert.Fail($"{when}: not sealed and projected in {Patience.TotalSeconds} s: {state}");
    }
}
