using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Audit;

public sealed record ChainVerification(
    long EventsChecked,
    bool Valid,
    long? FirstInvalidSequence,
    string? Problem,
    long HeadSequence,
    string HeadHash,
    long UnsealedEvents,
    bool? AnchorMatches);

public static class ChainVerifier
{
    private const int BatchSize = 5_000;

    /// <summary>
    /// Recomputes the chain from the stored events and walks it beside the stored links. An edited
    /// event or link breaks the hash at that sequence; a deleted event leaves a link without event;
    /// an inserted one an event without link; moving events around does both.
    /// </summary>
    public static async Task<ChainVerification> VerifyAsync(IDocumentStore store, (long Sequence, string Hash)? anchor, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var head = await session.Query<AuditLink>().OrderByDescending(l => l.Id).FirstOrDefaultAsync(ct);
        var sealedUpTo = head?.Id ?? 0;
        var previous = AuditChain.Genesis;
        long checkedCount = 0;
        bool? anchorMatches = anchor is null ? null : false;

        for (long from = 0; from < sealedUpTo; from += BatchSize)
        {
            var to = Math.Min(from + BatchSize, sealedUpTo);
            var events = await AuditChain.ReadAsync(store, from, to, BatchSize + 1, ct);
            var links = await session.Query<AuditLink>().Where(l => l.Id > from && l.Id <= to).OrderBy(l => l.Id).ToListAsync(ct);
            var (e, l) = (0, 0);
            while (e < events.Count || l < links.Count)
            {
                var ev = e < events.Count ? events[e] : null;
                var link = l < links.Count ? links[l] : null;
                if (link is null || (ev is not null && ev.Sequence < link.Id))
                    return Invalid(ev!.Sequence, "an event that was never sealed sits inside the sealed range (inserted)");
                if (ev is null || link.Id < ev.Sequence)
                    return Invalid(link.Id, "a sealed event is missing (deleted or moved)");

                var hash = AuditChain.Link(previous, ev);
                if (link.PreviousHash != previous || link.Hash != hash)
                    return Invalid(ev.Sequence, "the event or its link differs from what was sealed (edited or reordered)");
                if (anchor is { } a && a.Sequence == ev.Sequence) anchorMatches = a.Hash == hash;
                previous = hash;
                checkedCount++;
                e++;
                l++;
            }
        }

        var unsealed = await AuditChain.CountAfterAsync(store, sealedUpTo, ct);
        var valid = anchorMatches != false;
        return new ChainVerification(checkedCount, valid, null, valid ? null : "the chain does not reach the anchored hash",
            sealedUpTo, previous, unsealed, anchorMatches);

        ChainVerification Invalid(long sequence, string problem) =>
            new(checkedCount, false, sequence, problem, sealedUpTo, head?.Hash ?? AuditChain.Genesis, 0, anchorMatches);
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
        Description = "Recomputes the hash chain over the whole event log and reports the first place it breaks; ?anchor= checks a head published earlier.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType<ChainVerification>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(string? anchor, IDocumentStore store, AuditSealer sealer, HttpContext http)
    {
        (long, string)? parsed = null;
        if (anchor is not null)
        {
            var parts = anchor.Split(':');
            if (parts.Length != 2 || !long.TryParse(parts[0], out var sequence) || parts[1].Length != 64)
                return Results.Problem(Problems.ValidationFailed("anchor", "must be sequence:hash as returned by a previous verification"));
            parsed = (sequence, parts[1].ToLowerInvariant());
        }

        await sealer.SealAsync(http.RequestAborted);
        return Results.Ok(await ChainVerifier.VerifyAsync(store, parsed, http.RequestAborted));
    }
}
