using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Infrastructure;

public sealed class WarmUpOptions
{
    public const string Section = "WarmUp";

    /// <summary>
    /// Before readiness, pay at start what the first requests would otherwise pay: the database's
    /// type catalogue, every document's storage and every event's and document's serialiser.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a readiness probe waits for the warm-up to finish before it answers 503.</summary>
    public double ReadinessWaitSeconds { get; set; } = 5;

    /// <summary>
    /// How many requests after a start are logged with their time and what the JIT compiled meanwhile (method, route
    /// and status only): where a cold process's first commands spend their time. 0, the default, logs none: the
    /// instrument itself (the runtime's JIT events, the first log line's own code) cost the first command 12-14 ms
    /// (ADR 58), so it is for diagnosing, not for every start.
    /// </summary>
    public int LogFirstRequests { get; set; }

    /// <summary>
    /// Commands rehearsed at start through the whole HTTP pipeline (ADR 44): each is sent to the host itself, runs its
    /// handler, the inline projections and every session listener, and its save is refused before the session sends
    /// anything (its batch goes to the database only in a read-only transaction, ADR 47), so it writes nothing. A body's
    /// <c>{year}</c> is replaced by the current year.
    /// </summary>
    public List<WarmUpCommand> Commands { get; set; } = [];

    /// <summary>
    /// How many pooled connections the warm-up opens at once and prepares (ADR 47): on each, in a read-only transaction,
    /// the server loads every Marten table's and index's description and compiles the event append function, so the
    /// first commands, which the pool hands one idle connection after another, do not each meet a cold server process.
    /// 0 prepares none.
    /// </summary>
    public int Connections { get; set; } = 8;

    /// <summary>
    /// After the warm-up, how long readiness may also wait for the process to settle (ADR 49): the JIT compiles nothing
    /// and this node's set of background agents (projections, sealer, sweep) stays the same, with at least one running,
    /// for <see cref="SettleQuietMilliseconds"/>. Past this bound the node is ready anyway. 0 is ready as soon as the
    /// warm-up is done.
    /// </summary>
    public double SettleSeconds { get; set; } = 5;

    /// <summary>How long the JIT and the agents must stay still for the process to count as settled.</summary>
    public int SettleQuietMilliseconds { get; set; } = 300;

    public static IEnumerable<string> Rules(WarmUpOptions o)
    {
        if (o.Commands.Count > 20)
            yield return $"Commands may list at most 20 commands (lists {o.Commands.Count})";
        foreach (var (command, i) in o.Commands.Select((c, i) => (c, i)))
        {
            if (command.Method is not ("POST" or "PUT" or "PATCH" or "DELETE"))
                yield return $"Commands:{i}:Method must be POST, PUT, PATCH or DELETE (is {command.Method})";
            if (!command.Path.StartsWith("/api/", StringComparison.Ordinal) || command.Path.Length > 200)
                yield return $"Commands:{i}:Path must start with /api/ and be at most 200 characters (is {command.Path})";
            if (command.Claims.Count == 0 || command.Claims.Values.Any(v => v.Count == 0))
                yield return $"Commands:{i}:Claims must name at least one claim, each with a value";
            if (command.Body.Length > 10_000)
                yield return $"Commands:{i}:Body must be at most 10,000 characters";
        }

        if (o.Connections is < 0 or > 100)
            yield return $"Connections must be between 0 and 100 (is {o.Connections})";
        if (o.LogFirstRequests is < 0 or > 1000)
            yield return $"LogFirstRequests must be between 0 and 1000 (is {o.LogFirstRequests})";
        if (o.ReadinessWaitSeconds is < 0 or > 30 || double.IsNaN(o.ReadinessWaitSeconds))
            yield return $"ReadinessWaitSeconds must be between 0 and 30 (is {o.ReadinessWaitSeconds})";
        if (o.SettleSeconds is < 0 or > 60 || double.IsNaN(o.SettleSeconds))
            yield return $"SettleSeconds must be between 0 and 60 (is {o.SettleSeconds})";
        if (o.SettleQuietMilliseconds is < 50 or > 10_000)
            yield return $"SettleQuietMilliseconds must be between 50 and 10,000 (is {o.SettleQuietMilliseconds})";
    }
}

/// <summary>A command the warm-up rehearses (<see cref="WarmUpOptions.Commands"/>): what it sends and as whom.</summary>
public sealed class WarmUpCommand
{
    public string Method { get; set; } = "POST";
    public string Path { get; set; } = "";

    /// <summary>The caller's claims, by type (as a bearer token would carry them): e.g. role, regency, sub, name.</summary>
    public Dictionary<string, List<string>> Claims { get; set; } = [];

    /// <summary>The JSON body; <c>{year}</c> stands for the current year.</summary>
    public string Body { get; set; } = "{}";
}

