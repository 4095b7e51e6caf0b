namespace EnrolmentCases.Reconciliations;

/// <summary>
/// The rows of status files keep the NIK as uploaded: subject access finds them here, and a lawful erasure
/// blanks every row that names the NIK (all its cells) in the erasure's own transaction. The findings are
/// kept apart and carry no personal data, so the report's counts and findings do not change.
/// </summary>
public static class ReconciliationRowErasure
{
    /// <summary>The chunks with rows whose nik cell is the NIK, each with its reconciliation.</summary>
    public static async Task<IReadOnlyList<(Reconciliation Reconciliation, ReconciliationChunk Chunk)>> ChunksNamingAsync(IQuerySession session,
        string nik, CancellationToken ct)
    {
        // The NIK anywhere in a chunk's text narrows the search; the row's own nik cell decides.
        var chunks = (await session.QueryAsync<ReconciliationChunk>("where strpos(d.data::text, ?) > 0", ct, nik))
            .Where(c => c.Lines.Any(l => l.Nik == nik)).ToList();
        if (chunks.Count == 0) return [];
        var reconciliations = (await session.LoadManyAsync<Reconciliation>(ct, chunks.Select(c => c.ReconciliationId).Distinct())).ToDictionary(r => r.Id);
        return chunks.Where(c => reconciliations.ContainsKey(c.ReconciliationId)).Select(c => (reconciliations[c.ReconciliationId], c)).ToList();
    }

    /// <returns>How many rows were blanked.</returns>
    public static async Task<int> EraseAsync(IDocumentSession session, string nik, CancellationToken ct)
    {
        var erased = 0;
        foreach (var (_, chunk) in await ChunksNamingAsync(session, nik, ct))
        {
            erased += chunk.Lines.Count(l => l.Nik == nik);
            chunk.Lines = chunk.Lines.Select(l => l.Nik == nik ? l.Blanked() : l).ToList();
            session.Store(chunk);
        }

        return erased;
    }

    /// <summary>
    /// The same for people known only by their subject id (an erasure re-applied after a restore): every chunk is
    /// read, a page at a time, and a row is blanked when its NIK's subject id is one of theirs. A full scan, and rare.
    /// </summary>
    /// <returns>How many rows were blanked.</returns>
    public static async Task<int> EraseSubjectsAsync(IDocumentSession session, IReadOnlySet<string> subjects, Func<string, string> subjectOf,
        CancellationToken ct)
    {
        if (subjects.Count == 0) return 0;
        var ids = await session.Query<ReconciliationChunk>().OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);
        var erased = 0;
        foreach (var page in ids.Chunk(20))
        foreach (var chunk in await session.LoadManyAsync<ReconciliationChunk>(ct, page))
        {
            bool Names(StatusLine l) => l.Nik is { } nik && subjects.Contains(subjectOf(nik));
            var blanked = chunk.Lines.Count(Names);
            if (blanked == 0) continue;
            chunk.Lines = chunk.Lines.Select(l => Names(l) ? l.Blanked() : l).ToList();
            session.Store(chunk);
            erased += blanked;
        }

        return erased;
    }
}
