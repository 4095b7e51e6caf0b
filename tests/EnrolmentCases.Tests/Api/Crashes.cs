using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Npgsql;
using Xunit.Abstractions;
using static EnrolmentCases.Tests.Api.CrashChecks;

namespace EnrolmentCases.Tests.Api;

[CollectionDefinition(Name)]
public sealed class CrashesCollection
{
    public const string Name = "crashes";
}

[CollectionDefinition(Name)]
public sealed class DatabaseRestartsCollection
{
    public const string Name = "database-restarts";
}

[CollectionDefinition(Name)]
public sealed class ImportFailuresCollection
{
    public const string Name = "import-failures";
}

/// <summary>
/// The only API process killed with SIGKILL in the middle of commands and an import: a new one on the same
/// schema has lost and doubled nothing it acknowledged, and finishes the import. About two minutes, most
/// of it waiting for Wolverine to declare the killed node stale and release its queued chunk.
/// </summary>
[Collection(CrashesCollection.Name)]
public class Crashes(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Phase times in the test's output, to see where a slow run spent its time.</summary>
    private void Mark(string phase) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {phase}");

    [Fact]
    public async Task an_api_killed_mid_load_loses_and_doubles_nothing_it_acknowledged_and_its_import_resumes()
    {
        const string schema = "crash_kill";
        var database = ApiProcess.OwnerDatabase;
        await Sql.ExecuteAsync(database, $"drop schema if exists {schema} cascade; drop schema if exists {schema}_replay cascade");

        var file = ImportFile.Build(rows: 3_000);
        Guid importId;
        Load load;
        long importDoneAtKill;
        string firstNotable, secondNotable;
        await using (var first = await ApiServer.StartAsync(schema, settings: ServerSettings))
        {
            Mark("first API up");
            importId = await StartImport(first, file.Importer(first), file.Csv);
            load = Load.Start(first, clients: 4);

            // Mid-way: commands acknowledged and at least one chunk of the import written, not all of them.
            var auditor = first.Token("auditor");
            var progress = await Eventually(async () =>
            {
                var view = await GetImport(first, auditor, importId);
                return view.Done >= ImportChunk.Size && load.Acknowledged.Count >= 20 ? view : null;
            }, TimeSpan.FromSeconds(120), first);
            first.Kill();
            firstNotable = first.NotableOutput;
            importDoneAtKill = progress.Done;
            Mark($"killed with {progress.Done} rows imported and {load.Acknowledged.Count} commands acknowledged");
            await load.StopAsync();
        }

        Assert.True(importDoneAtKill < file.Rows, $"the import had finished ({importDoneAtKill} rows) before the kill; the test needs a longer file");
        Assert.NotEmpty(load.Acknowledged);

        // Nothing beyond what was acknowledged, may have been saved, or got no answer.
        await AssertNothingUnaccountedFor(database, schema, load, importId);

        // The sequence numbers no committed event holds: what the transactions the kill cut off had taken
        // (usually the chunk in flight, but a kill between two transactions leaves none), plus three the
        // test takes itself, so that the replay below meets gaps in every run.
        var killGap = await Sql.ScalarAsync<long>(database, $"select max(seq_id) - count(*) from {schema}.mt_events");
        await Sql.ExecuteAsync(database, $"select nextval('{schema}.mt_events_sequence') from generate_series(1, 3)");

        await using (var second = await ApiServer.StartAsync(schema, settings: ServerSettings))
        {
            Mark($"second API up (the kill left {killGap} sequence numbers unused)");
            // One event written after the numbers the test took, so that they lie below the head even when the
            // kill left the import nothing more to write (its chunks can all be in before the kill is seen).
            using (var caseworker = second.ClientFor(second.Token("caseworker", "17.04")))
            using (var opened = await caseworker.PostAsJsonAsync("/api/cases", Scenarios.NewWorker()))
                Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
            var auditor = second.Token("auditor");
            var import = await Eventually(async () =>
            {
                var view = await GetImport(second, auditor, importId);
                return view.Status is ImportStatus.Completed or ImportStatus.Failed ? view : null;
            }, TimeSpan.FromSeconds(240), second);

            Mark("import finished");
            // Every row accounted for once: the chunks redelivered after the kill changed nothing.
            Assert.True(ImportStatus.Completed == import.Status, $"import {import.Status}: {import.Failure}");
            Assert.Equal((file.Rows, file.Rows), (import.Total, import.Done));
            Assert.Equal(file.Expected, (import.Counts.Created, import.Counts.Duplicate, import.Counts.Invalid));
            using var outcomes = await second.Client.SendAsync(ApiServer.Authorized(HttpMethod.Get, $"/api/imports/{importId}/outcomes.csv", auditor));
            var lines = (await outcomes.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
            Assert.Equal(Enumerable.Range(2, file.Rows), lines.Select(l => int.Parse(l.Split(',')[0])));
            var importedCases = await Sql.ScalarAsync<long>(database,
                $"select count(*) from {schema}.mt_events where type = 'worker_identified' and correlation_id = '{importId:N}'");
            Assert.Equal(file.Expected.Created, importedCases);

            // Every acknowledged command is in its stream, once.
            await AssertAcknowledgedExactlyOnce(database, schema, load.Acknowledged);

            var chain = await Eventually(async () =>
            {
                var verification = await Read<ChainVerification>(second, auditor, "/api/audit/verify");
                return verification.UnsealedEvents == 0 ? verification : null;
            }, TimeSpan.FromSeconds(120), second);
            Assert.True(chain.Valid, $"chain broken at {chain.FirstInvalidSequence}: {chain.Problem}");
            Mark("chain sealed and valid");

            await ProjectionsCaughtUp(database, schema, second);
            Mark("projections caught up");
            await second.StopAsync();
            secondNotable = second.NotableOutput;
        }

        var gap = await Sql.ScalarAsync<long>(database, $"select max(seq_id) - count(*) from {schema}.mt_events");
        // The three numbers the test took lie below the head now (the second API wrote after them), so the
        // replay had to pass over them and over what the kill left; whether the kill left any is in the output.
        Assert.True(gap >= killGap + 3, $"the replay should have met the kill's {killGap} unused sequence numbers and the test's 3 below the head, found {gap}");
        var replay = await ApiProcess.RunAsync(schema, "verify-projections");
        if (replay.ExitCode != 0)
            Assert.Fail($"{replay}\n{await DaemonRecord(database, schema)}\nfirst API: {firstNotable}\nsecond API: {secondNotable}");
        Mark("replay verified");
    }
}

/// <summary>
/// PostgreSQL stopped immediately (as in a crash), kept down for two seconds under a steady load of commands,
/// then started with crash recovery: 503 meanwhile, never 500, and back to normal by itself. Runs on a
/// cluster of its own, beside the suite's database.
/// </summary>
[Collection(DatabaseRestartsCollection.Name)]
public class DatabaseRestarts(ITestOutputHelper output)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private void Mark(string phase) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {phase}");

    [Fact]
    public async Task a_database_outage_under_load_answers_service_unavailable_meanwhile_and_the_api_recovers_by_itself()
    {
        const string schema = "crash_restart";
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var api = await ApiServer.StartAsync(schema, postgres.ConnectionString, ServerSettings, waitUntilReady: true,
            migrationConnectionString: postgres.OwnerConnectionString);
        var load = Load.Start(api, clients: 4);
        await Eventually(() => Task.FromResult(load.Acknowledged.Count >= 20 ? "" : null), TimeSpan.FromSeconds(60), api);

        Mark("load running");
        // Down long enough that every client sends requests while it is (an immediate restart alone lasts
        // about half a second, which a fast machine may fit between two requests).
        await postgres.StopAsync(immediate: true);
        var databaseDown = DateTimeOffset.UtcNow;
        Mark("database stopped");
        await Task.Delay(TimeSpan.FromSeconds(2));
        // A request sent just before the restart may first reach the database after it (it waits its turn in the API
        // under load), and rightly succeeds: only requests sent at least this long before the restart count as sent
        // while the database was down.
        var margin = TimeSpan.FromSeconds(1);
        // On a busy machine the clients may send nothing for a while: the database stays down until one request sent
        // within the window has its answer (at most 30 s more), so that the check below always has something to check.
        var longest = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!load.Answers.Any(a => a.Sent >= databaseDown.AddMilliseconds(200) && a.Sent < DateTimeOffset.UtcNow - margin)
               && DateTimeOffset.UtcNow < longest)
            await Task.Delay(100);
        var downUntil = DateTimeOffset.UtcNow - margin;
        await postgres.StartServerAsync();
        var databaseBack = DateTimeOffset.UtcNow;
        Mark("database accepts connections again");
        // Load for the contract's 10 s of recovery and a few seconds beyond.
        await Task.Delay(TimeSpan.FromSeconds(13));
        await load.StopAsync();

        var answers = load.Answers.ToList();
        var firstAgain = answers.Where(a => a.Sent >= databaseBack && a.Status is 200 or 201).Select(a => a.Sent).DefaultIfEmpty().Min();
        Mark($"answers: {string.Join(", ", answers.GroupBy(a => a.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} x {g.Key}"))}; " +
             $"last 503 sent {(answers.Where(a => a.Status == 503).Select(a => a.Sent).DefaultIfEmpty().Max() - databaseBack).TotalSeconds:0.0} s " +
             $"and first 2xx {(firstAgain - databaseBack).TotalSeconds:0.0} s after the database was back");
        var unexpected = answers.Where(a => a.Status is not (200 or 201 or 503)).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected answers: {string.Join("; ", unexpected.Take(5))}\n{api.RecentOutput}");
        var unavailable = answers.Where(a => a.Status == 503).ToList();
        // A request sent while the database was down and answered: 503, as nothing could be written.
        var sentWhileDown = answers.Where(a => a.Sent >= databaseDown.AddMilliseconds(200) && a.Sent < downUntil).ToList();
        Assert.NotEmpty(sentWhileDown);
        Assert.All(sentWhileDown, a => Assert.True(a.Status == 503, $"sent while the database was down: {a}"));
        Assert.All(unavailable, a => Assert.True(a is { Slug: Problems.ServiceUnavailable, RetryAfter: true }, a.ToString()));
        var afterRecovery = answers.Where(a => a.Sent >= databaseBack.AddSeconds(10)).ToList();
        Assert.NotEmpty(afterRecovery);
        Assert.True(afterRecovery.All(a => a.Status is 200 or 201),
            $"still failing 10 s after the database was back: {string.Join("; ", afterRecovery.Where(a => a.Status == 503).Take(5))}");

        await AssertAcknowledgedExactlyOnce(postgres.ConnectionString, schema, load.Acknowledged);
        await AssertNothingUnaccountedFor(postgres.ConnectionString, schema, load, importId: null);

        // The background work came back too: the projections catch up, and the durable queue takes an import.
        var file = ImportFile.Build(rows: 20);
        var auditor = api.Token("auditor");
        var importId = await StartImport(api, file.Importer(api), file.Csv);
        var import = await Eventually(async () =>
        {
            var view = await GetImport(api, auditor, importId);
            return view.Status is ImportStatus.Completed or ImportStatus.Failed ? view : null;
        }, TimeSpan.FromSeconds(60), api);
        Assert.Equal(ImportStatus.Completed, import.Status);
        await ProjectionsCaughtUp(postgres.ConnectionString, schema, api);
        Mark("import completed and projections caught up");
    }
}

