namespace EnrolmentCases.Imports;

/// <summary>
/// The uploaded rows an import keeps hold personal data in clear: a lawful erasure blanks every row
/// that names the NIK (all its cells), in the erasure's own transaction. The row's number and
/// outcome stay, so the import's counts and outcomes do not change.
/// </summary>
public static class ImportRowErasure
{
    /// <summary>
    /// The kept chunks with rows whose nik cell, read as the import reads it, is the NIK, each with its import
    /// (for the header). Subject access reports these rows and erasure blanks them: both ask here.
    /// </summary>
    public static async Task<IReadOnlyList<(Import Import, ImportChunk Chunk)>> ChunksNamingAsync(IQuerySession session, string nik,
        CancellationToken ct)
    {
        // The NIK anywhere in a chunk's text narrows the search; the row's own nik cell decides (Names).
        var chunks = await session.QueryAsync<ImportChunk>("where strpos(d.data::text, ?) > 0", ct, nik);
        if (chunks.Count == 0) return [];
        var imports = (await session.LoadManyAsync<Import>(ct, chunks.Select(c => c.ImportId).Distinct())).ToDictionary(i => i.Id);
        return chunks.Where(c => imports.ContainsKey(c.ImportId)).Select(c => (imports[c.ImportId], c)).ToList();
    }

    public static bool Names(Import import, ListRow row, string nik) => WorkerList.CellOf(import.Columns, row, "nik") == nik;

    /// <returns>How many rows were blanked.</returns>
    public static async Task<int> EraseAsync(IDocumentSession session, string nik, CancellationToken ct)
    {
        var erased = 0;
        foreach (var (import, chunk) in await ChunksNamingAsync(session, nik, ct))
        {
            var blanked = chunk.Rows.Count(r => Names(import, r, nik));
            if (blanked == 0) continue;
            chunk.Rows = chunk.Rows.Select(r => Names(import, r, nik) ? Blank(r) : r).ToList();
            session.Store(chunk);
            erased += blanked;
        }

        return erased;
    }

    private static ListRow Blank(ListRow row) => row with { Fields = row.Fields.Select(_ => "").ToArray() };

    /// <summary>
    /// The same for people known only by their subject id (an erasure re-applied after a restore,
    /// when the NIK is no longer known): every chunk is read, a page at a time, and a row is blanked
    /// when the subject id of its nik cell is one of theirs. A full scan, run only when a re-application is needed.
    /// </summary>
    /// <returns>How many rows were blanked.</returns>
    public static async Task<int> EraseSubjectsAsync(IDocumentSession session, IReadOnlySet<string> subjects, Func<string, string> subjectOf,
        CancellationToken ct)
    {
        if (subjects.Count == 0) return 0;
        var columns = (await session.Query<Import>().Select(i => new { i.Id, i.Columns }).ToListAsync(ct)).ToDictionary(i => i.Id, i => i.Columns);
        var ids = await session.Query<ImportChunk>().OrderBy(c => c.Id).Select(c => c.Id).ToListAsync(ct);
        var erased = 0;
        foreach (var page in ids.Chunk(20))
        foreach (var chunk in await session.LoadManyAsync<ImportChunk>(ct, page))
        {
            if (!columns.TryGetValue(chunk.ImportId, out var header)) continue;
            var blanked = 0;
            chunk.Rows = chunk.Rows.Select(r =>
            {
                if (WorkerList.CellOf(header, r, "nik") is not { } nik || !subjects.Contains(subjectOf(nik))) return r;
                blanked++;
                return Blank(r);
            }).ToList();
            if (blanked == 0) continue;
            erased += blanked;
            session.Store(chunk);
        }

        return erased;
    }
}
