using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Reconciliations;

/// <summary>What the insurer's row said, as written (invalid rows too).</summary>
public sealed record InsurerSaid(string? Status, string? PaidThrough, string? ReportedOn);

/// <summary>Our case when the row was matched: its stage (the lapse rule applied) and paid-through month.</summary>
public sealed record OursWas(CaseStage Stage, YearMonth? PaidThrough);

/// <summary>One row of the report: the NIK masked (its first six digits), never in full.</summary>
public sealed record ReconciliationRow(
    int Row,
    Finding Finding,
    Guid? CaseId,
    string? RegencyCode,
    string? Kpj,
    string? MaskedNik,
    InsurerSaid Insurer,
    OursWas? Ours,
    Drift[]? Drift,
    IReadOnlyList<string>? Reasons);

public sealed record ReconciliationView(
    Guid Id,
    ImportStatus Status,
    DateOnly? ReportedOn,
    string FileName,
    string FileSha256,
    string SentBy,
    IReadOnlyList<string> Scope,
    int Total,
    int Done,
    ReconciliationCounts Counts,
    IReadOnlyList<RegencyDrift> Regencies,
    Paged<ReconciliationRow> Rows,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    string? Failure);

public static class GetReconciliationEndpoint
{
    public const int MaxPageSize = 1_000;

    /// <summary>Progress, counts, drift per regency and the rows' findings (paged, optionally only one finding).</summary>
    [WolverineGet("/api/reconciliations/{id}", OperationId = "GetReconciliation", Summary = "Read a reconciliation's report",
        Description = "Progress (total, done; status queued|running|completed|failed), counts of matched, drifting and unknown rows, drift per regency, and the rows (paged with page and pageSize, optionally only those with one `finding`), each with its case, what the insurer said and what our case said. The sender, callers who may reconcile the same regencies, and auditors may read it.")]
    [Tags("Reconciliations"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Planner},{Roles.Auditor}")]
    [ProducesResponseType<ReconciliationView>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, int? page, int? pageSize, string? finding, IQuerySession session, HttpContext http,
        ReferenceData reference, PersonalDataReads reads)
    {
        var (pageNumber, size) = (page ?? 1, pageSize ?? 100);
        var errors = new ValidationErrors();
        errors.Page("page", pageNumber);
        if (size is < 1 or > MaxPageSize) errors.Add("pageSize", $"must be between 1 and {MaxPageSize}");
        Finding? wanted = null;
        if (!string.IsNullOrEmpty(finding))
        {
            wanted = Enum.GetValues<Finding>().Cast<Finding?>().FirstOrDefault(f => Wire(f!.Value).Equals(finding, StringComparison.OrdinalIgnoreCase));
            if (wanted is null) errors.Add("finding", $"must be one of {string.Join(", ", Enum.GetValues<Finding>().Select(Wire))}");
        }

        if (errors.Any) return Results.Problem(errors.ToProblem());

        var ct = http.RequestAborted;
        var reconciliation = await session.LoadAsync<Reconciliation>(id, ct);
        var caller = Caller.From(http.User);
        if (reconciliation is null || !(caller.Has(Roles.Auditor) || reconciliation.SentBy == caller.Id ||
                                        StartReconciliationEndpoint.ScopeOf(caller, reference).Scope == reconciliation.Scope))
            return Results.Problem(Problems.Create(Problems.NotFound, 404, "Reconciliation not found", $"No reconciliation {id} is visible to you."));

        var rows = new List<ReconciliationRow>();
        var total = 0L;
        var skip = (long)(pageNumber - 1) * size;
        // Chunk by chunk, in row order: the findings and, beside them, the rows as uploaded (for KPJ, masked NIK, the insurer's values).
        // Without a filter every chunk holds Size rows: the chunks before the page are not read.
        var firstChunk = wanted is null ? (int)Math.Min(reconciliation.ChunksDone, skip / ReconciliationChunk.Size) : 0;
        total = (long)firstChunk * ReconciliationChunk.Size;
        for (var i = firstChunk; i < reconciliation.ChunksDone; i++)
        {
            if (wanted is null && rows.Count == size)
            {
                total = reconciliation.Done;
                break;
            }

            var chunkId = ReconciliationChunk.IdFor(id, i);
            var findings = await session.LoadAsync<ReconciliationChunkFindings>(chunkId, ct);
            var selected = (findings?.Rows ?? []).Where(r => wanted is null || r.Finding == wanted).ToList();
            var from = (int)Math.Max(0, Math.Min(selected.Count, skip - total));
            var take = Math.Min(selected.Count - from, size - rows.Count);
            total += selected.Count;
            if (take <= 0) continue;
            var lines = ((await session.LoadAsync<ReconciliationChunk>(chunkId, ct))?.Lines ?? []).ToDictionary(l => l.Row);
            rows.AddRange(selected.Skip(from).Take(take).Select(f => View(f, lines.GetValueOrDefault(f.Row))));
        }

        if (wanted is null) total = reconciliation.Done;
        var view = new ReconciliationView(reconciliation.Id, reconciliation.Status, reconciliation.ReportedOn, reconciliation.FileName,
            reconciliation.FileSha256, reconciliation.SentByName, reconciliation.Regencies, reconciliation.Total, reconciliation.Done,
            reconciliation.Counts, reconciliation.RegencyDrift, new Paged<ReconciliationRow>(rows, total, pageNumber, size), reconciliation.CreatedAt,
            reconciliation.CompletedAt, reconciliation.Failure);
        // Rows name cases and carry KPJs and masked NIKs: the read is logged, and no cache or idempotency record keeps it.
        http.Response.Headers.CacheControl = "no-store";
        return await reads.Answer(http, rows.Where(r => r.CaseId is not null).Select(r => r.CaseId!.Value), Results.Ok(view),
            $"reconciliation={id} page={pageNumber} pageSize={size} finding={finding}");
    }

    private static ReconciliationRow View(RowFinding f, StatusLine? line) => new(f.Row, f.Finding, f.CaseId, f.RegencyCode, line?.Kpj,
        line?.Nik is { } nik ? Masked(nik) : null, new InsurerSaid(line?.Status, line?.PaidThrough, line?.ReportedOn),
        f.OurStage is { } stage ? new OursWas(stage, f.OurPaidThrough) : null, f.Drift, f.Reasons);

    /// <summary>The first six digits (the region of registration), as logs show a NIK; whatever the cell held, no more.</summary>
    private static string Masked(string nik) => nik.Length > 6 ? nik[..6] + new string('*', nik.Length - 6) : new string('*', nik.Length);

    private static string Wire(Finding finding) => typeof(Finding).GetField(finding.ToString())!
        .GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute), false)
        .Cast<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>().Single().Name;
}
