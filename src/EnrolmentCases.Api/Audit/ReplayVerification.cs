using EnrolmentCases.Infrastructure;
using JasperFx.CommandLine;
using JasperFx.Events.Projections;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EnrolmentCases.Audit;

public sealed record ReadModelComparison(string ReadModel, long LiveRows, long ReplayedRows, long Differences, IReadOnlyList<string> FirstDifferentIds);

public sealed record ReplayReport(bool Valid, long EventsReplayed, TimeSpan Took, IReadOnlyList<ReadModelComparison> ReadModels);

public sealed class ReplayVerificationOptions
{
    public const string Section = "ReplayVerification";

    /// <summary>
    /// How often every API process looks for a queued verification that no process has started yet. The
    /// process that accepted it starts at once; this is the backstop for one that stopped in between.
    /// </summary>
    public int PollSeconds { get; set; } = 5;

    /// <summary>How long rebuilding one read model in the scratch copy may take before the run fails.</summary>
    public int RebuildTimeoutMinutes { get; set; } = 30;

    /// <summary>
    /// TCP keepalives on the runner lock's connection, set by the server for that session
    /// (<c>tcp_keepalives_idle</c>, <c>_interval</c>, <c>_count</c>): PostgreSQL ends the session, and so
    /// frees the lock, once a dead client or a partition has left it unanswered for about idle +
    /// interval × count seconds (30 by default) instead of the kernel's hours.
    /// </summary>
    public int LockKeepaliveIdleSeconds { get; set; } = 15;

    public int LockKeepaliveIntervalSeconds { get; set; } = 5;

    public int LockKeepaliveCount { get; set; } = 3;

    public static IEnumerable<string> Rules(ReplayVerificationOptions o)
    {
        if (o.PollSeconds is < 1 or > 3600) yield return $"PollSeconds must be between 1 and 3600 (is {o.PollSeconds})";
        if (o.RebuildTimeoutMinutes is < 1 or > 24 * 60) yield return $"RebuildTimeoutMinutes must be between 1 and 1440 (is {o.RebuildTimeoutMinutes})";
        if (o.LockKeepaliveIdleSeconds is < 1 or > 3600) yield return $"LockKeepaliveIdleSeconds must be between 1 and 3600 (is {o.LockKeepaliveIdleSeconds})";
        if (o.LockKeepaliveIntervalSeconds is < 1 or > 600) yield return $"LockKeepaliveIntervalSeconds must be between 1 and 600 (is {o.LockKeepaliveIntervalSeconds})";
        if (o.LockKeepaliveCount is < 1 or > 100) yield return $"LockKeepaliveCount must be between 1 and 100 (is {o.LockKeepaliveCount})";
    }
}

