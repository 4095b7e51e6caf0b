using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Imports;
using EnrolmentCases.Privacy;
using EnrolmentCases.Reconciliations;

namespace EnrolmentCases.Audit;

/// <summary>A row of an uploaded list that names the person, with what the import made of it (null while not yet processed).</summary>
public sealed record ImportRowHeld(
    Guid ImportId,
    string FileName,
    string? ListSource,
    DateTimeOffset ImportedAt,
    string ImportedBy,
    int Row,
    RowOutcome? Outcome,
    Guid? CaseId,
    IReadOnlyList<string>? Reasons,
    IReadOnlyDictionary<string, string> Cells);

/// <summary>A row of an insurer status file that names the person, with its finding (null while not yet reconciled).</summary>
public sealed record ReconciliationRowHeld(
    Guid ReconciliationId,
    string FileName,
    DateTimeOffset SentAt,
    string SentBy,
    int Row,
    Finding? Finding,
    Guid? CaseId,
    StatusLine Cells);

public sealed record PersonalDataHeld(IReadOnlyList<CaseDetails> Cases, Guid? OpenCaseId, IReadOnlyList<ImportRowHeld> ImportRows,
    IReadOnlyList<ReconciliationRowHeld> ReconciliationRows);

/// <summary>
/// The one place that knows where a person's data is held, found by their NIK: the cases opened for
/// it (each one event stream), the claim on the NIK of the open one, and the rows of uploaded lists
/// that carry it, including the invalid and duplicate rows that opened no case, and the rows of insurer
/// status files that carry it, matched or not. Subject access (and
/// erasure) ask here, so a change to how NIKs are stored or keyed is made here once.
/// </summary>
public sealed class PersonalDataLocator(IQuerySession session, PersonalData privacy)
{
    public async Task<PersonalDataHeld> FindAsync(string nik, CancellationToken ct)
    {
        // Cases and the claim are found by the NIK's subject id: the NIK itself is stored nowhere in clear.
        // Erased cases no longer carry it. Uploaded rows keep the NIK as uploaded until an erasure blanks them.
        var subject = privacy.SubjectOf(nik);
        var cases = await session.Query<CaseDetails>().Where(c => c.Subject == subject).OrderBy(c => c.OpenedAt).ToListAsync(ct);
        var claim = await session.LoadAsync<OpenCaseClaim>(subject, ct);
        return new PersonalDataHeld(cases, claim?.CaseId, await ImportRowsAsync(nik, ct), await ReconciliationRowsAsync(nik, ct));
    }

    private async Task<List<ImportRowHeld>> ImportRowsAsync(string nik, CancellationToken ct)
    {
        var held = new List<ImportRowHeld>();
        foreach (var (import, chunk) in await ImportRowErasure.ChunksNamingAsync(session, nik, ct))
        {
            var outcomes = (chunk.Results ?? []).ToDictionary(r => r.Row);
            foreach (var row in chunk.Rows.Where(r => ImportRowErasure.Names(import, r, nik)))
            {
                var outcome = outcomes.GetValueOrDefault(row.Row);
                held.Add(new ImportRowHeld(import.Id, import.FileName, import.ListSource, import.CreatedAt, import.ImportedBy, row.Row,
                    outcome?.Outcome, outcome?.CaseId, outcome?.Reasons,
                    import.Columns.Select((column, i) => (column, value: i < row.Fields.Length ? row.Fields[i] : ""))
                        .ToDictionary(c => c.column, c => c.value)));
            }
        }

        return held.OrderBy(r => r.ImportedAt).ThenBy(r => r.Row).ToList();
    }

    private async Task<List<ReconciliationRowHeld>> ReconciliationRowsAsync(string nik, CancellationToken ct)
    {
        var held = new List<ReconciliationRowHeld>();
        foreach (var (reconciliation, chunk) in await ReconciliationRowErasure.ChunksNamingAsync(session, nik, ct))
        {
            var findings = (await session.LoadAsync<ReconciliationChunkFindings>(chunk.Id, ct))?.Rows.ToDictionary(r => r.Row);
            foreach (var line in chunk.Lines.Where(l => l.Nik == nik))
            {
                var finding = findings?.GetValueOrDefault(line.Row);
                held.Add(new ReconciliationRowHeld(reconciliation.Id, reconciliation.FileName, reconciliation.CreatedAt, reconciliation.SentBy,
                    line.Row, finding?.Finding, finding?.CaseId, line));
            }
        }

        return held.OrderBy(r => r.SentAt).ThenBy(r => r.Row).ToList();
    }
}
