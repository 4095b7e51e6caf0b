using System.Diagnostics;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// Rewrites, after start and while the node serves, the search entries an earlier release wrote: those without tokens within
/// their regency (before ADR 0053), which a search in one regency reads once every entry holds them; among them those without
/// a regency column (before ADR 0042), which a caseworker's walk of its regency never reads, and those without a regency
/// token or an opening time (before ADR 0028), which no caseworker's search finds at all (ADR 0051). Each is rebuilt from its
/// case view and its person's key as `rebuild-search-index` rebuilds it, or removed when the person is erased.
/// The column being null is the whole of the progress: passes over primary-key ranges, each range one transaction that locks
/// its entries still to repair (skipping those another node or a command holds), so a crash loses at most a range, the next
/// start carries on, and nodes starting together share the work. A command or an erasure that writes an entry meanwhile waits for the batch
/// and writes after it, so its own entry is the one that stays. Readiness is Degraded until no such entry is left.
/// </summary>
public sealed class SearchIndexRepair(IDocumentStore store, SearchIndexRebuild rebuild, SchemaAtStart schema,
    IOptions<SchemaUpgradeOptions> options, ILogger<SearchIndexRepair> logger) : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);

    private static readonly Guid LastId = Guid.Parse("ffffffff-ffff-ffff-ffff-ffffffffffff");

    private sealed record Progress(long? Found, long Indexed, long Removed, bool Done);

    private volatile Progress _progress = new(null, 0, 0, false);

    /// <summary>
    /// Has this node found no entry left to repair? Then every entry holds its tokens within its regency, and a search in one
    /// regency may read them alone (ADR 0053); until then it reads the plain tokens, which every entry holds.
    /// </summary>
    public bool Complete => _progress.Done;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await schema.Applied.WaitAsync(stoppingToken);
            while (true)
            {
                try
                {
                    await RepairAsync(stoppingToken);
                    // Done; but a node of the previous release, during a rolling upgrade, may still write entries without
                    // tokens within their regency. A look through the partial index every so often finds them, and this
                    // node goes back to the plain tokens and repairs them (ADR 0053).
                    var recheck = TimeSpan.FromSeconds(options.Value.SearchRepairRecheckSeconds);
                    while (true)
                    {
                        await Task.Delay(recheck, stoppingToken);
                        if (await AnyLeftAsync(stoppingToken)) break;
                    }

                    _progress = new Progress(null, _progress.Indexed, _progress.Removed, false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(e, "Repairing the search entries an earlier release wrote failed; it goes on in {Seconds} s", Pause.TotalSeconds * 10);
                    await Task.Delay(Pause * 10, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RepairAsync(CancellationToken ct)
    {
        var entries = store.Options.Schema.For<CaseSearchEntry>();
        var found = await CountAsync($"select count(*) from {entries} where tokens_in_regency is null", ct);
        _progress = _progress with { Found = found };
        if (found == 0)
        {
            _progress = _progress with { Done = true };
            return;
        }

        logger.LogWarning("{Entries} search entries from an earlier release lack their tokens within their regency: a search in one regency reads " +
                          "the slower plain tokens until they are rebuilt from their case views, in primary-key ranges of {Batch}, while the node serves", found, options.Value.SearchRepairBatchSize);
        var started = Stopwatch.GetTimestamp();
        var batch = options.Value.SearchRepairBatchSize;
        for (var after = Guid.Empty; ;)
        {
            await using var session = store.LightweightSession();
            await session.BeginTransactionAsync(ct);
            // The next range of entries by primary key, whatever their state: a statement reads a bounded range whatever the
            // planner believes of the column (just added, or never analysed), as the column fill does (ADR 0043).
            var last = await session.AdvancedSql.QueryAsync<Guid>($"select id from {entries} where id > ? order by id offset ? limit 1", ct, after, batch - 1);
            var ids = await session.AdvancedSql.QueryAsync<Guid>(
                $"select id from {entries} where id > ? and id <= ? and tokens_in_regency is null order by id for update skip locked",
                ct, after, last.Count == 1 ? last[0] : LastId);
            if (ids.Count > 0)
            {
                var views = await session.LoadManyAsync<CaseDetails>(ct, ids);
                var (indexed, removed) = await rebuild.IndexAsync(session, ids, views, ct);
                await session.SaveChangesAsync(ct);
                _progress = _progress with { Indexed = _progress.Indexed + indexed, Removed = _progress.Removed + removed };
            }

            if (last.Count == 1)
            {
                after = last[0];
                continue;
            }

            // The end of a pass: done unless entries another transaction held are still unrepaired (its node is at them, or died).
            if (!await AnyLeftAsync(ct)) break;
            after = Guid.Empty;
            await Task.Delay(Pause, ct);
        }

        _progress = _progress with { Done = true };
        logger.LogInformation("Repaired the search entries an earlier release wrote: {Indexed} rebuilt from their case views and {Removed} removed " +
                              "(an erased person's, or a case's without a view) by this node in {Seconds:F1} s; none is left",
            _progress.Indexed, _progress.Removed, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Is any entry still without its tokens within its regency? One probe of the partial index.</summary>
    private async Task<bool> AnyLeftAsync(CancellationToken ct) =>
        await CountAsync($"select count(*) from (select 1 from {store.Options.Schema.For<CaseSearchEntry>()} where tokens_in_regency is null limit 1) e", ct) > 0;

    private async Task<long> CountAsync(string sql, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return (await session.AdvancedSql.QueryAsync<long>(sql, ct)).Single();
    }

    /// <summary>Readiness: Degraded until this node has found no entry left to repair.</summary>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var progress = _progress;
        var data = new Dictionary<string, object>
        {
            ["found"] = progress.Found ?? -1,
            ["rebuilt"] = progress.Indexed,
            ["removed"] = progress.Removed
        };
        return Task.FromResult(progress switch
        {
            { Done: true } => HealthCheckResult.Healthy("every search entry carries its tokens within its regency", data),
            { Found: null } => HealthCheckResult.Degraded("search entries not checked yet", data: data),
            _ => HealthCheckResult.Degraded(
                $"repairing {progress.Found} search entries an earlier release wrote: searches take the slower plain tokens, and a caseworker's may miss entries without a regency, until then", data: data)
        });
    }
}
