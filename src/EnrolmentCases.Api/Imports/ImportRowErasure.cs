namespace EnrolmentCases.Imports;

/// <summary>
/// The uploaded rows an import keeps hold personal data in clear: a lawful erasure blanks every row
/// that names the NIK (all its cells), in the erasure's own transaction. The row's number and
/// outcome stay, so the import's counts and outcomes do not change.
/// </summary>
public static class ImportRowErasure
{
    /// <returns>How many rows were blanked.</returns>
    public static async Task<int> EraseAsync(IDocumentSession session, string nik, CancellationToken ct)
    {
        // Erasure is rare: a scan of the chunks' text finds the row wherever the NIK sits and however it was spaced.
        var chunks = await session.QueryAsync<ImportChunk>("where data::text like ?", ct, $"%{nik}%");
        var erased = 0;
        foreach (var chunk in chunks)
        {
            var rows = chunk.Rows.Select(r => r.Fields.Any(f => f.Contains(nik, StringComparison.Ordinal))
                ? r with { Fields = new string[r.Fields.Length].Select(_ => "").ToArray() }
                : r).ToList();
            erased += rows.Where((r, i) => !ReferenceEquals(r, chunk.Rows[i])).Count();
            chunk.Rows = rows;
            session.Store(chunk);
        }

        return erased;
    }

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
                if (WorkerCsv.CellOf(header, r, "nik") is not { } nik || !subjects.Contains(subjectOf(nik))) return r;
                blanked++;
                return r with { Fields = r.Fields.Select(_ => "").ToArray() };
            }).ToList();
            if (blanked == 0) continue;
            erased += blanked;
            session.Store(chunk);
        }

        return erased;
    }
}
