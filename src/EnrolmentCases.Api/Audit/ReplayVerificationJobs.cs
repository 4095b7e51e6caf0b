using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EnrolmentCases.Audit;

/// <summary>
/// Replay verifications as jobs any API process may run, one at a time across all of them. The job
/// and its slot are documents, so a job is never lost; whoever runs it holds the ReplayRunnerLock,
/// so a job that claims to be running while nobody holds the lock was interrupted.
/// </summary>
public sealed class ReplayVerificationJobs(IDocumentStore store, ReplayVerification verification, TimeProvider clock,
    ILogger<ReplayVerificationJobs> logger)
{
    private const string Interrupted = "interrupted: the process running it stopped before it finished; start a new one";

    private readonly Channel<bool> _work = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Queues a verification, or names the one queued or running.</summary>
    public async Task<(ReplayVerificationJob? Accepted, Guid? Running)> StartAsync(string requestedBy, CancellationToken ct)
    {
        // A job whose runner died must not hold the slot: clear it first, unless a run is going.
        await using (var runner = await ReplayRunnerLock.TryTakeAsync(verification, ct))
        {
            if (runner is not null) await RecoverAsync(ct);
        }

        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var job = new ReplayVerificationJob { Id = Guid.CreateVersion7(now), Status = ReplayJobStatus.Queued, RequestedBy = requestedBy, RequestedAt = now };
            await using var session = store.LightweightSession();
            session.Insert(new ReplayVerificationSlot { JobId = job.Id });
            session.Insert(job);
            try
            {
                await session.SaveChangesAsync(ct);
                _work.Writer.TryWrite(true);
                return (job, null);
            }
            catch (Exception e) when (IsTaken(e))
            {
                await using var query = store.QuerySession();
                var slot = await query.LoadAsync<ReplayVerificationSlot>(ReplayVerificationSlot.Taken, ct);
                // The holder may have finished in between: then the slot is free again.
                if (slot is not null || attempt == 2) return (null, slot?.JobId);
            }
        }
    }

    /// <summary>
    /// Runs the queued job, if there is one and no run is going anywhere. With nothing queued or running it
    /// still clears a leftover scratch schema (a run whose last drop failed, a process that died) once no
    /// run holds the lock: each poll checks cheaply for one and does nothing more when there is none. With
    /// sweep (at start-up) it takes the lock and clears up in any case.
    /// </summary>
    public async Task RunQueuedAsync(bool sweep, CancellationToken ct)
    {
        if (!sweep)
        {
            await using var query = store.QuerySession();
            if (await query.LoadAsync<ReplayVerificationSlot>(ReplayVerificationSlot.Taken, ct) is null &&
                !await verification.AnyScratchSchemaAsync(ct)) return;
        }

        await using var runner = await ReplayRunnerLock.TryTakeAsync(verification, ct);
        if (runner is null) return;
        await RecoverAsync(ct);

        ReplayVerificationJob? job;
        await using (var session = store.LightweightSession())
        {
            var slot = await session.LoadAsync<ReplayVerificationSlot>(ReplayVerificationSlot.Taken, ct);
            job = slot is null ? null : await session.LoadAsync<ReplayVerificationJob>(slot.JobId, ct);
            if (job is not { Status: ReplayJobStatus.Queued }) return;
            job.Status = ReplayJobStatus.Running;
            job.StartedAt = clock.GetUtcNow();
            session.Store(job);
            await session.SaveChangesAsync(ct);
        }

        logger.LogInformation("Replay verification {JobId} started", job.Id);
        try
        {
            job.Complete(await verification.RunAsync(job.Id, ct), clock.GetUtcNow());
            logger.LogInformation("Replay verification {JobId} completed: {Valid}", job.Id, job.Valid == true ? "read models match" : "read models differ");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            job.Fail("interrupted: the API stopped during the run; start a new one", clock.GetUtcNow());
            logger.LogWarning("Replay verification {JobId} interrupted: the API is stopping", job.Id);
        }
        catch (Exception e)
        {
            // Errors may quote stored values; the reason stays generic and the log has the rest.
            job.Fail($"the run stopped with an error ({e.GetType().Name}); the API's log has the details", clock.GetUtcNow());
            logger.LogError(e, "Replay verification {JobId} failed", job.Id);
        }

        await FinishAsync(job);
    }

    /// <summary>
    /// For the command line: waits until no job runs, then verifies under the same lock, so that no job's
    /// sweep can drop the scratch schema under it.
    /// </summary>
    public async Task<ReplayReport> RunNowAsync(Action waiting, CancellationToken ct)
    {
        await using var runner = await ReplayRunnerLock.TryTakeAsync(verification, ct)
                                 ?? await WaitAsync(waiting, ct);
        await RecoverAsync(ct);
        return await verification.RunAsync(Guid.NewGuid(), ct);
    }

    /// <summary>Waits until a job is queued on this process, or the poll interval has passed.</summary>
    public async Task WaitForWorkAsync(TimeSpan poll, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(poll);
        try
        {
            await _work.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }

    private async Task<ReplayRunnerLock> WaitAsync(Action waiting, CancellationToken ct)
    {
        waiting();
        return await ReplayRunnerLock.TakeAsync(verification, ct);
    }

    /// <summary>
    /// Holding the runner lock, so no run is going anywhere: a job that claims to be running was
    /// interrupted (its process died), and every scratch schema is a leftover.
    /// </summary>
    private async Task RecoverAsync(CancellationToken ct)
    {
        await using (var session = store.LightweightSession())
        {
            // Only a queued or running job holds the slot, and a run ends by freeing it.
            var slot = await session.LoadAsync<ReplayVerificationSlot>(ReplayVerificationSlot.Taken, ct);
            var job = slot is null ? null : await session.LoadAsync<ReplayVerificationJob>(slot.JobId, ct);
            if (slot is not null && job is not { Status: ReplayJobStatus.Queued })
            {
                if (job is not null)
                {
                    job.Fail(Interrupted, clock.GetUtcNow());
                    session.Store(job);
                    logger.LogWarning("Replay verification {JobId} was interrupted: its process stopped during the run", job.Id);
                }

                session.Delete(slot);
                await session.SaveChangesAsync(ct);
            }
        }

        foreach (var schema in await verification.DropAllScratchSchemasAsync(ct))
            logger.LogWarning("Dropped scratch schema {Schema}, left behind by an interrupted replay verification", schema);
    }

    /// <summary>Records the outcome and frees the slot in one transaction, also when the run was cancelled.</summary>
    private async Task FinishAsync(ReplayVerificationJob job)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await using var session = store.LightweightSession();
            session.Store(job);
            // Only its own: had its lock been lost meanwhile (a database restart), a newer job may hold the slot.
            session.DeleteWhere<ReplayVerificationSlot>(slot => slot.Id == ReplayVerificationSlot.Taken && slot.JobId == job.Id);
            await session.SaveChangesAsync(timeout.Token);
        }
        catch (Exception e)
        {
            // Still `running` with the lock about to be free: the next start or request marks it interrupted.
            logger.LogError(e, "Could not record the outcome of replay verification {JobId}", job.Id);
        }
    }

    private static bool IsTaken(Exception e) => e is JasperFx.DocumentAlreadyExistsException ||
                                                e is AggregateException { InnerExceptions: var inner } && inner.Any(x => x is JasperFx.DocumentAlreadyExistsException);
}

