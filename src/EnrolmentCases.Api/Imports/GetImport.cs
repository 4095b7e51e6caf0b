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
        // Only the chunks that hold the page's rows (a progress poll asking for one row loads one chunk, not two).
        var last = Math.Min((long)first + size, import.Total) - 1;
        var chunkIds = last < first ? []
            : Enumerable.Range(first / ImportChunk.Size, (int)(last / ImportChunk.Size) - first / ImportChunk.Size + 1)
                .Where(i => i < import.Chunks).Select(i => ImportChunk.IdFor(id, i)).ToArray();
        var chunks = chunkIds.Length == 0 ? [] : await session.LoadManyAsync<ImportChunk>(http.RequestAborted, chunkIds);
        var rows = chunks.OrderBy(c => c.Index)
            .SelectMany(c => c.Results ?? [])
            .Skip(first - (chunkIds.Length == 0 ? 0 : chunks.Min(c => c.Index) * ImportChunk.Size)).Take(size).ToList();
        return Results.Ok(new ImportView(import.Id, import.Status, import.Total, import.Done, import.Counts, import.FileName,
            import.ListSource, import.ImportedByName, import.CreatedAt, import.CompletedAt, import.Failure, import.FailedAt, rows, page, size));
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
