using EnrolmentCases.Infrastructure;
using EnrolmentCases.Infrastructure.Tables;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Budgets;

public static class DownloadBudgetsEndpoint
{
    /// <summary>GET /api/budgets as a workbook: one row per payer and regency.</summary>
    [WolverineGet("/api/budgets.xlsx", OperationId = "DownloadBudgets", Summary = "Download a year's budgets as .xlsx",
        Description = "The budgets of GET /api/budgets (same query, same roles) as an Excel workbook: allocated, committed, paid and remaining per payer and regency, in rupiah.")]
    [Tags("Budgets and forecast"), Authorize]
    [ProducesResponseType(typeof(byte[]), 200, TableWriter.XlsxContentType)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(int? year, IQuerySession session, Now now, HttpContext http)
    {
        var (budgets, problem) = await GetBudgetsEndpoint.YearAsync(year, session, now, http.RequestAborted);
        if (problem is not null) return Results.Problem(problem);

        var sheet = new TableSheet($"budgets {budgets!.Year}", ["year", "payer", "regencyCode", "allocated", "committed", "paid", "remaining"],
            budgets.Items.Select(b => (IReadOnlyList<object?>)[budgets.Year, b.Payer, b.RegencyCode, b.Allocated, b.Committed, b.Paid, b.Remaining]).ToList());
        return Results.File(TableWriter.Xlsx(sheet), TableWriter.XlsxContentType, $"budgets-{budgets.Year}.xlsx");
    }
}
