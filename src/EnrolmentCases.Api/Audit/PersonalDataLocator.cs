using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Imports;
using EnrolmentCases.Privacy;

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

public sealed record PersonalDataHeld(IReadOnlyList<CaseDetails> Cases, Guid? OpenCaseId, IReadOnlyList<ImportRowHeld> ImportRows);

/// <summary>
/// The one place that knows where a person's data is held, found by their NIK: the cases opened for
/// it (each one event stream), the claim on the NIK of the open one, and the rows of uploaded lists
/// that carry it, including the invalid and duplicate rows that opened no case. Subject access (and
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
        return new PersonalDataHeld(cases, claim?.CaseId, await ImportRowsAsync(nik, ct));
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
}