/// <summary>
/// Runs once in the background as the host starts; /health/ready answers 503 until it is done. Each
/// step is timed and logged, so the log says where a cold process spends its first request's time.
/// A step that fails is logged and skipped: warming is an optimisation, never a reason not to serve.
/// </summary>
public sealed class WarmUp(IDocumentStore store, IOptions<WarmUpOptions> options, IHostApplicationLifetime lifetime, IServer server,
    IServiceProvider services, ILogger<WarmUp> logger) : BackgroundService
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The warm-up's steps are done: what touches the database at start has finished.</summary>
    public Task Done => _done.Task;

    /// <summary>Done, and the process has settled or stopped waiting for it (<see cref="WarmUpOptions.SettleSeconds"/>): readiness waits for this.</summary>
    public Task Settled => _settled.Task;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        try
        {
            if (options.Value.Enabled) await RunAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Warm-up failed; the first requests pay for what it did not do");
        }
        finally
        {
            _done.TrySetResult();
        }

        try
        {
            if (options.Value.Enabled) await SettleAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning(e, "Waiting for the process to settle failed; ready anyway");
        }
        finally
        {
            _settled.TrySetResult();
        }
    }

    /// <summary>
    /// Waits, at most <see cref="WarmUpOptions.SettleSeconds"/>, until the JIT has compiled nothing and this node's
    /// background agents have not changed for <see cref="WarmUpOptions.SettleQuietMilliseconds"/>, with at least one
    /// agent running (ADR 49). Right after the warm-up, the runtime recompiles the methods it ran hot at the optimised
    /// tier, and the cluster's first assignment starts the projections and the sealer on a node (a couple of seconds
    /// after the start in a Balanced cluster): a command sent then shares two cores with all of it.
    /// </summary>
    private async Task SettleAsync(CancellationToken ct)
    {
        var bound = TimeSpan.FromSeconds(options.Value.SettleSeconds);
        if (bound == TimeSpan.Zero) return;
        var agents = services.GetService<Wolverine.Runtime.IWolverineRuntime>()?.Agents;
        var settling = new Settling(TimeSpan.FromMilliseconds(options.Value.SettleQuietMilliseconds));
        var started = Stopwatch.GetTimestamp();
        var jitAt = System.Runtime.JitInfo.GetCompiledMethodCount();
        int running;
        bool settled;
        do
        {
            await Task.Delay(50, ct);
            running = agents?.AllRunningAgentUris().Length ?? 0;
            settled = settling.Observe(Stopwatch.GetElapsedTime(started), System.Runtime.JitInfo.GetCompiledMethodCount(), running);
        } while (!settled && Stopwatch.GetElapsedTime(started) < bound);

        logger.LogInformation("{Outcome} after {Ms:F0} ms: the JIT compiled {Methods} methods meanwhile, {Agents} background agents run here",
            settled ? "Settled" : "Not settled, ready anyway", Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            System.Runtime.JitInfo.GetCompiledMethodCount() - jitAt, running);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        // Hosted services start one after another, but this one's work runs beside those registered after it: on a
        // new or upgraded database it would otherwise read tables the schema step has not created yet.
        await services.GetRequiredService<SchemaAtStart>().Applied.WaitAsync(ct);
        var started = Stopwatch.GetTimestamp();
        var steps = new List<string>();

        async Task Step(string name, Func<Task<int>> step)
        {
            var at = Stopwatch.GetTimestamp();
            var count = await step();
            steps.Add($"{name} {Stopwatch.GetElapsedTime(at).TotalMilliseconds:F0} ms ({count})");
        }

        // The connection pool's first connection loads PostgreSQL's type catalogue.
        await Step("database", async () =>
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "select 1";
            await command.ExecuteScalarAsync(ct);
            return 1;
        });

        // Every document type's storage, loaded by an id that does not exist: Marten's per-type set-up and its SQL.
        // Only types whose table exists: live aggregates have none, and a runtime role creates none (Marten would
        // log each missing table as a failure).
        var documents = store.Options.AllKnownDocumentTypes().ToList();
        await Step("document storage", async () =>
        {
            var tables = await TablesAsync(ct);
            var load = typeof(IQuerySession).GetMethod(nameof(IQuerySession.LoadAsync), [typeof(object), typeof(CancellationToken)])!;
            var warmed = 0;
            foreach (var document in documents)
            {
                if (Id(document.IdType) is not { } id || !tables.Contains($"{document.TableName.Schema}.{document.TableName.Name}")) continue;
                // A session of its own for each read: the warm-up never holds a lock on one table while it waits for
                // another (a test's or an operator's TRUNCATE of every table may run at the same moment).
                if (await Attempt(async () =>
                    {
                        await using var session = store.QuerySession();
                        await (Task)load.MakeGenericMethod(document.DocumentType).Invoke(session, [id, ct])!;
                    }))
                    warmed++;
            }

            if (await Attempt(async () =>
                {
                    await using var session = store.QuerySession();
                    await session.Events.FetchStreamStateAsync(Guid.NewGuid(), ct);
                }))
                warmed++;
            return warmed;
        });

        // Every event and document type through the store's serialiser, both ways.
        var serializer = store.Options.Serializer();
        var types = store.Options.Events.AllKnownEventTypes().Select(e => e.EventType).Concat(documents.Select(d => d.DocumentType)).Distinct().ToList();
        await Step("serialisers", () =>
        {
            var warmed = 0;
            foreach (var type in types)
            {
                try
                {
                    var json = serializer.ToJson(RuntimeHelpers.GetUninitializedObject(type));
                    using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json));
                    serializer.FromJson(type, stream);
                    warmed++;
                }
                catch (Exception e)
                {
                    logger.LogDebug(e, "Warm-up could not round-trip {Type}", type.Name);
                }
            }

            return Task.FromResult(warmed);
        });

        // A command's write path short of its commit, once per event type (ADR 35).
        await Step("write path", () => WritePathAsync(ct));

        // Each aggregate a command loads for writing, fetched by an id no stream has (ADR 40).
        await Step("aggregates", () => AggregatesAsync(ct));

        // A save of documents through Marten's own batch execution, stopped just before its commit (ADR 49).
        await Step("document save", () => DocumentSaveAsync(ct));

        // The MAC every appended event gets (ADR 15): its keyed hash and the canonical JSON it covers, computed for
        // an event that is never stored.
        await Step("event MAC", () =>
        {
            if (services.GetService<IEventSigner>() is not { } signer) return Task.FromResult(0);
            var (header, keyId) = signer.Key;
            var headers = $$"""{"{{header}}":"{{keyId}}","warmUp":true}""";
            signer.Sign(Guid.NewGuid(), 1, Guid.NewGuid(), "warm_up", "warm-up", "warm-up", null, signer.CanonicalHeaders(headers),
                """{"b":[1,2],"a":"x"}""", "");
            return Task.FromResult(1);
        });

        // The HTTP pipeline as far as a request gets without a valid token: Kestrel, the middleware, the
        // bearer token handler and a problem-details answer (401). Only where the server listens on a socket.
        await Step("HTTP pipeline", async () =>
        {
            using var http = await SelfClientAsync(ct);
            if (http is null) return 0;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/cases");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3YXJtLXVwIn0.d2FybS11cC1vbmx5LW5vdC1hLXNpZ25hdHVyZQ");
            // Not a rehearsal (no key): the header only keeps this request out of the first-requests log.
            request.Headers.Add(RehearsalHeader, "-");
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            return (int)response.StatusCode;
        });

        // The configured commands end to end, their saves refused (ADR 44): the handlers' own code, the aggregates'
        // Apply paths, the listeners and Npgsql's parameters for these commands' types, which only running them compiles.
        await Step("commands", () => RehearseCommandsAsync(ct));

        // The pooled connections' server processes (ADR 47): table and index descriptions, the append function compiled.
        await Step("connections", () => ConnectionsAsync(ct));

        // Every endpoint's request and response bodies through the HTTP JSON options (ADR 40): the contracts the first
        // command would otherwise build and compile.
        await Step("HTTP bodies", () => Task.FromResult(HttpBodies()));

        // What the JIT compiled so far: with a ReadyToRun publish (ADR 35) most of the code needs none.
        logger.LogInformation("Warm-up took {Ms:F0} ms: {Steps}; the JIT so far: {Methods} methods in {JitMs:F0} ms",
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, string.Join(", ", steps),
            System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds);
    }

    /// <summary>The header a rehearsed command carries: a key that exists only while <see cref="RehearseCommandsAsync"/> runs.</summary>
    internal const string RehearsalHeader = "X-Warm-Up-Rehearsal";

    /// <summary>The status a rehearsal is answered with when its save was refused, as it should be.</summary>
    internal const int Rehearsed = StatusCodes.Status204NoContent;

    /// <summary>
    /// Set in the flow of a rehearsed request: every session saved in it is refused (<see cref="RehearsalGate"/>) while
    /// the request runs. Work that captured the flow (a timer, a loop started by it) outlives the request: it sees the
    /// rehearsal ended and saves as usual.
    /// </summary>
    internal static readonly AsyncLocal<Rehearsal?> Rehearsing = new();

    internal sealed class Rehearsal
    {
        public volatile bool Running = true;

        /// <summary>Set by <see cref="RehearsalGate"/> when the save's batch reached the database, which refused its first write.</summary>
        public volatile bool ReachedDatabase;
    }

    /// <summary>The header on a rehearsal's answer when its save's batch reached the database, which refused it (ADR 47).</summary>
    internal const string RefusedByDatabaseHeader = "X-Warm-Up-Refused-By";

    /// <summary>How many of the last <see cref="RehearseCommandsAsync"/> call's commands had their save's batch sent and refused by the database.</summary>
    public int RehearsedToTheDatabase { get; private set; }

    private readonly SemaphoreSlim _rehearsals = new(1, 1);
    private volatile string? _rehearsalKey;

    /// <summary>
    /// Each of <see cref="WarmUpOptions.Commands"/> sent to this host through its HTTP pipeline as the caller its claims
    /// describe, one at a time. <see cref="CommandRehearsals"/> admits a request only with the key made for this call,
    /// from the host itself, and marks its flow; <see cref="RehearsalGate"/>, the store's last listener, refuses every
    /// save in that flow before the session sends a statement (after the inline projections and every other listener;
    /// the batch is sent only on a read-only transaction of the gate's own, ADR 47), the
    /// handler's transaction is rolled back with its session, and <see cref="RehearsalAnswer"/> answers
    /// <see cref="Rehearsed"/>. Nothing is written: no event, document, sequence number, idempotency record or outgoing
    /// message. Returns how many commands reached the refused save; any other answer is logged.
    /// </summary>
    public async Task<int> RehearseCommandsAsync(CancellationToken ct)
    {
        var commands = options.Value.Commands;
        if (commands.Count == 0) return 0;
        using var http = await SelfClientAsync(ct);
        if (http is null) return 0;
        var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var year = clock.GetUtcNow().Year.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var rehearsed = 0;
        var toTheDatabase = 0;
        await _rehearsals.WaitAsync(ct);
        try
        {
            var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            _rehearsalKey = key;
            for (var i = 0; i < commands.Count; i++)
            {
                var command = commands[i];
                using var request = new HttpRequestMessage(new HttpMethod(command.Method), command.Path);
                request.Headers.Add(RehearsalHeader, $"{key}:{i}");
                var body = System.Text.Encoding.UTF8.GetBytes(command.Body.Replace("{year}", year));
                // The first body arrives in two parts, as a client's often does (ADR 47): the server's reads that wait for
                // the rest of a body are compiled too, not only those that find it all there.
                request.Content = i == 0 ? new TwoPartContent(body) : new ByteArrayContent(body);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                try
                {
                    using var response = await http.SendAsync(request, ct);
                    await response.Content.ReadAsByteArrayAsync(ct);
                    if ((int)response.StatusCode == Rehearsed)
                    {
                        rehearsed++;
                        if (response.Headers.Contains(RefusedByDatabaseHeader)) toTheDatabase++;
                    }
                    else
                        logger.LogWarning("Warm-up: the rehearsal of {Method} {Path} was answered {Status} before its save; the first such command pays for it",
                            command.Method, command.Path, (int)response.StatusCode);
                }
                catch (HttpRequestException e)
                {
                    logger.LogDebug(e, "Warm-up could not rehearse {Method} {Path}", command.Method, command.Path);
                }
            }
        }
        finally
        {
            _rehearsalKey = null;
            RehearsedToTheDatabase = toTheDatabase;
            _rehearsals.Release();
        }

        return rehearsed;
    }

    /// <summary>A request body sent in two writes a moment apart, with its length declared up front.</summary>
    private sealed class TwoPartContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var half = body.Length / 2;
            await stream.WriteAsync(body.AsMemory(0, half));
            await stream.FlushAsync();
            await Task.Delay(20);
            await stream.WriteAsync(body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    /// <summary>
    /// The rehearsed command a request stands for, if it carries this call's key and comes from the host itself (the
    /// connection's own address, before any forwarded header is read); null for anything else.
    /// </summary>
    internal WarmUpCommand? RehearsalOf(HttpContext http)
    {
        if (_rehearsalKey is not { } key || http.Request.Headers[RehearsalHeader] is not [{ } given]) return null;
        if (http.Connection.RemoteIpAddress is { } remote && !System.Net.IPAddress.IsLoopback(remote)) return null;
        var colon = given.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(given.AsSpan(colon + 1), out var index) || index < 0 || index >= options.Value.Commands.Count) return null;
        var expected = System.Text.Encoding.ASCII.GetBytes(key);
        var actual = System.Text.Encoding.ASCII.GetBytes(given[..colon]);
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(expected, actual) ? options.Value.Commands[index] : null;
    }

    /// <summary>A client of this host: the test server's own, or the first http address Kestrel listens on, once started.</summary>
    private async Task<HttpClient?> SelfClientAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (ct.Register(() => started.TrySetCanceled(ct)))
            await started.Task;
        if (server is Microsoft.AspNetCore.TestHost.TestServer test)
        {
            var client = test.CreateClient();
            client.Timeout = TimeSpan.FromSeconds(10);
            return client;
        }

        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://"));
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1")
                .Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1"), UriKind.Absolute, out var uri)) return null;
        return new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>
    /// Each event type appended to a new stream in a session of its own, taken as far as a commit goes without writing:
    /// the inline projections, the session listeners (the MAC over metadata and data, the search index) and the
    /// operations Marten builds, the code a first command would otherwise compile. A listener after all others refuses
    /// the save before the batch is sent (no statement that writes runs, no sequence number is taken), and the session
    /// runs on a transaction of the warm-up's own that is rolled back whatever happens. Returns how many types reached
    /// the refusal; a type whose empty event a projection cannot take only warms what ran before it failed.
    /// </summary>
    public async Task<int> WritePathAsync(CancellationToken ct)
    {
        var warmed = 0;
        foreach (var type in store.Options.Events.AllKnownEventTypes().Select(e => e.EventType).Distinct())
        {
            await RolledBackAsync(async transaction =>
            {
                try
                {
                    var sessionOptions = Marten.Services.SessionOptions.ForTransaction(transaction);
                    sessionOptions.Listeners.Add(RefuseSave.Instance);
                    await using var session = store.LightweightSession(sessionOptions);
                    session.CorrelationId = "warm-up";
                    session.CausationId = "warm-up";
                    session.LastModifiedBy = "warm-up";
                    session.Events.Append(Guid.NewGuid(), RuntimeHelpers.GetUninitializedObject(type));
                    await session.SaveChangesAsync(ct);
                    logger.LogWarning("Warm-up: the save of a {Type} was not refused; its transaction is rolled back", type.Name);
                }
                catch (WarmUpRefusal)
                {
                    warmed++;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogDebug(e, "Warm-up could not take a {Type} through the write path", type.Name);
                }
            }, ct);
        }

        return warmed;
    }

    /// <summary>
    /// Every aggregate with a Guid identity that a single-stream projection (inline, async or live) builds, fetched for
    /// writing by an id that has no stream, in a session on a transaction of the warm-up's own that is rolled back: the
    /// read half of a command's write path (Marten's fetch plan, its SQL, the aggregate's deserialiser). Reads only.
    /// </summary>
    public async Task<int> AggregatesAsync(CancellationToken ct)
    {
        var fetch = typeof(Marten.Events.IEventStoreOperations).GetInterfaces().Prepend(typeof(Marten.Events.IEventStoreOperations))
            .SelectMany(i => i.GetMethods())
            .FirstOrDefault(m => m is { Name: nameof(Marten.Events.IEventStoreOperations.FetchForWriting), IsGenericMethodDefinition: true } &&
                                 m.GetParameters().Select(p => p.ParameterType).SequenceEqual([typeof(Guid), typeof(CancellationToken)]));
        if (fetch is null) return 0;
        var warmed = 0;
        foreach (var aggregate in AggregateTypes())
        {
            await RolledBackAsync(async transaction =>
            {
                try
                {
                    await using var session = store.LightweightSession(Marten.Services.SessionOptions.ForTransaction(transaction));
                    await (Task)fetch.MakeGenericMethod(aggregate).Invoke(session.Events, [Guid.NewGuid(), ct])!;
                    warmed++;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogDebug(e, "Warm-up could not fetch a {Type} for writing", aggregate.Name);
                }
            }, ct);
        }

        return warmed;
    }

    /// <summary>
    /// For each document type with a Guid identity and a table, one document stored in a session that opens its own
    /// transaction first, as a command's does, and saved: Marten executes the batch (the upsert runs and its
    /// result is read back) and a transaction participant refuses the commit, so the transaction is rolled back and
    /// nothing stays. The session holds no events, so no sequence number is taken and Marten has no stream to mark with a
    /// tombstone. What the first real command would otherwise compile after the point where a rehearsed save is refused
    /// (ADR 44): Marten's batch execution under its resilience pipeline and each operation's reading of its result.
    /// A type whose empty document the table refuses (a constraint) only warms the failure path. Returns how many types
    /// reached the refused commit.
    /// </summary>
    public async Task<int> DocumentSaveAsync(CancellationToken ct)
    {
        // Only tables this role may both insert into and update (an upsert needs both): the append-only ones (the access
        // log, ADR 16) would refuse the statement.
        var tables = await TablesAsync(ct, upsertable: true);
        var warmed = 0;
        foreach (var document in store.Options.AllKnownDocumentTypes())
        {
            if (document.IdType != typeof(Guid) || document.DocumentType.IsAbstract || document.DocumentType.IsInterface ||
                !tables.Contains($"{document.TableName.Schema}.{document.TableName.Name}")) continue;
            try
            {
                await using var session = store.LightweightSession();
                if (session is not ITransactionParticipantRegistrar participants) return warmed;
                session.CorrelationId = "warm-up";
                session.LastModifiedBy = "warm-up";
                // An empty document a table's NOT NULL column refuses is expected here, not a failure worth an error line.
                session.Logger = QuietSessionLog.Instance;
                participants.AddTransactionParticipant(RefuseCommit.Instance);
                // Opened first, as a command that fetches its aggregate for writing does: the save then runs on the
                // session's transactional connection, the class a command's save goes through.
                await session.BeginTransactionAsync(ct);
                session.StoreObjects([RuntimeHelpers.GetUninitializedObject(document.DocumentType)]);
                await session.SaveChangesAsync(ct);
                logger.LogWarning("Warm-up: the save of a {Type} was not refused before its commit", document.DocumentType.Name);
            }
            catch (Exception e) when (Refused(e))
            {
                warmed++;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogDebug(e, "Warm-up could not take a {Type} save to its commit", document.DocumentType.Name);
            }
        }

        return warmed;

        static bool Refused(Exception? e) => e switch
        {
            null => false,
            WarmUpRefusal => true,
            AggregateException a => a.InnerExceptions.Any(Refused),
            _ => Refused(e.InnerException)
        };
    }

    /// <summary>Logs nothing: a warm-up session's refused statements are expected, not failures.</summary>
    private sealed class QuietSessionLog : IMartenSessionLogger
    {
        public static readonly QuietSessionLog Instance = new();

        public void LogSuccess(Npgsql.NpgsqlCommand command) { }
        public void LogFailure(Npgsql.NpgsqlCommand command, Exception ex) { }
        public void LogSuccess(Npgsql.NpgsqlBatch batch) { }
        public void LogFailure(Npgsql.NpgsqlBatch batch, Exception ex) { }
        public void LogFailure(Exception ex, string message) { }
        public void RecordSavedChanges(IDocumentSession session, Marten.Services.IChangeSet commit) { }
        public void OnBeforeExecute(Npgsql.NpgsqlCommand command) { }
        public void OnBeforeExecute(Npgsql.NpgsqlBatch batch) { }
    }

    /// <summary>Refuses the commit of the one warm-up session it is added to, after its batch has run.</summary>
    private sealed class RefuseCommit : ITransactionParticipant
    {
        public static readonly RefuseCommit Instance = new();

        public Task BeforeCommitAsync(Npgsql.NpgsqlConnection connection, Npgsql.NpgsqlTransaction transaction, CancellationToken token) =>
            throw new WarmUpRefusal();

        public Task AfterCommitAsync(CancellationToken token) => Task.CompletedTask;
    }

    /// <summary>
    /// <see cref="WarmUpOptions.Connections"/> pooled connections opened at once (so each is a server process of its own)
    /// and prepared in a read-only transaction that is rolled back: every Marten table of the store's schemas is read with
    /// <c>limit 0</c> (the server loads the table's and its indexes' descriptions, which the first insert would otherwise
    /// load) and the event append function is called with nulls, which the server compiles and runs until its first write,
    /// which it refuses in a read-only transaction (no row, no sequence number). Returns how many connections were prepared.
    /// </summary>
    public async Task<int> ConnectionsAsync(CancellationToken ct)
    {
        var count = options.Value.Connections;
        if (count == 0) return 0;
        var schemas = new[] { store.Options.DatabaseSchemaName, store.Options.Events.DatabaseSchemaName }.Distinct().ToList();
        var connections = new List<Npgsql.NpgsqlConnection>();
        try
        {
            for (var i = 0; i < count; i++) connections.Add(store.Storage.Database.CreateConnection());
            await Task.WhenAll(connections.Select(c => c.OpenAsync(ct)));
            string? tables = null;
            string? append = null;
            var prepared = 0;
            foreach (var connection in connections)
            {
                Npgsql.NpgsqlTransaction? transaction = null;
                try
                {
                    // Nothing below runs unless the server itself refuses every write of this transaction.
                    transaction = await BeginReadOnlyAsync(connection, ct);
                    if (transaction is null) continue;
                    await using var command = connection.CreateCommand();
                    command.Transaction = transaction;
                    if (tables is null)
                    {
                        command.CommandText = """
                            select coalesce(string_agg(format('select 1 from %I.%I limit 0', table_schema, table_name), '; '), ''),
                                   (select format('select %I.mt_quick_append_events(%s)', n.nspname, array_to_string(array_fill('null'::text, array[p.pronargs::int]), ','))
                                    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                                    where p.proname = 'mt_quick_append_events' and n.nspname = @events limit 1)
                            from information_schema.tables
                            where table_schema = any(@schemas) and table_name like 'mt\_%' and table_type = 'BASE TABLE'
                            """;
                        command.Parameters.AddWithValue("schemas", schemas.ToArray());
                        command.Parameters.AddWithValue("events", store.Options.Events.DatabaseSchemaName);
                        await using (var reader = await command.ExecuteReaderAsync(ct))
                        {
                            await reader.ReadAsync(ct);
                            tables = reader.GetString(0);
                            append = reader.IsDBNull(1) ? null : reader.GetString(1);
                        }

                        command.Parameters.Clear();
                    }

                    if (tables.Length > 0)
                    {
                        command.CommandText = tables;
                        await command.ExecuteNonQueryAsync(ct);
                    }

                    if (prepared == 0)
                    {
                        // What the event append answers, read as Marten reads it: the new sequence numbers as a bigint[].
                        command.CommandText = "select array[1, 2]::bigint[]";
                        await using var reader = await command.ExecuteReaderAsync(ct);
                        if (await reader.ReadAsync(ct)) await reader.GetFieldValueAsync<long[]>(0, ct);
                    }

                    if (append is not null)
                    {
                        command.CommandText = append;
                        try
                        {
                            await command.ExecuteNonQueryAsync(ct);
                            logger.LogWarning("Warm-up: the event append function returned in a read-only transaction; it is rolled back");
                        }
                        catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.ReadOnlySqlTransaction)
                        {
                        }
                    }

                    prepared++;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    logger.LogDebug(e, "Warm-up could not prepare a connection");
                }
                finally
                {
                    if (transaction is not null)
                    {
                        await transaction.RollbackAsync(CancellationToken.None);
                        await transaction.DisposeAsync();
                    }
                }
            }

            return prepared;
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
    }

    /// <summary>Runs a step on a connection and transaction of the warm-up's own, rolled back whatever happens: nothing it does stays.</summary>
    private async Task RolledBackAsync(Func<Npgsql.NpgsqlTransaction, Task> step, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await step(transaction);
        }
        finally
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// A transaction on <paramref name="connection"/> that the server has confirmed read-only, so it refuses every write
    /// (no row, no sequence number), or null (rolled back) if the server does not confirm it (ADR 47).
    /// </summary>
    internal static async Task<Npgsql.NpgsqlTransaction?> BeginReadOnlyAsync(Npgsql.NpgsqlConnection connection, CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "set transaction read only";
            await command.ExecuteNonQueryAsync(ct);
            command.CommandText = "select current_setting('transaction_read_only')";
            if (await command.ExecuteScalarAsync(ct) as string == "on") return transaction;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }

        await transaction.RollbackAsync(CancellationToken.None);
        await transaction.DisposeAsync();
        return null;
    }

    private IEnumerable<Type> AggregateTypes() =>
        (store.Options is StoreOptions options ? options.Projections.All.Cast<object>() : [])
        .OfType<JasperFx.Events.Aggregation.IAggregateProjection>()
        .Where(p => p.IdentityType == typeof(Guid) && p.Scope.ToString() == "SingleStream")
        .Select(p => p.AggregateType).Distinct();

    /// <summary>
    /// The request and response body types every endpoint declares, each serialised and read back with the HTTP JSON
    /// options; a type that cannot be built from an empty object still has its contract built.
    /// </summary>
    private int HttpBodies()
    {
        if (services.GetService<Microsoft.AspNetCore.Routing.EndpointDataSource>() is not { } endpoints) return 0;
        var json = services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var types = endpoints.Endpoints
            .SelectMany(e => e.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>().Select(a => a.RequestType)
                .Concat(e.Metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IProducesResponseTypeMetadata>().Select(p => p.Type)))
            .OfType<Type>()
            .Where(t => t != typeof(void) && !t.IsPrimitive && t != typeof(string) && !t.IsAbstract && !t.IsGenericTypeDefinition &&
                        !t.IsInterface && !typeof(IResult).IsAssignableFrom(t))
            .Distinct().ToList();
        var warmed = 0;
        foreach (var type in types)
        {
            try
            {
                var info = json.GetTypeInfo(type);
                var text = System.Text.Json.JsonSerializer.Serialize(RuntimeHelpers.GetUninitializedObject(type), info);
                System.Text.Json.JsonSerializer.Deserialize(text, info);
                System.Text.Json.JsonSerializer.Deserialize("{}", info);
                warmed++;
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Warm-up could not round-trip the body {Type}", type.Name);
            }
        }

        return warmed;
    }

    internal sealed class WarmUpRefusal() : Exception("The warm-up's session never saves");

    /// <summary>Added to the warm-up's sessions only, after the store's own listeners: the save stops here.</summary>
    private sealed class RefuseSave : DocumentSessionListenerBase
    {
        public static readonly RefuseSave Instance = new();

        public override Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token) => throw new WarmUpRefusal();
    }

    /// <summary>The tables this role sees (upsertable: only those it may both insert into and update).</summary>
    private async Task<HashSet<string>> TablesAsync(CancellationToken ct, bool upsertable = false)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "select table_schema || '.' || table_name from information_schema.tables" + (!upsertable ? "" :
            " where table_type = 'BASE TABLE' and has_table_privilege(format('%I.%I', table_schema, table_name), 'INSERT')" +
            " and has_table_privilege(format('%I.%I', table_schema, table_name), 'UPDATE')");
        var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) tables.Add(reader.GetString(0));
        return tables;
    }

    private async Task<bool> Attempt(Func<Task> work)
    {
        try
        {
            await work();
            return true;
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Warm-up step failed");
            return false;
        }
    }

    private static object? Id(Type idType) =>
        idType == typeof(Guid) ? Guid.NewGuid()
        : idType == typeof(string) ? "warm-up-" + Guid.NewGuid().ToString("N")
        : idType == typeof(long) ? (object)-1L
        : idType == typeof(int) ? -1
        : null;
}