/// <summary>What the crash tests check, through the API and in the database.</summary>
internal static class CrashChecks
{
    /// <summary>The progression rows, the dead-letter events and the events' sequence gaps, for a failure message.</summary>
    public static async Task<string> DaemonRecord(string database, string schema)
    {
        var lines = new List<string>();
        foreach (var (title, sql) in new[]
                 {
                     ("progression", $"select concat_ws(' ', name, last_seq_id, last_updated) from {schema}.mt_event_progression order by name"),
                     ("dead letters", $"select data::text from {schema}.mt_doc_deadletterevent limit 20"),
                     ("sequence gaps", $"select concat_ws('..', seq_id - gap, seq_id - 1) from (select seq_id, seq_id - lag(seq_id) over (order by seq_id) - 1 as gap from {schema}.mt_events) g where gap > 0 order by seq_id"),
                 })
        {
            lines.Add($"--- {title}");
            try
            {
                lines.AddRange(await Sql.QueryAsync(database, sql, r => r.GetString(0)));
            }
            catch (PostgresException e)
            {
                lines.Add(e.MessageText);
            }
        }

        return string.Join('\n', lines);
    }

    public static readonly Dictionary<string, string> ServerSettings = new()
    {
        ["RateLimiting:PermitLimit"] = "100000",
        ["Lapse:SweepIntervalMinutes"] = "0"
    };

