using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Infrastructure.Tables;
using EnrolmentCases.Regencies;
using JasperFx;
using Wolverine;
using Wolverine.Marten;

namespace EnrolmentCases.Reconciliations;

public sealed record ReconciliationAccepted(Guid Id, int Total);

public static class StartReconciliationEndpoint
{
    public const long MaxBytes = StartImportEndpoint.MaxBytes;
    public const int MaxRows = StartImportEndpoint.MaxRows;
    private const string KeyItem = "reconciliation-key";

    /// <summary>
    /// The regencies a caller may reconcile: a caseworker's own, a regency planner's own, all of them for the
    /// province's planner ("province"). Empty when the caller may reconcile none.
    /// </summary>
    public static (string Scope, List<string> Regencies) ScopeOf(Caller caller, ReferenceData reference)
    {
        var all = reference.Regencies.Select(r => r.Code).ToList();
        if (caller.Has(Roles.Planner) && caller.Regencies.Count == 0) return ("province", all);
        var held = all.Where(code => caller.CanChangeCasesOf(code) || caller.CanPlanFor(code)).ToList();
        return (string.Join(",", held), held);
    }

    /// <summary>
    /// Accepts BPJS Ketenagakerjaan's status file and queues it: rows are matched to cases and their findings
    /// recorded in the background, chunk by chunk. The same file sent again for the same regencies answers
    /// 200 with the reconciliation it already is, and writes nothing.
    /// </summary>
    [WolverinePost("/api/reconciliations", OperationId = "StartReconciliation", Summary = "Reconcile with the insurer's status file",
        Description = "Takes BPJS Ketenagakerjaan's status file (CSV or .xlsx, as the body or as a multipart file; columns kpj, nik, status active|inactive, paidThrough YYYY-MM, reportedOn YYYY-MM-DD) and, in the background, matches each row to a case of your regencies by KPJ and NIK together and records what the insurer said on the case. Answers 202 with the reconciliation's id; the same file sent again for the same regencies answers 200 with the existing one and changes nothing. Follow it with GET /api/reconciliations/{id}.")]
    [Tags("Reconciliations"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Planner}")]
    [RequestSizeLimit(MaxBytes)]
    [ProducesResponseType<ReconciliationAccepted>(202)]
    [ProducesResponseType<ReconciliationAccepted>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(403, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(409, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(415, "application/problem+json")]
    public static async Task<(IResult, OutgoingMessages, IMartenOp)> Post(HttpRequest request, string? fileName, IDocumentSession session,
        ReferenceData reference, Now now)
    {
        var none = new OutgoingMessages();
        var caller = Caller.From(request.HttpContext.User);
        var (scope, regencies) = ScopeOf(caller, reference);
        if (regencies.Count == 0)
            return (Results.Problem(Problems.Create(Problems.Forbidden, 403, "No regency to reconcile",
                "Your token names no regency whose cases you may reconcile.")), none, MartenOps.Nothing());

        var (upload, unsupported) = await TableReader.ReceiveAsync(request, fileName);
        if (unsupported is not null) return (Results.Problem(unsupported), none, MartenOps.Nothing());
        var errors = new ValidationErrors();
        errors.Text("fileName", upload!.Name, StartImportEndpoint.MaxFileNameLength);
        if (errors.Any) return (Results.Problem(errors.ToProblem()), none, MartenOps.Nothing());

        StatusFile file;
        try
        {
            file = StatusFiles.Read(upload, MaxRows);
        }
        catch (TableFormatException e)
        {
            return (Results.Problem(Problems.ValidationFailed(e.Errors, "The file cannot be read, or its header or size is not acceptable; nothing was reconciled.")),
                none, MartenOps.Nothing());
        }

        var key = Reconciliation.KeyFor(file.Sha256, scope);
        if (await session.LoadAsync<ReconciliationKey>(key, request.HttpContext.RequestAborted) is { } sent)
        {
            var existing = await session.LoadAsync<Reconciliation>(sent.ReconciliationId, request.HttpContext.RequestAborted);
            request.HttpContext.Response.Headers.Location = $"/api/reconciliations/{sent.ReconciliationId}";
            return (Results.Ok(new ReconciliationAccepted(sent.ReconciliationId, existing?.Total ?? 0)), none, MartenOps.Nothing());
        }

        var reconciliation = new Reconciliation
        {
            Id = Guid.CreateVersion7(now.Instant),
            Status = ImportStatus.Queued,
            FileName = file.Name,
            FileSha256 = file.Sha256,
            Scope = scope,
            Regencies = regencies,
            SentBy = caller.Id,
            SentByName = caller.Name,
            SenderRoles = caller.Roles.Order(StringComparer.Ordinal).ToList(),
            Total = file.Lines.Count,
            Chunks = (file.Lines.Count + ReconciliationChunk.Size - 1) / ReconciliationChunk.Size,
            RegencyDrift = regencies.Select(code => new RegencyDrift { Code = code }).ToList(),
            CreatedAt = now.Instant
        };
        foreach (var (lines, i) in file.Lines.Chunk(ReconciliationChunk.Size).Select((lines, i) => (lines, i)))
            session.Store(new ReconciliationChunk
            {
                Id = ReconciliationChunk.IdFor(reconciliation.Id, i), ReconciliationId = reconciliation.Id, Index = i, Lines = lines.ToList()
            });

        var next = new OutgoingMessages();
        if (reconciliation.Chunks > 0) next.Add(new ReconcileChunk(reconciliation.Id, 0));
        else
        {
            reconciliation.Status = ImportStatus.Completed;
            reconciliation.CompletedAt = reconciliation.CreatedAt;
        }

        session.Store(reconciliation);
        request.HttpContext.Items[KeyItem] = key;
        // The key is inserted, never overwritten: of two identical files sent at the same moment, one is refused (OnException).
        return (Results.Accepted($"/api/reconciliations/{reconciliation.Id}", new ReconciliationAccepted(reconciliation.Id, reconciliation.Total)),
            next, MartenOps.Insert(new ReconciliationKey(key, reconciliation.Id)));
    }

    /// <summary>The same file, sent for the same regencies at the same moment, was accepted by the other request.</summary>
    public static async Task<ProblemDetails> OnExceptionAsync(DocumentAlreadyExistsException e, HttpResponse response, IDocumentStore store)
    {
        response.Headers.Remove("Location");
        Guid? id = null;
        if (response.HttpContext.Items[KeyItem] is string key)
        {
            await using var session = store.QuerySession();
            id = (await session.LoadAsync<ReconciliationKey>(key))?.ReconciliationId;
        }

        return Problems.Create(Problems.ConcurrencyConflict, 409, "The same file was sent at the same moment",
            "Another request sent this file for the same regencies a moment ago; follow its reconciliation.",
            new Dictionary<string, object?> { ["reconciliationId"] = id });
    }
}