/// <summary>
/// Rehearsed commands (<see cref="WarmUp.RehearseCommandsAsync"/>), registered by <see cref="CommandRehearsalsSetup.AddCommandRehearsals"/>.
/// First in the pipeline: a request with this start's key acts as the caller its command's claims describe (no bearer token
/// is read, so authentication leaves it) and runs in a flow whose saves are refused. A rehearsal header without the key
/// is removed and the request served as any other.
/// </summary>
public sealed class CommandRehearsals : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var warmUp = app.ApplicationServices.GetService<WarmUp>();
        app.Use(async (http, inner) =>
        {
            if (!http.Request.Headers.ContainsKey(WarmUp.RehearsalHeader))
            {
                await inner(http);
                return;
            }

            var command = warmUp?.RehearsalOf(http);
            http.Request.Headers.Remove(WarmUp.RehearsalHeader);
            // Marked either way: the first-requests log leaves out the warm-up's own requests (and a caller's with the header).
            http.Items[WarmUp.RehearsalHeader] = command is not null;
            if (command is null)
            {
                await inner(http);
                return;
            }

            http.Request.Headers.Authorization = default;
            var claims = command.Claims.SelectMany(c => c.Value.Select(v => new System.Security.Claims.Claim(c.Key, v)));
            http.User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(claims, "warm-up", "name", "role"));
            var rehearsal = new WarmUp.Rehearsal();
            http.Items[typeof(WarmUp.Rehearsal)] = rehearsal;
            WarmUp.Rehearsing.Value = rehearsal;
            try
            {
                await inner(http);
            }
            finally
            {
                rehearsal.Running = false;
                WarmUp.Rehearsing.Value = null;
            }
        });
        next(app);
    };
}