    /// <summary>
    /// Each acknowledged command's stream holds the acknowledged version, and each kind of command the
    /// clients sent once per case appears once in its stream.
    /// </summary>
    public static async Task AssertAcknowledgedExactlyOnce(string database, string schema, IReadOnlyCollection<Answer> acknowledged)
    {
        var ids = acknowledged.Select(a => a.CaseId!.Value).Distinct().ToArray();
        var events = new List<(Guid Stream, long Version, string Type)>();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"select stream_id, version, type from {schema}.mt_events where stream_id = any(@ids)", connection);
            command.Parameters.AddWithValue("ids", ids);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) events.Add((reader.GetGuid(0), reader.GetInt64(1), reader.GetString(2)));
        }

        var streams = events.ToLookup(e => e.Stream);
        foreach (var answer in acknowledged)
        {
            var stream = streams[answer.CaseId!.Value].ToList();
            Assert.True(stream.Any(e => e.Version == answer.Version), $"lost: {answer}");
            Assert.True(1 == stream.Count(e => e.Type == Load.EventOf(answer.Action)), $"not exactly once: {answer}, stream {string.Join(",", stream.Select(e => e.Type))}");
        }
    }

    /// <summary>
    /// No command was saved that the load was not told about: of each kind, the events in the store number
    /// at most the acknowledged commands, plus the 503s that said it may have been saved, plus the requests
    /// that got no answer. (The import's own cases, marked with its correlation id, are not the load's.)
    /// </summary>
    public static async Task AssertNothingUnaccountedFor(string database, string schema, Load load, Guid? importId)
    {
        var answers = load.Answers.ToList();
        var unanswered = load.Unanswered.ToList();
        var notImport = importId is { } id ? $"and correlation_id is distinct from '{id:N}'" : "";
        foreach (var action in new[] { "identify", "contact-attempts", "enrolment" })
        {
            var stored = await Sql.ScalarAsync<long>(database,
                $"select count(*) from {schema}.mt_events where type = '{Load.EventOf(action)}' {notImport}");
            var acknowledged = answers.Count(a => a.Action == action && a.Status is >= 200 and < 300);
            var maybe = answers.Count(a => a.Action == action && a.MayHaveBeenSaved);
            var noAnswer = unanswered.Count(u => u == action);
            Assert.True(stored >= acknowledged && stored <= acknowledged + maybe + noAnswer,
                $"{action}: {stored} stored, {acknowledged} acknowledged, {maybe} may have been saved, {noAnswer} unanswered");
        }
    }

    /// <summary>
    /// Waits until every async projection has processed every event, whichever node runs it and however long
    /// its assignment takes: compares each projection's progress with the highest sequence in the store.
    /// </summary>
    /// <summary>The async projections, by a part of their progress rows' names: each must have a row, not just those already started.</summary>
    private static readonly string[] AsyncProjections = ["CoverageMonth", "CoverageDay", "CoverageChange"];

    public static async Task ProjectionsCaughtUp(string database, string schema, ApiServer api)
    {
        var behind = "";
        await Eventually(async () =>
        {
            var rows = await Sql.QueryAsync(database, $"""
                select p.name, p.last_seq_id, (select coalesce(max(seq_id), 0) from {schema}.mt_events) as head
                from {schema}.mt_event_progression p where p.name not like 'HighWater%'
                """, r => (Name: r.GetString(0), Sequence: r.GetInt64(1), Head: r.GetInt64(2)));
            behind = string.Join(", ", rows.Where(r => r.Sequence < r.Head).Select(r => $"{r.Name} at {r.Sequence} of {r.Head}")
                .Concat(AsyncProjections.Where(name => !rows.Any(r => r.Name.Contains(name, StringComparison.OrdinalIgnoreCase)))
                    .Select(name => $"{name} not started (progress rows: {string.Join(", ", rows.Select(r => r.Name))})")));
            return behind.Length == 0 ? "" : null;
        }, TimeSpan.FromSeconds(120), api, () => $"projections behind: {behind}");
    }

    public static async Task<Guid> StartImport(ApiServer api, string token, string csv)
    {
        using var response = await api.Client.SendAsync(ApiServer.Authorized(HttpMethod.Post, "/api/imports", token,
            new StringContent(csv, Encoding.UTF8, "text/csv")));
        Assert.True(HttpStatusCode.Accepted == response.StatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ImportAccepted>(Json.Options))!.Id;
    }

    public static Task<ImportView> GetImport(ApiServer api, string token, Guid id) => Read<ImportView>(api, token, $"/api/imports/{id}?rowsPageSize=1");

    public static async Task<T> Read<T>(ApiServer api, string token, string url)
    {
        using var response = await api.Client.SendAsync(ApiServer.Authorized(HttpMethod.Get, url, token));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, Json.Options)!;
    }

    /// <summary>Polls until the probe answers non-null; the server's recent output explains a timeout.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T?>> probe, TimeSpan timeout, ApiServer server, Func<string>? explain = null)
        where T : class
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout)
        {
            if (await probe() is { } found) return found;
            await Task.Delay(250);
        }

        throw new TimeoutException($"not within {timeout.TotalSeconds:0} s. {explain?.Invoke()}\n{server.RecentOutput}");
    }
}