/// <summary>
/// Rebuilds every read model from a copy of the events in a scratch schema and compares it, row by
/// row, with the live read models: proof that what the API shows is what the events say. Each run has
/// a scratch schema of its own, named after the live one, and drops it however the run ends (retrying a
/// few times); what a run could not drop, or whose process died, the next worker poll sweeps away
/// (see ReplayRunnerLock and ReplayVerificationJobs).
/// </summary>
public sealed class ReplayVerification(IDocumentStore live, IConfiguration configuration, IServiceProvider services,
    IOptions<ReplayVerificationOptions> options, ILogger<ReplayVerification> logger)
{
    public string LiveSchema => live.Options.Events.DatabaseSchemaName;

    /// <summary>Every scratch schema of this store starts so; nothing else may.</summary>
    public string ScratchPrefix => $"{LiveSchema}_replay_";

    public string ScratchSchemaFor(Guid run) => ScratchPrefix + run.ToString("N")[^12..];

    /// <summary>
    /// The runner lock's connection: the store's database, with server-side TCP keepalives for the
    /// session (all three are settable by any user) and Npgsql's own keepalive ping, so that neither end
    /// keeps a dead peer's lock for hours. A pool of its own, since the settings differ.
    /// </summary>
    public string RunnerLockConnectionString
    {
        get
        {
            var o = options.Value;
            var builder = new NpgsqlConnectionStringBuilder(EventStore.ConnectionString(configuration))
            {
                KeepAlive = o.LockKeepaliveIdleSeconds,
                TcpKeepAlive = true,
            };
            var keepalives = $"-c tcp_keepalives_idle={o.LockKeepaliveIdleSeconds} -c tcp_keepalives_interval={o.LockKeepaliveIntervalSeconds} " +
                             $"-c tcp_keepalives_count={o.LockKeepaliveCount}";
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? keepalives : $"{builder.Options} {keepalives}";
            return builder.ConnectionString;
        }
    }

    public async Task<ReplayReport> RunAsync(Guid run, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var scratch = ScratchSchemaFor(run);
        // The scratch store's connections carry the run in their name, so that a cancelled run can end
        // exactly those that still work on its copy (the projection daemon's rebuild takes no token).
        var connections = new NpgsqlConnectionStringBuilder(EventStore.ConnectionString(configuration)) { ApplicationName = scratch }.ConnectionString;
        DocumentStore? replay = null;
        try
        {
            // The same modules over a scratch schema: every projection the application has, and nothing else.
            replay = DocumentStore.For(opts =>
            {
                EventStore.Configure(opts, connections, scratch);
                EventStore.ApplyModules(opts, services);
            });
            await Abandonable(replay.Storage.ApplyAllConfiguredChangesToDatabaseAsync(), ct);
            var events = await CopyEventsAsync(scratch, ct);

            // Nothing appends to the copy: a hole in its sequence (an append rolled back, a process killed
            // mid-import) will never fill. Without this the daemon waits for the hole before each rebuild,
            // and on the copy, whose sequence was never drawn from, it would wait for ever.
            await Abandonable(replay.Advanced.AdvanceHighWaterMarkToLatestAsync(ct), ct);

            var projections = replay.Options.Projections.All.Where(p => p.Lifecycle != ProjectionLifecycle.Live).ToList();
            using (var daemon = await replay.BuildProjectionDaemonAsync())
            {
                var timeout = TimeSpan.FromMinutes(options.Value.RebuildTimeoutMinutes);
                foreach (var projection in projections) await Abandonable(daemon.RebuildProjectionAsync(projection.Name, timeout, ct), ct);
            }

            var comparisons = new List<ReadModelComparison>();
            foreach (var type in projections.SelectMany(p => p.PublishedTypes()).Distinct().OrderBy(t => t.Name))
                comparisons.Add(await CompareAsync(((IReadOnlyStoreOptions)replay.Options).FindOrResolveDocumentType(type).TableName.Name, type.Name, scratch, ct));
            return new ReplayReport(comparisons.All(c => c.Differences == 0), events, DateTimeOffset.UtcNow - started, comparisons);
        }
        finally
        {
            replay?.Dispose();
            await EndConnectionsAsync(scratch);
            // Stopping, one attempt: the host's shutdown must not wait, and the next start sweeps.
            await DropScratchSchemaAsync(scratch, ct.IsCancellationRequested ? 1 : DropAttempts, ct);
        }
    }

    /// <summary>Whether any scratch schema of this store exists: one cheap catalogue query, for every worker poll.</summary>
    public async Task<bool> AnyScratchSchemaAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "select exists (select from pg_namespace where starts_with(nspname, @prefix) or nspname = @former)", connection);
        command.Parameters.AddWithValue("prefix", ScratchPrefix);
        command.Parameters.AddWithValue("former", $"{LiveSchema}_replay");
        return await command.ExecuteScalarAsync(ct) is true;
    }

    /// <summary>Drops every scratch schema of this store; only safe while no run is going (hold the ReplayRunnerLock).</summary>
    public async Task<IReadOnlyList<string>> DropAllScratchSchemasAsync(CancellationToken ct)
    {
        var found = new List<string>();
        await using (var connection = await OpenAsync(ct))
        // `<schema>_replay` is where runs before scratch schemas per run copied the events.
        await using (var command = new NpgsqlCommand(
                         "select nspname from pg_namespace where starts_with(nspname, @prefix) or nspname = @former order by nspname", connection))
        {
            command.Parameters.AddWithValue("prefix", ScratchPrefix);
            command.Parameters.AddWithValue("former", $"{LiveSchema}_replay");
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) found.Add(reader.GetString(0));
        }

        foreach (var schema in found)
        {
            await EndConnectionsAsync(schema);
            await DropScratchSchemaAsync(schema, 1, ct);
        }

        return found;
    }

    private async Task<long> CopyEventsAsync(string scratch, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // One snapshot for streams and events, so that every copied event has its stream.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using (var copy = new NpgsqlCommand($"""
                         insert into {scratch}.mt_streams select * from {LiveSchema}.mt_streams;
                         insert into {scratch}.mt_events select * from {LiveSchema}.mt_events;
                         select setval('{scratch}.mt_events_sequence', greatest((select max(seq_id) from {scratch}.mt_events), 1));
                         """, connection, tx))
            await copy.ExecuteNonQueryAsync(ct);
        var events = await ScalarAsync(connection, $"select count(*) from {scratch}.mt_events", ct);
        await tx.CommitAsync(ct);
        return events;
    }

    private async Task<ReadModelComparison> CompareAsync(string table, string name, string scratch, CancellationToken ct)
    {
        var differing = $"""
            (select id::text, data from {LiveSchema}.{table} except select id::text, data from {scratch}.{table})
            union
            (select id::text, data from {scratch}.{table} except select id::text, data from {LiveSchema}.{table})
            """;
        await using var connection = await OpenAsync(ct);
        var ids = new List<string>();
        await using (var command = new NpgsqlCommand($"select distinct id from ({differing}) d order by id limit 20", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));

        return new ReadModelComparison(name,
            await ScalarAsync(connection, $"select count(*) from {LiveSchema}.{table}", ct),
            await ScalarAsync(connection, $"select count(*) from {scratch}.{table}", ct),
            await ScalarAsync(connection, $"select count(distinct id) from ({differing}) d", ct),
            ids);
    }

    /// <summary>Ends whatever still works on a scratch copy (an abandoned rebuild), so that dropping it waits for no lock.</summary>
    private async Task EndConnectionsAsync(string scratch)
    {
        try
        {
            await using var connection = await OpenAsync(CancellationToken.None);
            await using var command = new NpgsqlCommand(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = @name and datname = current_database()", connection);
            command.Parameters.AddWithValue("name", scratch);
            await command.ExecuteScalarAsync();
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not end the connections of scratch schema {Schema}", scratch);
        }
    }

    private const int DropAttempts = 3;

    /// <summary>
    /// Retried a few times with a short pause (the database briefly away, a lock held), none waiting long
    /// for a lock; a schema still there after the last attempt is dropped by the next worker poll that
    /// finds the runner lock free. Stops retrying once cancelled.
    /// </summary>
    private async Task DropScratchSchemaAsync(string scratch, int attempts, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var connection = await OpenAsync(CancellationToken.None);
                await using var tx = await connection.BeginTransactionAsync();
                await using var command = new NpgsqlCommand($"set local lock_timeout = '10s'; drop schema if exists \"{scratch}\" cascade", connection, tx);
                await command.ExecuteNonQueryAsync();
                await tx.CommitAsync();
                return;
            }
            catch (Exception e) when (attempt < attempts && !ct.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not drop scratch schema {Schema} (attempt {Attempt} of {Attempts}); trying again", scratch, attempt, attempts);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not drop scratch schema {Schema}; the next replay verification poll that finds no run going drops it", scratch);
                return;
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(attempt), ct);
            }
            catch (OperationCanceledException)
            {
                logger.LogWarning("Could not drop scratch schema {Schema} before stopping; the next replay verification poll drops it", scratch);
                return;
            }
        }
    }

    /// <summary>
    /// Waits for work that takes no token (or ignores it) until it ends or the run is cancelled; the
    /// abandoned work then fails on its own once its connections are ended and its schema dropped.
    /// </summary>
    private static async Task Abandonable(Task work, CancellationToken ct)
    {
        try
        {
            await work.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && !work.IsCompleted)
        {
            _ = work.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            throw;
        }
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken ct)
    {
        var connection = live.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return connection;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }
}

[Description("Rebuilds every read model from the events in a scratch schema and reports differences from the live ones", Name = "verify-projections")]
public class VerifyProjectionsCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        // The API may never have started on this database: its schema comes first (as its owner, with two roles).
        await host.Services.ApplySchemaAsync();
        using var stop = new CancellationTokenSource();
        // Ctrl-C stops the run and drops its scratch schema; a second one ends the process at once.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        };
        var report = await host.Services.GetRequiredService<ReplayVerificationJobs>().RunNowAsync(
            () => Console.Error.WriteLine("A replay verification is running; this one starts when it ends."), stop.Token);
        foreach (var model in report.ReadModels)
        {
            Console.WriteLine($"{model.ReadModel,-16} live {model.LiveRows,8}  replayed {model.ReplayedRows,8}  differences {model.Differences}" +
                              (model.FirstDifferentIds.Count > 0 ? $"  e.g. {string.Join(", ", model.FirstDifferentIds.Take(5))}" : ""));
        }

        Console.WriteLine(report.Valid
            ? $"Read models match a fresh replay of {report.EventsReplayed} events ({report.Took.TotalSeconds:N1} s)."
            : "Read models DIFFER from a fresh replay of the events.");
        return report.Valid;
    }
}