/// <summary>
/// The store's last listener: in a rehearsed request's flow, every save stops here, before the session sends a statement
/// (ADR 44). First the session's pending operations are built into one batch, as Marten would build them, and sent on a
/// connection of the gate's own in a transaction the server confirms read-only (ADR 47): the server compiles and runs
/// the statements until the first write, which it refuses (no row, no sequence number), and the transaction is rolled
/// back. The session itself never reaches the database with its save, so Marten sees no failed save (a failed save of
/// events would make it record a tombstone stream).
/// </summary>
internal sealed class RehearsalGate : DocumentSessionListenerBase
{
    public override async Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        if (WarmUp.Rehearsing.Value is not { Running: true } rehearsal) return;
        rehearsal.ReachedDatabase = await SendReadOnlyAsync(session, token);
        throw new WarmUp.WarmUpRefusal();
    }

    /// <summary>
    /// Every operation the save would send. The unit of work's public <c>Operations()</c> leaves out the events' append,
    /// the operation a first command most needs compiled; Marten's own list of all of them is on an internal interface
    /// (<c>ISessionWorkTracker.AllOperations</c>), read by reflection. Should a Marten upgrade move it, the document
    /// operations alone are sent, and the test WarmUpWritesNothing says so (it counts the appends that reached the database).
    /// </summary>
    internal static List<Weasel.Storage.IStorageOperation> AllOperations(Marten.Services.IUnitOfWork work)
    {
        var all = work.GetType().GetInterfaces().FirstOrDefault(i => i.FullName == "Marten.Services.ISessionWorkTracker")
            ?.GetProperty("AllOperations")?.GetValue(work) as IEnumerable<Weasel.Storage.IStorageOperation>;
        return (all ?? work.Operations()).ToList();
    }

    /// <summary>True when the server refused a write of the session's batch in a read-only transaction.</summary>
    private static async Task<bool> SendReadOnlyAsync(IDocumentSession session, CancellationToken token)
    {
        if (session is not Marten.Internal.IMartenSession marten) return false;
        var operations = AllOperations(session.PendingChanges);
        if (operations.Count == 0) return false;
        try
        {
            await using var connection = session.DocumentStore.Storage.Database.CreateConnection();
            await connection.OpenAsync(token);
            // Nothing is sent unless the server itself refuses every write of this transaction.
            await using var transaction = await WarmUp.BeginReadOnlyAsync(connection, token);
            if (transaction is null) return false;
            try
            {
                await using var batch = new Npgsql.NpgsqlBatch(connection, transaction);
                var builder = new Weasel.Postgresql.BatchBuilder(batch);
                foreach (var operation in operations)
                {
                    builder.StartNewCommand();
                    operation.ConfigureCommand(builder, marten);
                }

                builder.Compile();
                try
                {
                    await using var reader = await batch.ExecuteReaderAsync(token);
                    while (await reader.NextResultAsync(token))
                    {
                    }
                }
                catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.ReadOnlySqlTransaction)
                {
                    return true;
                }

                return false;
            }
            finally
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or NotSupportedException)
        {
            return false;
        }
    }
}