/// <summary>
/// One answer to one command of the load: when it was sent, its status, for a 2xx the case and version, and for
/// a 503 whether it said the command may have been saved.
/// </summary>
public sealed record Answer(DateTimeOffset Sent, string Action, int Status, string? Slug, bool RetryAfter, Guid? CaseId, long? Version,
    bool MayHaveBeenSaved = false);

/// <summary>
/// Clients of their own (a caseworker each) taking cases from identification through contact to enrolment
/// until stopped, recording every answer, and the action of every request that got none (the API died, or
/// the load stopped while it waited).
/// </summary>
public sealed class Load
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients = [];

    public ConcurrentQueue<Answer> Answers { get; } = new();

    public ConcurrentQueue<string> Unanswered { get; } = new();

    public IReadOnlyCollection<Answer> Acknowledged => Answers.Where(a => a.Status is >= 200 and < 300).ToList();

    public static string EventOf(string action) => action switch
    {
        "identify" => "worker_identified",
        "contact-attempts" => "contact_attempted",
        "enrolment" => "worker_enrolled",
        _ => throw new ArgumentOutOfRangeException(nameof(action))
    };

    public static Load Start(ApiServer api, int clients)
    {
        var load = new Load();
        for (var i = 0; i < clients; i++)
        {
            var client = api.ClientFor(api.Token("caseworker", "17.04"));
            load._clients.Add(Task.Run(() => load.RunAsync(client)));
        }

        return load;
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    private async Task RunAsync(HttpClient client)
    {
        using var _ = client;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var opened = await SendAsync(client, "identify", "/api/cases", Scenarios.NewWorker());
                if (opened?.CaseId is not { } id) continue;
                var reached = await SendAsync(client, "contact-attempts", $"/api/cases/{id}/contact-attempts", new { channel = "visit", outcome = "reached" });
                if (reached?.CaseId is null) continue;
                await SendAsync(client, "enrolment", $"/api/cases/{id}/enrolment", new
                {
                    membershipNumber = "12345678901",
                    programmes = new[] { "JKK", "JKM" },
                    declaredMonthlyIncome = 1_000_000,
                    effectiveDate = "2026-03-01"
                });
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // No answer: the API died under the request, or the load is stopping.
                if (!_stop.IsCancellationRequested) await Task.Delay(100);
            }
        }
    }

    private async Task<Answer?> SendAsync(HttpClient client, string action, string url, object body)
    {
        var sent = DateTimeOffset.UtcNow;
        HttpResponseMessage response;
        string text;
        try
        {
            response = await client.PostAsJsonAsync(url, body, _stop.Token);
            text = await response.Content.ReadAsStringAsync(_stop.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            Unanswered.Enqueue(action);
            throw;
        }

        using var _ = response;
        var status = (int)response.StatusCode;
        Answer answer;
        if (response.IsSuccessStatusCode)
        {
            var accepted = JsonSerializer.Deserialize<CommandAccepted>(text, Json.Options)!;
            answer = new Answer(sent, action, status, null, false, accepted.Id, accepted.Version);
        }
        else
        {
            string? slug = null;
            var mayHaveBeenSaved = false;
            if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            {
                var problem = JsonDocument.Parse(text).RootElement;
                slug = problem.GetProperty("type").GetString()?.Split('/')[^1];
                mayHaveBeenSaved = problem.TryGetProperty("detail", out var detail) && detail.GetString()?.Contains("may have been saved") == true;
            }

            answer = new Answer(sent, action, status, slug, response.Headers.RetryAfter is not null, null, null, mayHaveBeenSaved);
        }

        Answers.Enqueue(answer);
        return answer.CaseId is null ? null : answer;
    }
}

