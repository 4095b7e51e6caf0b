using System.Diagnostics;
using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using Marten;
using Microsoft.AspNetCore.Hosting;

namespace EnrolmentCases.Tests.Api;

[CollectionDefinition(Name)]
public sealed class ReplayVerificationShutdownCollection
{
    public const string Name = "replay-verification-shutdown";
}

/// <summary>
/// A replay verification when its host stops or dies: hosts the tests start and stop themselves, one
/// after the other, on a schema of their own.
/// </summary>
[Collection(ReplayVerificationShutdownCollection.Name)]
public class ReplayVerificationShutdown
{
    private const string Schema = "replay_shutdown";

    private static Task<IAlbaHost> StartHost() =>
        AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", Schema);
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
            web.UseSetting("Audit:SealIntervalSeconds", "0");
            web.UseSetting("RateLimiting:PermitLimit", "100000");
            web.UseSetting("ReplayVerification:PollSeconds", "1");
        });

    private static async Task<IAlbaHost> HostWithACase()
    {
        var host = await StartHost();
        await host.ResetAllDataAsOwnerAsync();
        await host.IdentifyWorker(new HostTokens(host).Token("caseworker", "17.04"));
        await host.ProjectionsCaughtUp();
        return host;
    }

    /// <summary>
    /// Starts a run whose rebuild never ends, deterministically: the copy waits for the live streams table
    /// while a trigger that sleeps for ten minutes goes onto the copy's case views; then the copy goes ahead.
    /// Answers once the rebuild sleeps in the database.
    /// </summary>
    private static async Task<(Guid Job, string Scratch)> StartARunThatHangs(Func<Task<Guid>> start)
    {
        Guid job;
        string scratch;
        await using (await TestSql.LockAsync($"{Schema}.mt_streams"))
        {
            job = await start();
            scratch = $"{Schema}_replay_{job.ToString("N")[^12..]}";
            // The scratch schema and the run's sessions are the runtime role's: only it may enter the one and see the others' state.
            await TestSql.Eventually($"select to_regclass('{scratch}.mt_doc_casedetails') is not null", "the run has created its scratch schema", asRuntime: true);
            await TestSql.ExecuteAsync(asRuntime: true, sql: $"""
                create function {scratch}.stall() returns trigger language plpgsql as $$ begin perform pg_sleep(600); return new; end $$;
                create trigger stall before insert or update on {scratch}.mt_doc_casedetails for each row execute function {scratch}.stall();
                """);
        }

        await TestSql.Eventually($"select count(*) > 0 from pg_stat_activity where application_name = '{scratch}' and wait_event = 'PgSleep'",
            "the run's rebuild is stuck in the database", asRuntime: true);
        return (job, scratch);
    }

    private static Task<IReadOnlyList<string>> ScratchSchemas() =>
        TestSql.NamesAsync($"select nspname::text from pg_namespace where starts_with(nspname, '{Schema}_replay')");

    private static Task<IReadOnlyList<string>> StatusOf(Guid job) =>
        TestSql.NamesAsync($"select data->>'status' from {Schema}.mt_doc_replayverificationjob where id = '{job}'");

    [Fact]
    public async Task a_host_stopped_mid_run_stops_within_seconds_drops_the_copy_and_records_the_run_as_interrupted()
    {
        var host = await HostWithACase();
        Guid job;
        string scratch;
        TimeSpan stopping;
        try
        {
            var auditor = new HostTokens(host).Token("auditor");
            (job, scratch) = await StartARunThatHangs(async () => (await host.StartReplayVerification(auditor)).Id);
            var clock = Stopwatch.StartNew();
            await host.DisposeAsync();
            stopping = clock.Elapsed;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        // Without cancellation reaching the run, the host would wait out its 30 s shutdown timeout.
        Assert.True(stopping < TimeSpan.FromSeconds(10), $"the host took {stopping.TotalSeconds:N1} s to stop");
        Assert.Empty(await ScratchSchemas());
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from pg_stat_activity where application_name = '{scratch}'", asRuntime: true));
        Assert.Equal(["failed"], await StatusOf(job));
        Assert.StartsWith("interrupted", (await TestSql.NamesAsync($"select data->>'reason' from {Schema}.mt_doc_replayverificationjob where id = '{job}'")).Single());
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_replayverificationslot"));
    }

    [Fact]
    public async Task a_process_killed_mid_run_leaves_its_copy_only_until_the_next_process_starts()
    {
        await (await HostWithACase()).DisposeAsync();
        Guid job;
        string scratch;
        await using (var doomed = await ApiServer.StartAsync(Schema, settings: new Dictionary<string, string>
                     {
                         ["Lapse:SweepIntervalMinutes"] = "0", ["Audit:SealIntervalSeconds"] = "0", ["ReplayVerification:PollSeconds"] = "1"
                     }))
        {
            using var client = doomed.ClientFor(doomed.Token("auditor"));
            (job, scratch) = await StartARunThatHangs(async () =>
            {
                var answer = await client.PostAsync(Scenarios.ReplayVerifications, null);
                Assert.True((int)answer.StatusCode == 202, doomed.RecentOutput);
                return JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            });
            doomed.Kill();
        }

        // What SIGKILL leaves: the copy of the events, and the job marked running, holding the slot.
        Assert.Equal([scratch], await ScratchSchemas());
        Assert.Equal(["running"], await StatusOf(job));

        await using var host = await StartHost();
        await TestSql.Eventually($"select count(*) = 0 from pg_namespace where nspname = '{scratch}'", "the copy is dropped at start-up");
        // Its rebuild, still asleep in the server after its process died, was ended too.
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from pg_stat_activity where application_name = '{scratch}'", asRuntime: true));
        var auditor = new HostTokens(host).Token("auditor");
        var interrupted = await host.GetReplayVerification(auditor, job);
        Assert.Equal(ReplayJobStatus.Failed, interrupted.Status);
        Assert.StartsWith("interrupted", interrupted.Reason);
        var next = await host.FinishedReplayVerification(auditor, (await host.StartReplayVerification(auditor)).Id);
        Assert.True(next.Valid, JsonSerializer.Serialize(next));
    }

    [Fact]
    public async Task a_host_starting_after_a_crash_removes_the_copy_the_dead_run_left_and_frees_its_place()
    {
        await (await HostWithACase()).DisposeAsync();
        // What a process killed mid-run leaves: its job marked running, holding the slot, and its copy of the events.
        var dead = Guid.CreateVersion7();
        var leftover = $"{Schema}_replay_{dead.ToString("N")[^12..]}";
        // As the API's runtime role, whose leftovers these are.
        await TestSql.ExecuteAsync(asRuntime: true, sql: $$"""
            insert into {{Schema}}.mt_doc_replayverificationjob (id, data, mt_dotnet_type) values ('{{dead}}',
              '{"id": "{{dead}}", "status": "running", "requestedBy": "auditor-gone", "requestedAt": "2026-03-02T01:00:00+00:00", "startedAt": "2026-03-02T01:00:01+00:00"}',
              'EnrolmentCases.Audit.ReplayVerificationJob');
            insert into {{Schema}}.mt_doc_replayverificationslot (id, data, mt_dotnet_type) values ('replay-verification',
              '{"id": "replay-verification", "jobId": "{{dead}}"}', 'EnrolmentCases.Audit.ReplayVerificationSlot');
            create schema {{leftover}};
            create table {{leftover}}.mt_events as select * from {{Schema}}.mt_events;
            """);

        await using var host = await StartHost();
        await TestSql.Eventually($"select count(*) = 0 from pg_namespace where nspname = '{leftover}'", "the copy is dropped at start-up");
        var auditor = new HostTokens(host).Token("auditor");
        var interrupted = await host.GetReplayVerification(auditor, dead);
        Assert.Equal(ReplayJobStatus.Failed, interrupted.Status);
        Assert.StartsWith("interrupted", interrupted.Reason);

        var next = await host.FinishedReplayVerification(auditor, (await host.StartReplayVerification(auditor)).Id);
        Assert.Equal(ReplayJobStatus.Completed, next.Status);
        Assert.True(next.Valid);
    }
}