/// <summary>A rehearsed request whose save was refused, as it should be, is answered <see cref="WarmUp.Rehearsed"/>, not as an error.</summary>
internal sealed class RehearsalAnswer : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (http.Items[WarmUp.RehearsalHeader] is not true || !Refusal(exception)) return ValueTask.FromResult(false);
        http.Response.StatusCode = WarmUp.Rehearsed;
        if (http.Items[typeof(WarmUp.Rehearsal)] is WarmUp.Rehearsal { ReachedDatabase: true })
            http.Response.Headers[WarmUp.RefusedByDatabaseHeader] = "database";
        return ValueTask.FromResult(true);
    }

    private static bool Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is WarmUp.WarmUpRefusal) return true;
            if (e is AggregateException a) return a.InnerExceptions.Any(Refusal);
        }

        return false;
    }
}

public static class CommandRehearsalsSetup
{
    /// <summary>
    /// The rehearsals' gate, its answer and its middleware (ADR 44). Registered after every feature: the gate must be the
    /// store's last listener, so the others run (and are compiled) before it refuses the save; the answer comes before
    /// the API's handler of unexpected errors.
    /// </summary>
    public static IServiceCollection AddCommandRehearsals(this IServiceCollection services)
    {
        services.ConfigureMarten(opts => opts.Listeners.Add(new RehearsalGate()));
        var handler = ServiceDescriptor.Singleton<Microsoft.AspNetCore.Diagnostics.IExceptionHandler, RehearsalAnswer>();
        var first = services.Select((d, i) => (d, i)).FirstOrDefault(x => x.d.ServiceType == typeof(Microsoft.AspNetCore.Diagnostics.IExceptionHandler));
        if (first.d is null) services.Add(handler);
        else services.Insert(first.i, handler);
        // Before FirstRequestTiming (registered with the API's conventions): the rehearsals are not counted as first requests.
        var timing = services.Select((d, i) => (d, i)).FirstOrDefault(x => x.d.ServiceType == typeof(IStartupFilter));
        var filter = ServiceDescriptor.Transient<IStartupFilter, CommandRehearsals>();
        if (timing.d is null) services.Add(filter);
        else services.Insert(timing.i, filter);
        return services;
    }
}

