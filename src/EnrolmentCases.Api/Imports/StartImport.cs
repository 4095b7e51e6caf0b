using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Infrastructure.Tables;
using EnrolmentCases.Regencies;
using Wolverine;

namespace EnrolmentCases.Imports;

public sealed record ImportAccepted(Guid Id, int Total);

public static class StartImportEndpoint
{
    /// <summary>20 MB: about 200,000 rows of a typical list.</summary>
    public const long MaxBytes = 20 * 1024 * 1024;
    public const int MaxRows = 200_000;
    public const int MaxFileNameLength = 255;
    public const int MaxListSourceLength = 300;

    /// <summary>
    /// Accepts a worker list (a text/csv or .xlsx body, or a multipart form with one file), checks its header,
    /// and queues it: rows are validated and turned into cases in the background, chunk by chunk.
    /// </summary>
    [WolverinePost("/api/imports", OperationId = "StartImport", Summary = "Import a worker list",
        Description = "Takes a CSV list or an .xlsx workbook (its first sheet), as the body or as a multipart file, with the API's or the Indonesian column names, and opens a case for every valid worker on it in the background, with the same rules as identifying one worker. Answers 202 with the import's id; follow it with GET /api/imports/{id}.")]
    [Tags("Imports"), Authorize(Roles = Roles.Caseworker)]
    [RequestSizeLimit(MaxBytes)]
    [ProducesResponseType<ImportAccepted>(202)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(415, "application/problem+json")]
    public static async Task<(IResult, OutgoingMessages)> Post(HttpRequest request, string? listSource, string? fileName,
        IDocumentSession session, Now now)
    {
        var none = new OutgoingMessages();
        var (file, unsupported) = await TableReader.ReceiveAsync(request, fileName);
        if (unsupported is not null) return (Results.Problem(unsupported), none);
        var errors = new ValidationErrors();
        errors.Text("listSource", listSource, MaxListSourceLength);
        errors.Text("fileName", file!.Name, MaxFileNameLength);
        if (errors.Any) return (Results.Problem(errors.ToProblem()), none);

        ParsedList csv;
        try
        {
            csv = WorkerList.Parse(TableReader.Read(file, new TableLimits(MaxRows)));
        }
        catch (TableFormatException e)
        {
            return (Results.Problem(Problems.ValidationFailed(e.Errors, "The file's header or size is not acceptable; nothing was imported.")), none);
        }

        var caller = Caller.From(request.HttpContext.User);
        var import = new Import
        {
            Id = Guid.CreateVersion7(now.Instant),
            Status = ImportStatus.Queued,
            FileName = file.Name,
            FileSha256 = file.Sha256,
            ListSource = listSource?.Trim(),
            ImportedBy = caller.Id,
            ImportedByName = caller.Name,
            ImporterRegencies = caller.Regencies.Order().ToList(),
            Columns = csv.Columns.ToList(),
            Total = csv.Rows.Count,
            Chunks = (csv.Rows.Count + ImportChunk.Size - 1) / ImportChunk.Size,
            CreatedAt = now.Instant
        };
        session.Store(import);
        foreach (var (rows, i) in csv.Rows.Chunk(ImportChunk.Size).Select((rows, i) => (rows, i)))
            session.Store(new ImportChunk { Id = ImportChunk.IdFor(import.Id, i), ImportId = import.Id, Index = i, Rows = rows.ToList() });

        var next = new OutgoingMessages();
        if (import.Chunks > 0) next.Add(new ProcessImportChunk(import.Id, 0));
        else
        {
            import.Status = ImportStatus.Completed;
            import.CompletedAt = import.CreatedAt;
        }

        return (Results.Accepted($"/api/imports/{import.Id}", new ImportAccepted(import.Id, import.Total)), next);
    }
}
