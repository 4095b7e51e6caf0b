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
}
