using EnrolmentCases.Cases;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure.Tables;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Imports;

public static class ImportTemplateEndpoint
{
    /// <summary>Rows of the template already formatted as Text, beyond which Excel applies the columns' own Text style.</summary>
    public const int PreparedRows = 1_000;

    /// <summary>
    /// A workbook to fill in and import: the first sheet has product.md's columns, with the NIK, regency code and phone
    /// columns formatted as Text (so Excel keeps all 16 digits of a NIK and the leading 0 of a phone); the second says
    /// what each column takes, the headers also accepted, and the allowed sources and regency codes.
    /// </summary>
    [WolverineGet("/api/imports/template.xlsx", OperationId = "DownloadImportTemplate", Summary = "Download the import template",
        Description = "An .xlsx worker list to fill in: NIK, regency code and phone columns formatted as Text, and a sheet of instructions with the allowed values.")]
    [Tags("Imports"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType(typeof(byte[]), 200, TableWriter.XlsxContentType)]
    public static IResult Get(ReferenceData reference)
    {
        var columns = WorkerColumns.All.Select(c => c.Name).ToList();
        var list = new TableSheet("workers", columns, [])
        {
            TextColumns = new HashSet<string> { "nik", "regencyCode", "phone" },
            BlankRows = PreparedRows
        };
        var instructions = new TableSheet("instructions", ["column", "alsoAccepted", "required", "allowedValues", "notes"],
            WorkerColumns.All.Select(c => (IReadOnlyList<object?>)
            [
                c.Name,
                string.Join(", ", c.Aliases.Where(a => !a.Equals(c.Name, StringComparison.OrdinalIgnoreCase))),
                c.Required ? "yes / wajib" : "no / tidak wajib",
                AllowedValues(c, reference),
                c.Guidance
            ]).ToList());
        return Results.File(TableWriter.Xlsx(list, instructions), TableWriter.XlsxContentType, "worker-list-template.xlsx");
    }

    private static string AllowedValues(WorkerColumn column, ReferenceData reference) => column.Name switch
    {
        "source" => string.Join(", ", Enum.GetValues<WorkerSource>().Select(WorkerList.Wire)),
        "regencyCode" => string.Join("; ", reference.Regencies.Select(r => $"{r.Code} {r.Name}")),
        _ => ""
    };
}
