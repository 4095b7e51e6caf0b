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

    public static IEnumerable<string> Rules(WarmUpOptions o)
    {
        if (o.ReadinessWaitSeconds is < 0 or > 30 || double.IsNaN(o.ReadinessWaitSeconds))
            yield return $"ReadinessWaitSeconds must be between 0 and 30 (is {o.ReadinessWaitSeconds})";
    }
}

/// <summary>
/// Runs once in the background as the host starts; /health/ready answers 503 until it is done. Each
/// step is timed and logged, so the log says where a cold process spends its first request's time.
/// A step that fails is logged and skipped: warming is an optimisation, never a reason not to serve.
/// </summary>
public sealed class WarmUp(IDocumentStore store, IOptions<WarmUpOptions> options, IHostApplicationLifetime lifetime, IServer server,
    ILogger<WarmUp> logger) : BackgroundService
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Done => _done.Task;

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
    }

    private async Task RunAsync(CancellationToken ct)
    {
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

        // The HTTP pipeline as far as a request gets without a valid token: Kestrel, the middleware, the
        // bearer token handler and a problem-details answer (401). Only where the server listens on a socket.
        await Step("HTTP pipeline", async () =>
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await using (ct.Register(() => started.TrySetCanceled(ct)))
                await started.Task;
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://"));
            if (address is null || !Uri.TryCreate(address.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1")
                    .Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1"), UriKind.Absolute, out var uri)) return 0;
            using var http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(10) };
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/cases");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3YXJtLXVwIn0.d2FybS11cC1vbmx5LW5vdC1hLXNpZ25hdHVyZQ");
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
            using var response = await http.SendAsync(request, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            return (int)response.StatusCode;
        });

        logger.LogInformation("Warm-up took {Ms:F0} ms: {Steps}", Stopwatch.GetElapsedTime(started).TotalMilliseconds, string.Join(", ", steps));
    }

    private async Task<HashSet<string>> TablesAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "select table_schema || '.' || table_name from information_schema.tables";
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