/// <summary>
/// A worker list of Rejang Lebong (17.02) with all three outcomes: every 50th row has a broken NIK, every
/// 40th repeats the worker twenty rows up. The counts it must produce follow from the rows.
/// </summary>
public sealed record ImportFile(string Csv, int Rows, (int Created, int Duplicate, int Invalid) Expected)
{
    public string Importer(ApiServer api) => api.Token("caseworker", "17.02");

    public static ImportFile Build(int rows)
    {
        var niks = new List<string>();
        var seen = new HashSet<string>();
        var (created, duplicate, invalid) = (0, 0, 0);
        var csv = new StringBuilder("nik,fullName,regencyCode,district,village,occupation,phone,source\n");
        for (var i = 0; i < rows; i++)
        {
            var nik = i % 50 == 49 ? "12345" : i % 40 == 39 ? niks[i - 20] : Niks.Next("1702");
            niks.Add(nik);
            if (nik.Length != 16) invalid++;
            else if (!seen.Add(nik)) duplicate++;
            else created++;
            csv.Append($"{nik},Dewi Lestari,17.02,Curup,Desa Air Meles,coffee farmer,0812-3333-4444,DTSEN\n");
        }

        return new ImportFile(csv.ToString(), rows, (created, duplicate, invalid));
    }
}

