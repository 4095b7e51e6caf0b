using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Infrastructure.Tables;

namespace EnrolmentCases.Imports;

public sealed record ImportView(
    Guid Id,
    ImportStatus Status,
    int Total,
    int Done,
    ImportCounts Counts,
    string FileName,
    string? ListSource,
    string ImportedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    string? Failure,
    DateTimeOffset? FailedAt,
    IReadOnlyList<RowResult> Rows,
    int RowsPage,
    int RowsPageSize);

public static class GetImportEndpoint
{
    public const int MaxRowsPageSize = 10_000;

    /// <summary>Progress, counts and one outcome per row (paged: rowsPage, rowsPageSize). The importer and auditors may read it.</summary>
    [WolverineGet("/api/imports/{id}", OperationId = "GetImport", Summary = "Follow an import",
        Description = "Progress, counts and one outcome per row (created, duplicate or invalid with its reasons), paged. A failed import says why in `failure`.")]
    [Tags("Imports"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<ImportView>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, int? rowsPage, int? rowsPageSize, IQuerySession session, HttpContext http)
    {
        var page = rowsPage ?? 1;
        var size = rowsPageSize ?? 1_000;
        var errors = new ValidationErrors();
        errors.Page("rowsPage", page);
        if (size is < 1 or > MaxRowsPageSize) errors.Add("rowsPageSize", $"must be between 1 and {MaxRowsPageSize}");
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var import = await VisibleImportAsync(session, id, http);
        if (import is null) return NotFound(id);

        // Past the last row (a page far beyond the import): no rows, without computing offsets that could overflow.
        var first = (long)(page - 1) * size >= import.Total ? import.Total : (page - 1) * size;
        var rows = await PageOfOutcomesAsync(session, import, first, Math.Min((long)first + size, import.Total) - 1, http.RequestAborted);
        return Results.Ok(new ImportView(import.Id, import.Status, import.Total, import.Done, import.Counts, import.FileName,
            import.ListSource, import.ImportedByName, import.CreatedAt, import.CompletedAt, import.Failure, import.FailedAt, rows, page, size));
    }

    /// <summary>
    /// The outcomes of rows first to last (0-based, in file order), read from the chunks that hold them. PostgreSQL cuts the
    /// page out of each chunk's outcomes, so a progress poll asking for one row reads one outcome, not a chunk's 1,000 rows
    /// and outcomes (ADR 0050). A chunk not processed yet has none: its `results` is JSON null, which a lax JSON path would
    /// wrap as a one-element array and answer as a null row, so only an array is sliced.
    /// </summary>
    internal static async Task<List<RowResult>> PageOfOutcomesAsync(IQuerySession session, Import import, int first, long last, CancellationToken ct)
    {
        if (last < first) return [];
        var chunks = Enumerable.Range(first / ImportChunk.Size, (int)(last / ImportChunk.Size) - first / ImportChunk.Size + 1)
            .Where(i => i < import.Chunks).ToArray();
        if (chunks.Length == 0) return [];
        var ids = chunks.Select(i => ImportChunk.IdFor(import.Id, i)).ToArray();
        var from = chunks.Select(i => Math.Max(first - i * ImportChunk.Size, 0)).ToArray();
        var to = chunks.Select(i => (int)Math.Min(last - i * ImportChunk.Size, ImportChunk.Size - 1)).ToArray();
        var slices = await session.QueryAsync<string>(
            "select case when jsonb_typeof(d.data -> 'results') = 'array' " +
            "then jsonb_path_query_array(d.data -> 'results', ('$[' || c.f || ' to ' || c.t || ']')::jsonpath) else '[]' end::text " +
            $"from unnest(?::varchar[], ?::int[], ?::int[]) with ordinality as c(id, f, t, n) join {session.DocumentStore.Options.DatabaseSchemaName}.mt_doc_importchunk d on d.id = c.id " +
            "order by c.n", ct, ids, from, to);
        var serializer = session.DocumentStore.Options.Serializer();
        return slices.SelectMany(s => serializer.FromJson<List<RowResult>>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(s)))).ToList();
    }

    /// <summary>Every row's outcome as CSV (row,outcome,caseId,reasons), for the office's own records.</summary>
    [WolverineGet("/api/imports/{id}/outcomes.csv", OperationId = "DownloadImportOutcomes", Summary = "Download the outcomes",
        Description = "Every row's outcome as CSV, for the office's own records.")]
    [Tags("Imports"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType(typeof(string), 200, "text/csv")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Download(Guid id, IQuerySession session, HttpContext http)
    {
        var outcomes = await OutcomesAsync(session, id, http);
        return outcomes is null
            ? NotFound(id)
            : Results.File(TableWriter.Csv(outcomes.Columns, outcomes.Rows), TableWriter.CsvContentType, $"import-{id:N}-outcomes.csv");
    }

    /// <summary>The same outcomes as an .xlsx workbook (one sheet, the same columns).</summary>
    [WolverineGet("/api/imports/{id}/outcomes.xlsx", OperationId = "DownloadImportOutcomesXlsx", Summary = "Download the outcomes as .xlsx",
        Description = "Every row's outcome as an Excel workbook, with the same columns as outcomes.csv.")]
    [Tags("Imports"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType(typeof(byte[]), 200, TableWriter.XlsxContentType)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> DownloadXlsx(Guid id, IQuerySession session, HttpContext http)
    {
        var outcomes = await OutcomesAsync(session, id, http);
        return outcomes is null
            ? NotFound(id)
            : Results.File(TableWriter.Xlsx(outcomes), TableWriter.XlsxContentType, $"import-{id:N}-outcomes.xlsx");
    }

    /// <summary>One row per file row, in file order; null when the import is not visible to the caller.</summary>
    private static async Task<TableSheet?> OutcomesAsync(IQuerySession session, Guid id, HttpContext http)
    {
        var import = await VisibleImportAsync(session, id, http);
        if (import is null) return null;
        var rows = new List<IReadOnlyList<object?>>();
        for (var i = 0; i < import.Chunks; i++)
        {
            var chunk = await session.LoadAsync<ImportChunk>(ImportChunk.IdFor(id, i), http.RequestAborted);
            foreach (var r in chunk?.Results ?? [])
                rows.Add([r.Row, r.Outcome, r.CaseId, string.Join("; ", r.Reasons ?? [])]);
        }

        return new TableSheet("outcomes", ["row", "outcome", "caseId", "reasons"], rows);
    }

    private static IResult NotFound(Guid id) =>
        Results.Problem(Problems.Create(Problems.NotFound, 404, "Import not found", $"No import {id} is visible to you."));

    private static async Task<Import?> VisibleImportAsync(IQuerySession session, Guid id, HttpContext http)
    {
        var import = await session.LoadAsync<Import>(id, http.RequestAborted);
        var caller = Caller.From(http.User);
        return import is not null && (caller.Has(Roles.Auditor) || import.ImportedBy == caller.Id) ? import : null;
    }
}