/// <summary>
/// The first requests after a start (<see cref="WarmUpOptions.LogFirstRequests"/>), each logged with its time and the
/// methods the JIT compiled while it ran (process-wide, so background work counts too), by namespace with the first few
/// by name; health probes are not counted. First in the pipeline; after the last one it only counts.
/// </summary>
public sealed class FirstRequestTiming(IOptions<WarmUpOptions> options, ILogger<FirstRequestTiming> logger) : IStartupFilter
{
    private int _seen;
    private int _logged;
    private JitNames? _names;

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var limit = options.Value.LogFirstRequests;
        if (limit > 0)
        {
            var warmUp = app.ApplicationServices.GetService<WarmUp>();
            // The listener starts with the host, so its own code (the runtime's event dispatch) is compiled during the
            // warm-up rather than in the first request (ADR 44); what it saw until the process settled is dropped (ADR 49), so
            // the first request's list is its own.
            Interlocked.CompareExchange(ref _names, new JitNames(), null);
            _ = (warmUp?.Settled ?? Task.CompletedTask).ContinueWith(_ => Volatile.Read(ref _names)?.Since(DateTime.UtcNow), TaskScheduler.Default);
            app.ApplicationServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping
                .Register(() => Interlocked.Exchange(ref _names, null)?.Dispose());
            app.Use(async (http, inner) =>
            {
                if (Volatile.Read(ref _seen) >= limit || http.Request.Path.StartsWithSegments("/health") || http.Items.ContainsKey(WarmUp.RehearsalHeader))
                {
                    await inner(http);
                    return;
                }

                var methods = System.Runtime.JitInfo.GetCompiledMethodCount();
                var jit = System.Runtime.JitInfo.GetCompilationTime();
                var from = DateTime.UtcNow;
                var at = Stopwatch.GetTimestamp();
                await inner(http);
                var took = Stopwatch.GetElapsedTime(at);
                var until = DateTime.UtcNow;
                var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - methods;
                var jitTime = System.Runtime.JitInfo.GetCompilationTime() - jit;
                var number = Interlocked.Increment(ref _seen);
                if (number > limit) return;
                // Logged once the response has gone, so that the caller does not wait for the instrument's own work.
                http.Response.OnCompleted(() =>
                {
                    Log(http, number, limit, took, compiled, jitTime, from, until);
                    return Task.CompletedTask;
                });
            });
        }