/// <summary>The API's JSON: camelCase, enums as their names.</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}

public static class Sql
{
    public static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    public static async Task<List<T>> QueryAsync<T>(string database, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }
}

/// <summary>A chunk that can never be written ends its import failed, with the reason, instead of leaving it running.</summary>
[Collection(ImportFailuresCollection.Name)]
public class FailedImports
{
    private const string Schema = "import_failures";

    [Fact]
    public async Task a_chunk_the_database_refuses_fails_its_import_with_the_reason_and_a_dead_letter_whose_replay_resumes_it()
    {
        await using var host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("EventStore:Schema", Schema);
            web.UseSetting("Lapse:SweepIntervalMinutes", "0");
        });
        await host.ResetAllDataAsOwnerAsync();
        var database = ApiProcess.OwnerDatabase;
        await Sql.ExecuteAsync(database, $"delete from {Schema}.wolverine_dead_letters");
        var tokens = new HostTokens(host);
        var (importer, auditor) = (tokens.Token("caseworker", "17.02"), tokens.Token("auditor"));

        // A row that passes every rule of the API but that the database refuses: here a constraint on the
        // claims table rejects one worker, as a corrupt value or a full disk would reject a whole chunk.
        var file = ImportFile.Build(rows: 2_500);
        var poisoned = file.Csv.Split('\n')[1_502].Split(',')[0]; // file line 1503: the second chunk (lines 1002-2001)
        // Claims are keyed by the NIK's subject id.
        poisoned = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<EnrolmentCases.Privacy.PersonalData>(host.Services).SubjectOf(poisoned);
        await Sql.ExecuteAsync(database, $"alter table {Schema}.mt_doc_opencaseclaim add constraint poisoned check (id <> '{poisoned}')");

        var id = await host.StartImport(importer, file.Csv);
        var failed = await host.FinishedImport(auditor, id);

        Assert.Equal(ImportStatus.Failed, failed.Status);
        Assert.NotNull(failed.FailedAt);
        Assert.StartsWith("Rows 1002-2001 of the file (chunk 2 of 3) could not be imported", failed.Failure);
        Assert.Contains("23514", failed.Failure);
        // The first chunk stays imported; nothing of the failed one was written.
        Assert.Equal(ImportChunk.Size, failed.Done);
        Assert.Equal(ImportChunk.Size, failed.Counts.Created + failed.Counts.Duplicate + failed.Counts.Invalid);
        var deadLetters = await Sql.QueryAsync(database,
            $"select message_type, exception_type from {Schema}.wolverine_dead_letters", r => (Type: r.GetString(0), Exception: r.GetString(1)));
        var deadLetter = Assert.Single(deadLetters);
        Assert.Contains(nameof(ProcessImportChunk), deadLetter.Type, StringComparison.OrdinalIgnoreCase);

        // Once the cause is gone, replaying the dead letter resumes the import where it stopped.
        await Sql.ExecuteAsync(database, $"alter table {Schema}.mt_doc_opencaseclaim drop constraint poisoned");
        await Sql.ExecuteAsync(database, $"update {Schema}.wolverine_dead_letters set replayable = true");
        var resumed = failed;
        for (var i = 0; i < 240 && resumed.Status != ImportStatus.Completed; i++)
        {
            await Task.Delay(250);
            resumed = await host.GetImport(auditor, id);
        }

        Assert.True(ImportStatus.Completed == resumed.Status, $"{resumed.Status}: {resumed.Failure}");
        Assert.Null(resumed.Failure);
        Assert.Equal(file.Expected, (resumed.Counts.Created, resumed.Counts.Duplicate, resumed.Counts.Invalid));
    }
}