/// <summary>
/// The right to run a replay verification, one holder across every API process on the database: a
/// session-level PostgreSQL advisory lock on a connection of its own, held for the whole run. The
/// database releases it when that connection ends, also when the process holding it is killed; so a
/// job marked running whose lock is free has lost its runner. Its connection asks the server for short
/// TCP keepalives, so that a holder whose machine died or is cut off loses the lock within about half a
/// minute rather than when the kernel's keepalive gives up (hours). Keyed by the live schema.
/// </summary>
public sealed class ReplayRunnerLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly long _key;

    private ReplayRunnerLock(NpgsqlConnection connection, long key) => (_connection, _key) = (connection, key);

    public static long KeyFor(string schema) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"enrolment-cases:replay-verification:{schema}")), 0);

    public static Task<ReplayRunnerLock?> TryTakeAsync(ReplayVerification verification, CancellationToken ct) =>
        TakeAsync(verification, "pg_try_advisory_lock", ct);

    public static async Task<ReplayRunnerLock> TakeAsync(ReplayVerification verification, CancellationToken ct) =>
        (await TakeAsync(verification, "pg_advisory_lock", ct))!;

    private static async Task<ReplayRunnerLock?> TakeAsync(ReplayVerification verification, string function, CancellationToken ct)
    {
        var key = KeyFor(verification.LiveSchema);
        // Not the store's pool: this connection carries keepalives, so that a dead holder's lock ends with it.
        var connection = new NpgsqlConnection(verification.RunnerLockConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand($"select {function}(@key)::text", connection);
            command.Parameters.AddWithValue("key", key);
            // pg_advisory_lock returns void: an empty answer means taken, as does true from the try variant.
            if (await command.ExecuteScalarAsync(ct) is "false")
            {
                await connection.DisposeAsync();
                return null;
            }

            return new ReplayRunnerLock(connection, key);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("select pg_advisory_unlock(@key)", _connection);
            command.Parameters.AddWithValue("key", _key);
            await command.ExecuteScalarAsync();
        }
        catch (Exception)
        {
            // A broken connection has released the lock with it.
        }

        await _connection.DisposeAsync();
    }
}

/// <summary>Runs queued replay verifications on this process, and clears what an interrupted or failed one left behind, at start-up and on every poll.</summary>
public sealed class ReplayVerificationWorker(ReplayVerificationJobs jobs, IOptions<ReplayVerificationOptions> options,
    ILogger<ReplayVerificationWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var poll = TimeSpan.FromSeconds(options.Value.PollSeconds);
        var sweep = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await jobs.RunQueuedAsync(sweep, stoppingToken);
                sweep = false;
                await jobs.WaitForWorkAsync(poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Looking for queued replay verifications failed; trying again in {Poll}", poll);
                try
                {
                    await Task.Delay(poll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