        next(app);
    };

    private void Log(HttpContext http, int number, int limit, TimeSpan took, long compiled, TimeSpan jitTime, DateTime from, DateTime until)
    {
        var route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
        logger.LogInformation("Request {Number} after start: {Method} {Route} {Status} in {Ms:F1} ms; meanwhile the JIT compiled {Methods} methods in {JitMs:F1} ms",
            number, http.Request.Method, route, http.Response.StatusCode, took.TotalMilliseconds, compiled, jitTime.TotalMilliseconds);
        // The last of these lines to be written (the answers' callbacks may run out of order) takes the listener off and
        // disposes it once its names are out.
        var last = Interlocked.Increment(ref _logged) == limit;
        var names = last ? Interlocked.Exchange(ref _names, null) : Volatile.Read(ref _names);
        if (names is null) return;

        // The runtime delivers its events late: the names follow in a line of their own, those the runtime stamped while the
        // request ran (on any thread: the background tier-1 compiler's too), by tier; every name at Debug level.
        _ = Task.Run(async () =>
        {
            // Until the runtime has delivered an event stamped after the request (a loaded machine delivers them seconds
            // late), at most 10 s.
            for (var waited = 0; waited < 100 && names.Latest < until; waited++) await Task.Delay(100);
            var seen = names.Drain(from, until);
            if (seen.Count > 0)
            {
                logger.LogInformation("Request {Number} after start: what the JIT compiled: {Names}", number, JitNames.Summary(seen, 40));
                logger.LogDebug("Request {Number} after start: every method the JIT compiled: {Names}", number, JitNames.Summary(seen, int.MaxValue));
            }

            if (last) names.Dispose();
        });
    }
}

