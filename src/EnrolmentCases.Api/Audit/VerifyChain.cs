using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Audit;

public sealed record ChainVerification(
    long EventsChecked,
    bool Valid,
    long? FirstInvalidSequence,
    string? Problem,
    IReadOnlyList<ChainBreak> Breaks,
    long HeadSequence,
    string HeadHash,
    long UnsealedEvents,
    bool? AnchorMatches,
    int AnchorsChecked,
    PublishedAnchor? LatestAnchor,
    int SnapshotsChecked);

/// <summary>The breaks found, in order of sequence when reported; at most MaxReported are kept, all are counted.</summary>
public sealed class ChainBreaks
{
    public const int MaxReported = 100;
    private readonly List<ChainBreak> _found = [];

    public long? First { get; private set; }

    public void Add(ChainBreak found)
    {
        First = First is { } first ? Math.Min(first, found.Sequence) : found.Sequence;
        if (_found.Count < MaxReported) _found.Add(found);
    }

    public IReadOnlyList<ChainBreak> Reported => _found.OrderBy(b => b.Sequence).ToList();
}

public static class ChainVerifier
{
    private const int BatchSize = 5_000;

    /// <summary>
    /// Walks every stored event in sequence order and reports every break it finds: an event whose
    /// MAC does not verify (edited, even before it was sealed), a stream whose versions have a hole or
    /// run against the log (deleted or reordered), a link that does not hash its event and its
    /// predecessor (edited or reordered), a sealed event without its event or an event without its
    /// link inside the sealed range (deleted or inserted), and every published anchor the chain
    /// recomputed from the events does not reach (the tail deleted, or links deleted and re-sealed).
    /// </summary>
    public static async Task<ChainVerification> VerifyAsync(IDocumentStore store, EventMacs macs, IReadOnlyList<PublishedAnchor> anchors,
        (long Sequence, string Hash)? queried, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var head = await session.Query<AuditLink>().OrderByDescending(l => l.Id).FirstOrDefaultAsync(ct);
        var sealedUpTo = head?.Id ?? 0;
        var lastEvent = await AuditChain.LastSequenceAsync(store, ct);
        var breaks = new ChainBreaks();

        // Every anchor to reach: the published ones, and the one asked about.
        var toReach = anchors.Select(a => (a.Sequence, a.Hash, From: $"the anchor published at {a.PublishedAt:O}")).ToList();
        if (queried is { } q) toReach.Add((q.Sequence, q.Hash, From: "the anchor given"));
        var anchorsAt = toReach.ToLookup(a => a.Sequence);
        var reached = new HashSet<long>();
        bool? queriedMatches = queried is null ? null : false;

        // The chain recomputed from the events alone, from the genesis: what every anchor must find.
        var recomputed = AuditChain.Genesis;
        // The links checked one by one against their event and the link before, so that one break is reported once.
        var previousLink = AuditChain.Genesis;
        long checkedCount = 0;

        var end = Math.Max(sealedUpTo, lastEvent);
        for (long from = 0; from < end; from += BatchSize)
        {
            var to = Math.Min(from + BatchSize, end);
            var events = await AuditChain.ReadForCheckAsync(store, from, to, BatchSize + 1, ct);
            var links = from >= sealedUpTo
                ? []
                : await session.Query<AuditLink>().Where(l => l.Id > from && l.Id <= to).OrderBy(l => l.Id).ToListAsync(ct);
            var (e, l) = (0, 0);
            while (e < events.Count || l < links.Count)
            {
                var ev = e < events.Count ? events[e].Event : null;
                var link = l < links.Count ? links[l] : null;
                if (link is not null && (ev is null || link.Id < ev.Sequence))
                {
                    breaks.Add(new ChainBreak(link.Id, ChainProblems.EventMissing, $"event {link.Id} was sealed and is gone (deleted or moved)"));
                    previousLink = link.Hash;
                    l++;
                    continue;
                }

                if (EventCheck.Check(macs, events[e]) is { } broken) breaks.Add(broken);

                recomputed = AuditChain.Link(recomputed, ev!);
                if (anchorsAt.Contains(ev!.Sequence))
                {
                    reached.Add(ev.Sequence);
                    foreach (var anchor in anchorsAt[ev.Sequence])
                    {
                        var matches = anchor.Hash == recomputed;
                        if (queried is { } given && given.Sequence == ev.Sequence && anchor.From == "the anchor given") queriedMatches = matches;
                        if (!matches)
                            breaks.Add(new ChainBreak(ev.Sequence, ChainProblems.AnchorNotReached,
                                $"{anchor.From} says the chain reached {anchor.Hash} at {ev.Sequence}; recomputed from the events it is {recomputed} " +
                                "(history up to there was changed, and its links with it)"));
                    }
                }

                if (link is not null && link.Id == ev.Sequence)
                {
                    if (link.PreviousHash != previousLink || link.Hash != AuditChain.Link(link.PreviousHash, ev))
                        breaks.Add(new ChainBreak(ev.Sequence, ChainProblems.LinkMismatch,
                            $"event {ev.Sequence} or its link differs from what was sealed (edited or reordered)"));
                    previousLink = link.Hash;
                    l++;
                }
                else if (ev.Sequence <= sealedUpTo)
                {
                    breaks.Add(new ChainBreak(ev.Sequence, ChainProblems.EventUnsealed,
                        $"event {ev.Sequence} sits inside the sealed range without a link (inserted)"));
                }

                checkedCount++;
                e++;
            }
        }

        foreach (var anchor in toReach.Where(a => !reached.Contains(a.Sequence)))
            breaks.Add(new ChainBreak(anchor.Sequence, ChainProblems.AnchoredSequenceMissing,
                $"{anchor.From} names event {anchor.Sequence}, which the log no longer holds (its tail or that event was deleted)"));

        var snapshots = await SnapshotChecks.CheckAsync(store, breaks, ct);
        var unsealed = await AuditChain.CountAfterAsync(store, sealedUpTo, ct);
        var reported = breaks.Reported;
        var latest = anchors.OrderBy(a => a.PublishedAt).LastOrDefault();
        return new ChainVerification(checkedCount, reported.Count == 0, breaks.First,
            reported.FirstOrDefault(b => b.Sequence == breaks.First)?.Detail, reported,
            sealedUpTo, head?.Hash ?? AuditChain.Genesis, unsealed, queriedMatches, anchors.Count, latest, snapshots);
    }
}

