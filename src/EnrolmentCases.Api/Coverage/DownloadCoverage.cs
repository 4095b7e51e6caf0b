using EnrolmentCases.Infrastructure;
using EnrolmentCases.Infrastructure.Tables;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Coverage;

public static class DownloadCoverageEndpoint
{
    /// <summary>GET /api/coverage as a workbook: the province's row, then one row per regency, the target and ratio flattened into columns.</summary>
    [WolverineGet("/api/coverage.xlsx", OperationId = "DownloadCoverage", Summary = "Download coverage as .xlsx",
        Description = "The coverage report of GET /api/coverage (same query, same roles) as an Excel workbook: one row for the province, then one per regency; a second sheet says as of when, on which basis, and how coverage is defined.")]
    [Tags("Coverage and targets"), Authorize]
    [ProducesResponseType(typeof(byte[]), 200, TableWriter.XlsxContentType)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(string? asOf, string? basis, IQuerySession session, ProvinceCalendar calendar,
        ReferenceData reference, Now now, HttpContext http)
    {
        var (report, problem) = await GetCoverageEndpoint.ReportAsync(asOf, basis, session, calendar, reference, now, http.RequestAborted);
        if (problem is not null) return Results.Problem(problem);

        var rows = new TableSheet("coverage",
            ["code", "name", "identified", "contacted", "enrolled", "subsidized", "lapsed", "closed", "covered",
             "targetEligibleWorkers", "targetSource", "targetYear", "coverageNumerator", "coverageDenominator", "coverageRatio"],
            report!.Regencies.Prepend(report.Province).Select(r => (IReadOnlyList<object?>)
            [
                r.Code, r.Name, r.Identified, r.Contacted, r.Enrolled, r.Subsidized, r.Lapsed, r.Closed, r.Covered,
                r.Target?.EligibleWorkers, r.Target?.Source, r.Target?.Year,
                r.Coverage.Numerator, r.Coverage.Denominator, r.Coverage.Ratio
            ]).ToList());
        var about = new TableSheet("report", ["asOf", "basis", "definition"], [[report.AsOf, report.Basis, report.Province.Coverage.Definition]]);
        var day = calendar.DateOn(report.AsOf).ToString("yyyy-MM-dd");
        return Results.File(TableWriter.Xlsx(rows, about), TableWriter.XlsxContentType, $"coverage-{day}.xlsx");
    }
}