/// <summary>
/// The methods the JIT compiled, from the runtime's own events (JIT keyword, verbose: each method's load with its
/// optimisation tier), kept with the time the runtime stamped them, only while the first requests are logged and at most
/// <see cref="Kept"/> at a time: where a cold request's JIT time goes. The runtime delivers its events late and from every
/// thread, so a request's share is the events stamped while it ran (<see cref="Drain"/>).
/// </summary>
internal sealed class JitNames : System.Diagnostics.Tracing.EventListener
{
    private const int MethodLoadVerbose = 143;
    private const int Kept = 5000;
    private readonly object _lock = new();
    private readonly List<(DateTime At, string Tier, string Name)> _seen = [];
    private long _since = DateTime.MaxValue.Ticks;
    private long _latest;

    /// <summary>The latest time stamped on an event delivered so far.</summary>
    public DateTime Latest => new(Interlocked.Read(ref _latest), DateTimeKind.Utc);

    /// <summary>Keeps only what is stamped from now on (the warm-up's own methods are not kept).</summary>
    public void Since(DateTime at)
    {
        Interlocked.Exchange(ref _since, at.Ticks);
        lock (_lock) _seen.RemoveAll(s => s.At < at);
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x10);
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (e.EventId != MethodLoadVerbose || e.Payload is null || e.PayloadNames is null) return;
        var ns = e.PayloadNames.IndexOf("MethodNamespace") is >= 0 and var n ? e.Payload[n] as string : null;
        var name = e.PayloadNames.IndexOf("MethodName") is >= 0 and var m ? e.Payload[m] as string : null;
        var flags = e.PayloadNames.IndexOf("MethodFlags") is >= 0 and var f ? Convert.ToUInt32(e.Payload[f]) : 0u;
        var at = e.TimeStamp.ToUniversalTime();
        if (at.Ticks > Interlocked.Read(ref _latest)) Interlocked.Exchange(ref _latest, at.Ticks);
        if (at.Ticks < Interlocked.Read(ref _since)) return;
        lock (_lock)
            if (_seen.Count < Kept) _seen.Add((at, Tier(flags), $"{ns}::{name}"));
    }

    /// <summary>The runtime's optimisation tier in a method load's flags (bits 7-10).</summary>
    private static string Tier(uint flags) => ((flags >> 7) & 0xF) switch
    {
        1 => "min-opts",
        2 => "full-opts",
        3 => "tier-0",
        4 => "tier-1",
        5 => "tier-1-osr",
        6 => "ready-to-run",
        7 => "pre-jit",
        8 => "tier-0-instrumented",
        9 => "tier-1-instrumented",
        var t => $"tier-{t}?"
    };

    /// <summary>Everything stamped before <paramref name="until"/> is forgotten; what was stamped from <paramref name="from"/> on is returned.</summary>
    public List<(string Tier, string Name)> Drain(DateTime from, DateTime until)
    {
        lock (_lock)
        {
            var taken = _seen.Where(s => s.At >= from && s.At < until).Select(s => (s.Tier, s.Name)).ToList();
            _seen.RemoveAll(s => s.At < until);
            return taken;
        }
    }

    /// <summary>A count per tier and per namespace's first two parts, then the first names.</summary>
    public static string Summary(List<(string Tier, string Name)> all, int names)
    {
        if (all.Count == 0) return "none seen";
        var tiers = all.GroupBy(a => a.Tier).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}");
        var groups = all.GroupBy(a => Area(a.Name)).OrderByDescending(g => g.Count()).Take(12).Select(g => $"{g.Key} {g.Count()}");
        return $"{all.Count} seen; by tier {string.Join(", ", tiers)}; by namespace {string.Join(", ", groups)}; " +
               $"{(names >= all.Count ? "all" : $"the first {names}")}: {string.Join(", ", all.Take(names).Select(a => $"{a.Name} [{a.Tier}]"))}";
    }

    private static string Area(string name)
    {
        var type = name.Split("::")[0];
        var generic = type.IndexOfAny(['[', '`']);
        if (generic > 0) type = type[..generic];
        var parts = type.Split('.');
        return parts.Length <= 2 ? type : $"{parts[0]}.{parts[1]}";
    }
}

/// <summary>
/// Whether a started process has settled (ADR 49), from samples of the JIT's compiled-method count and the number of
/// background agents running on this node: both unchanged for a whole quiet window, with at least one agent running.
/// </summary>
public sealed class Settling(TimeSpan quiet)
{
    private (long Methods, int Agents)? _last;
    private TimeSpan _since;

    /// <summary>Records a sample taken <paramref name="at"/> (time since the watch began); true once settled.</summary>
    public bool Observe(TimeSpan at, long methods, int agents)
    {
        if (_last != (methods, agents))
        {
            _last = (methods, agents);
            _since = at;
            return false;
        }

        return agents > 0 && at - _since >= quiet;
    }
}