public static class VerifyChainEndpoint
{
    /// <summary>
    /// Recomputes the tamper-evidence chain over the whole log. Keep the returned head (sequence and
    /// hash) outside the database; passing it back later as anchor=sequence:hash proves the history
    /// up to it is unchanged even against someone able to rewrite the chain as well.
    /// </summary>
    [WolverineGet("/api/audit/verify", OperationId = "VerifyAuditChain", Summary = "Verify the audit chain",
        Description = "Recomputes every event's MAC and the hash chain over the whole event log, checks every published anchor and the snapshots " +
                      "money decisions read, and reports every break (up to 100); ?anchor= checks a head kept elsewhere as well.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType<ChainVerification>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(string? anchor, IDocumentStore store, AuditSealer sealer, EventMacs macs, AnchorSink sink, HttpContext http)
    {
        (long, string)? parsed = null;
        if (anchor is not null)
        {
            var parts = anchor.Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], out var sequence) || parts[1].Length != 64)
                return Results.Problem(Problems.ValidationFailed("anchor", "must be sequence:hash as returned by a previous verification"));
            parsed = (sequence, parts[1].ToLowerInvariant());
        }

        var ct = http.RequestAborted;
        await sealer.SealAsync(ct);
        var (published, unreadable) = await sink.ReadAllAsync(ct);
        var report = await ChainVerifier.VerifyAsync(store, macs, published, parsed, ct);
        if (unreadable.Count > 0)
        {
            // An anchor line that does not parse was written by something else, or altered: say so, at sequence 0.
            var breaks = report.Breaks.Concat(unreadable.Select(u => new ChainBreak(0, ChainProblems.AnchorUnreadable, $"the anchor at {u} cannot be read")))
                .OrderBy(b => b.Sequence).Take(ChainBreaks.MaxReported).ToList();
            report = report with { Valid = false, Breaks = breaks, FirstInvalidSequence = 0, Problem = breaks[0].Detail };
        }

        return Results.Ok(report);
    }
}
