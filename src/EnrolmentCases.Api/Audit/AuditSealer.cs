using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Options;
using Wolverine.Runtime.Agents;

namespace EnrolmentCases.Audit;

public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>How often new events are sealed into the chain; 0 turns the background sealer off.</summary>
    public int SealIntervalSeconds { get; set; } = 2;

    /// <summary>How long events may wait for a sealer run before readiness reports the sealer as degraded.</summary>
    public int MaxSealLagSeconds { get; set; } = 30;

    public static IEnumerable<string> Rules(AuditOptions o)
    {
        if (o.SealIntervalSeconds is < 0 or > 3600) yield return $"SealIntervalSeconds must be between 0 (off) and 3600 (is {o.SealIntervalSeconds})";
        if (o.MaxSealLagSeconds < 1) yield return $"MaxSealLagSeconds must be positive (is {o.MaxSealLagSeconds})";
        else if (o.SealIntervalSeconds > 0 && o.MaxSealLagSeconds <= o.SealIntervalSeconds)
            yield return $"MaxSealLagSeconds ({o.MaxSealLagSeconds}) must exceed SealIntervalSeconds ({o.SealIntervalSeconds}), or every pause between runs reads as a lag";
    }
}

/// <summary>
/// Extends the hash chain over events that can no longer change order: those at or below the
/// high-water mark. Writers never wait for it; it follows a second or two behind.
/// </summary>
public sealed class AuditSealer(IDocumentStore store, EventMacs macs, TimeProvider clock, ILogger<AuditSealer> logger)
{
    private const int BatchSize = 2_000;
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>
    /// Seals the events up to the high-water mark, in order, checking each one's MAC first. It stops
    /// before the first event that does not verify, records why in its heartbeat (readiness reports it)
    /// and seals nothing past it: an edited event is never sealed as if genuine, however its links went.
    /// </summary>
    public async Task<long> SealAsync(CancellationToken ct)
    {
        await _one.WaitAsync(ct);
        try
        {
            var upTo = await AuditChain.HighWaterMarkAsync(store, ct);
            long sealedCount = 0;
            while (true)
            {
                await using var session = store.LightweightSession();
                var last = await session.Query<AuditLink>().OrderByDescending(l => l.Id).FirstOrDefaultAsync(ct);
                var events = await AuditChain.ReadForCheckAsync(store, last?.Id ?? 0, upTo, BatchSize, ct);
                var previous = last?.Hash ?? AuditChain.Genesis;
                ChainBreak? refused = null;
                var links = new List<AuditLink>(events.Count);
                foreach (var checkedEvent in events)
                {
                    refused = EventCheck.Check(macs, checkedEvent);
                    if (refused is not null) break;
                    var e = checkedEvent.Event;
                    var hash = AuditChain.Link(previous, e);
                    links.Add(new AuditLink { Id = e.Sequence, Hash = hash, PreviousHash = previous, SealedAt = clock.GetUtcNow() });
                    previous = hash;
                }

                var sealedHere = links.Count;
                InsertLinks(session, links);
                var through = sealedHere > 0 ? links[^1].Id : last?.Id ?? 0;
                // The heartbeat readiness reads (Audit/SealerHealth.cs), with every batch, so that a long catch-up reads as progress.
                session.Store(new AuditSealerRun { SealedThrough = through, RefusedSequence = refused?.Sequence, RefusedProblem = refused?.Detail });
                await session.SaveChangesAsync(ct);
                sealedCount += sealedHere;
                if (refused is not null)
                {
                    logger.LogError("The audit sealer stops before event {Sequence}: {Problem}", refused.Sequence, refused.Detail);
                    return sealedCount;
                }

                if (events.Count == 0) return sealedCount;
            }
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>
    /// Queues the batch's links as one multi-row insert, in sequence order, in the session's transaction beside the
    /// heartbeat (one statement per batch instead of one per event). A plain insert, never an upsert: a second sealer
    /// racing this one hits an existing id and its whole transaction fails instead of rewriting links. The data is
    /// what the document session would store (the store's serializer); mt_version and mt_last_modified take their
    /// column defaults (a new version and the transaction's time; links are never versioned or updated). The runtime
    /// role's INSERT grant is all it needs (ADR 16).
    /// </summary>
    private void InsertLinks(IDocumentSession session, List<AuditLink> links)
    {
        if (links.Count == 0) return;
        var serializer = store.Options.Serializer();
        var ids = new long[links.Count];
        var data = new string[links.Count];
        for (var i = 0; i < links.Count; i++)
        {
            ids[i] = links[i].Id;
            data[i] = serializer.ToJson(links[i]);
        }

        session.QueueSqlCommand(
            $"insert into {LinkTable} (id, data, mt_dotnet_type) " +
            "select l.id, l.data::jsonb, ? from unnest(?::bigint[], ?::text[]) with ordinality as l(id, data, n) order by l.n",
            typeof(AuditLink).FullName!, ids, data);
    }

    private string LinkTable => _linkTable ??= ((IReadOnlyStoreOptions)store.Options).FindOrResolveDocumentType(typeof(AuditLink)).TableName.QualifiedName;

    private string? _linkTable;
}

/// <summary>
/// Seals every SealIntervalSeconds, on exactly one node of the cluster: an agent the cluster's leader
/// assigns, and moves to another node when this one dies. (Two sealers would not corrupt the chain,
/// since links are only ever inserted, but one would keep failing.)
/// </summary>
public sealed class AuditSealerAgent(AuditSealer sealer, IOptions<AuditOptions> options, ILogger<AuditSealerAgent> logger)
    : SingularAgent("audit-sealer")
{
    private readonly BackgroundLoop _loop = new(logger, "Sealing the audit chain");

    protected override Task startAsync(CancellationToken cancellationToken)
    {
        var seconds = options.Value.SealIntervalSeconds;
        if (seconds > 0) _loop.Start(TimeSpan.FromSeconds(seconds), ct => sealer.SealAsync(ct));
        return Task.CompletedTask;
    }

    protected override Task stopAsync(CancellationToken cancellationToken) => _loop.StopAsync();
}
