using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using EnrolmentCases.Targets;

namespace EnrolmentCases.Coverage;

public sealed record CoverageTimeline(string Code, Basis Basis, IReadOnlyList<CoverageRow> Months);

public static class GetCoverageEndpoint
{
    public const int MaxTimelineMonths = 120;

    /// <summary>
    /// Coverage per regency and for the province, now or as of an instant, on the recorded basis
    /// (what the system knew then) or the effective basis (effective dates as known now).
    /// Aggregates only: readable by every role.
    /// </summary>
    [WolverineGet("/api/coverage", OperationId = "GetCoverage", Summary = "Coverage against targets",
        Description = "Stage counts and coverage (covered workers over the eligible workers of the target) per regency and for the province, now or as of a date, on the recorded basis (what was known then) or the effective basis (effective dates as known now). Aggregates only.")]
    [Tags("Coverage and targets"), Authorize]
    [ProducesResponseType<CoverageReport>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(string? asOf, string? basis, IQuerySession session, ProvinceCalendar calendar,
        ReferenceData reference, Now now, HttpContext http)
    {
        var (report, problem) = await ReportAsync(asOf, basis, session, calendar, reference, now, http.RequestAborted);
        return problem is null ? Results.Ok(report) : Results.Problem(problem);
    }

    /// <summary>The report GET /api/coverage answers (its download too), or the problem with the query.</summary>
    public static async Task<(CoverageReport? Report, ProblemDetails? Problem)> ReportAsync(string? asOf, string? basis, IQuerySession session,
        ProvinceCalendar calendar, ReferenceData reference, Now now, CancellationToken ct)
    {
        var errors = new ValidationErrors();
        var at = now.Instant;
        if (asOf is not null && !CoverageReader.TryParseInstant(asOf, calendar, now.Bounds, out at))
            errors.Add("asOf", "must be a date (YYYY-MM-DD, meaning the end of that day) or an ISO-8601 instant");
        else if (asOf is not null) errors.Instant("asOf", at, now.Bounds);
        if (!TryBasis(basis, out var chosen)) errors.Add("basis", "must be recorded or effective");
        if (errors.Any) return (null, errors.ToProblem());

        at = at.ToUniversalTime();
        var counts = await CoverageReader.CountsAtAsync(session, calendar, chosen, at, ct);
        var year = calendar.DateOn(at).Year;
        var targets = await RegencyTarget.ForYearAsync(session, year, ct);
        var (province, regencies) = CoverageReader.Rows(reference, counts, targets, year,
            chosen == Basis.Recorded ? at : null);
        return (new CoverageReport(at, chosen, province, regencies), null);
    }

    /// <summary>Month-end coverage of one regency (or the province) for each month in [from, to].</summary>
    [WolverineGet("/api/coverage/{code}/timeline", OperationId = "GetCoverageTimeline", Summary = "A regency's coverage over time",
        Description = "Month-end coverage of one regency, or of the province, for each month of a range.")]
    [Tags("Coverage and targets"), Authorize]
    [ProducesResponseType<CoverageTimeline>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Timeline(string code, string? from, string? to, string? basis, IQuerySession session,
        ProvinceCalendar calendar, ReferenceData reference, Now now, HttpContext http)
    {
        var isProvince = code == reference.ProvinceCode;
        if (!isProvince && reference.FindRegency(code) is null)
            return Results.Problem(Problems.Create(Problems.NotFound, 404, "Unknown regency", $"{code} is not a regency of {reference.ProvinceName}."));

        var errors = new ValidationErrors();
        var last = YearMonth.Of(now.Today).Index;
        var first = last - 11;
        if (to is not null)
        {
            if (YearMonth.TryParse(to, out var t)) errors.Date("to", t.FirstDay, now.Bounds);
            else errors.Add("to", "must be a month written YYYY-MM");
            last = t.Index;
        }

        if (from is not null)
        {
            if (YearMonth.TryParse(from, out var f)) errors.Date("from", f.FirstDay, now.Bounds);
            else errors.Add("from", "must be a month written YYYY-MM");
            first = f.Index;
        }
        else if (to is not null) first = last - 11;

        if (errors.Any) return Results.Problem(errors.ToProblem());
        if (first > last) errors.Add("from", "must not be after to");
        else if (last - first + 1 > MaxTimelineMonths) errors.Add("to", $"at most {MaxTimelineMonths} months at a time");
        if (!TryBasis(basis, out var chosen)) errors.Add("basis", "must be recorded or effective");
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var ct = http.RequestAborted;
        var monthEnds = await CoverageReader.MonthEndsAsync(session, chosen, first, last, ct);
        var targetsByYear = new Dictionary<int, Dictionary<string, Targets.RegencyTarget>>();
        var months = new List<CoverageRow>();
        foreach (var (month, counts) in monthEnds)
        {
            var ym = YearMonth.FromIndex(month);
            if (!targetsByYear.TryGetValue(ym.Year, out var targets))
                targetsByYear[ym.Year] = targets = await RegencyTarget.ForYearAsync(session, ym.Year, ct);
            var (province, regencies) = CoverageReader.Rows(reference, counts, targets, ym.Year,
                chosen == Basis.Recorded ? calendar.EndOfMonth(month) : null);
            months.Add((isProvince ? province : regencies.Single(r => r.Code == code)) with { Month = ym.ToString() });
        }

        return Results.Ok(new CoverageTimeline(code, chosen, months));
    }

    private static bool TryBasis(string? text, out Basis basis)
    {
        basis = Basis.Recorded;
        if (string.IsNullOrEmpty(text) || text == "recorded") return true;
        if (text != "effective") return false;
        basis = Basis.Effective;
        return true;
    }
}