/// <summary>Which failures of the database become 503 (and are retried by message handlers), and what the answer says.</summary>
public class DatabaseOutageMapping
{
    private const string NothingWritten = "nothing was written";
    private const string MayHaveBeenSaved = "may have been saved";

    private static PostgresException Server(string sqlState) => new("message from the server", "FATAL", "FATAL", sqlState);

    private static NpgsqlException Client(Exception cause) => new("Exception while reading from stream", cause);

    public static TheoryData<string, Exception, string> Outages => new()
    {
        { "deadlock, rolled back", Server("40P01"), NothingWritten },
        { "serialization failure, rolled back", Server("40001"), NothingWritten },
        // Without an aborted request, 57014 is a statement_timeout (or an operator's cancel): the transaction
        // was aborted, so its commit cannot have happened, and trying again later may pass.
        { "statement timeout, rolled back", Server("57014"), NothingWritten },
        { "read-only after a failover (demoted primary)", Server("25006"), NothingWritten },
        { "insufficient resources", Server("53000"), NothingWritten },
        { "disk full", Server("53100"), NothingWritten },
        { "out of memory", Server("53200"), NothingWritten },
        { "pool exhausted: no connection was obtained", new NpgsqlException(
            "The connection pool has been exhausted, either raise 'Max Pool Size' (currently 100) or 'Timeout' (currently 15 seconds) in your connection string.",
            new TimeoutException()), NothingWritten },
        { "connect timed out", new NpgsqlException("Failed to connect to 127.0.0.1:5432", new TimeoutException("Timeout during connection attempt")), NothingWritten },
        { "connection reset while connecting", new NpgsqlException("Failed to connect to 127.0.0.1:5432",
            new IOException("Unable to read data", new SocketException((int)SocketError.ConnectionReset))), NothingWritten },
        { "starting up or shutting down", Server("57P03"), NothingWritten },
        { "too many connections", Server("53300"), NothingWritten },
        { "could not establish a connection", Server("08001"), NothingWritten },
        { "connection refused", new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused)), NothingWritten },
        { "terminated by an administrator (shutdown)", Server("57P01"), MayHaveBeenSaved },
        { "terminated because another server process crashed", Server("57P02"), MayHaveBeenSaved },
        { "connection failure", Server("08006"), MayHaveBeenSaved },
        { "connection reset", Client(new IOException("Unable to read data", new SocketException((int)SocketError.ConnectionReset))), MayHaveBeenSaved },
        { "end of stream", Client(new EndOfStreamException()), MayHaveBeenSaved },
        { "read timed out on an open connection", Client(new TimeoutException("Timeout during reading attempt")), MayHaveBeenSaved },
        { "a prepared statement a schema change made stale (ADR 33)", new PostgresException("cached plan must not change result type", "ERROR", "ERROR", "0A000"), NothingWritten },
        { "wrapped by a framework", new InvalidOperationException("Marten failed", Server("40P01")), NothingWritten },
        { "in an aggregate", new AggregateException(new InvalidOperationException("first"), Server("57P01")), MayHaveBeenSaved }
    };

    [Theory, MemberData(nameof(Outages))]
    public void an_outage_is_503_service_unavailable_and_retried_by_handlers(string outage, Exception exception, string written)
    {
        var problem = ErrorHandling.DatabaseUnavailable(exception, "POST");
        Assert.True(problem is not null, outage);
        Assert.Equal((503, "/problems/service-unavailable"), (problem.Status, problem.Type));
        Assert.Contains(written, problem.Detail);
        Assert.True(DatabaseFailures.IsTransient(exception), outage);
        // A read wrote nothing, however the connection broke.
        Assert.Contains(NothingWritten, ErrorHandling.DatabaseUnavailable(exception, "GET")!.Detail);
    }

    public static TheoryData<string, Exception> NotOutages => new()
    {
        { "unique violation", Server("23505") },
        { "check violation", Server("23514") },
        { "value too long", Server("22001") },
        { "undefined table", Server("42P01") },
        { "a limit the statement itself exceeds (temp_file_limit)", Server("53400") },
        { "another feature the server does not support", Server("0A000") },
        { "a defect", new InvalidOperationException("bug") },
        { "a claim taken meanwhile", new InvalidOperationException("duplicate", Server("23505")) }
    };

    [Theory, MemberData(nameof(NotOutages))]
    public void other_failures_are_not_outages(string failure, Exception exception)
    {
        Assert.True(ErrorHandling.DatabaseUnavailable(exception, "POST") is null, failure);
        Assert.False(DatabaseFailures.IsTransient(exception), failure);
    }

    public static TheoryData<string, Exception> CancelledByTheClient => new()
    {
        { "the request's token cancelled the work", new OperationCanceledException() },
        { "Npgsql cancelled the running statement", new OperationCanceledException("Query was cancelled", Server("57014")) },
        { "a cancelled statement, wrapped by a framework", new InvalidOperationException("Marten failed", Server("57014")) },
        { "the connection broken while cancelling", Client(new IOException("Unable to read data")) }
    };

    [Theory, MemberData(nameof(CancelledByTheClient))]
    public void a_failure_the_client_caused_by_aborting_its_request_is_neither_an_outage_nor_an_error(string failure, Exception exception)
    {
        Assert.True(ErrorHandling.AbortedByClient(exception, requestAborted: true), failure);
        // The same failure while the client still waits is not its doing.
        Assert.False(ErrorHandling.AbortedByClient(exception, requestAborted: false), failure);
    }

    [Fact]
    public void a_statement_timeout_while_the_client_waits_is_503_nothing_written()
    {
        var timeout = Server("57014");
        Assert.False(ErrorHandling.AbortedByClient(timeout, requestAborted: false));
        Assert.Contains(NothingWritten, ErrorHandling.DatabaseUnavailable(timeout, "POST")!.Detail);
    }

    [Fact]
    public void a_defect_that_coincides_with_an_abort_is_still_a_defect()
    {
        Assert.False(ErrorHandling.AbortedByClient(new InvalidOperationException("bug"), requestAborted: true));
        Assert.False(ErrorHandling.AbortedByClient(Server("23505"), requestAborted: true));
    }

    [Fact]
    public void an_import_failure_names_the_sqlstate_and_never_quotes_the_server_or_the_exception()
    {
        var badValue = new PostgresException("invalid input syntax for type uuid: \"3201234567890123\"", "ERROR", "ERROR", "22P02");
        var refused = ImportFailure.Cause(new InvalidOperationException("Marten failed", badValue));
        Assert.Equal("the database refused them (SQLSTATE 22P02: a value the database cannot store)", refused);

        Assert.Equal("the database was unavailable (SQLSTATE 53100: insufficient resources)",
            ImportFailure.Cause(new PostgresException("could not extend file \"base/16384/3201234567890123\"", "ERROR", "ERROR", "53100")));

        var defect = ImportFailure.Cause(new InvalidOperationException("row 3201234567890123 Dewi Lestari"));
        Assert.DoesNotContain("3201234567890123", defect);
        Assert.DoesNotContain("Dewi", defect);
        Assert.Contains(nameof(InvalidOperationException), defect);
    }
}
