using EnrolmentCases.Budgets;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Coverage;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using EnrolmentCases.Targets;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Forecast;

public sealed class ForecastOptions
{
    public const string Section = "Forecast";

    /// <summary>Coverage to cost out when the planner names none (the national figure of 39 %).</summary>
    public double DefaultTargetCoverage { get; set; } = 0.39;

    /// <summary>The province's share of new subsidised workers (Bengkulu's governor's circular: 30 %, regencies 70 %).</summary>
    public double ProvinceShare { get; set; } = 0.3;

    /// <summary>Fractions, as the API's query parameters take them; the regencies' share is what the province leaves.</summary>
    public static IEnumerable<string> Rules(ForecastOptions o)
    {
        if (o.DefaultTargetCoverage is <= 0 or > 1 || double.IsNaN(o.DefaultTargetCoverage))
            yield return $"DefaultTargetCoverage must be a fraction above 0 and at most 1, e.g. 0.39 (is {o.DefaultTargetCoverage})";
        if (o.ProvinceShare is < 0 or > 1 || double.IsNaN(o.ProvinceShare))
            yield return $"ProvinceShare must be a fraction from 0 to 1, e.g. 0.3 for the province's 30 % and the regencies' 70 % (is {o.ProvinceShare})";
    }
}

public static class GetSubsidyForecastEndpoint
{
    /// <summary>Aggregates only: readable by every role.</summary>
    [WolverineGet("/api/subsidy-forecast", OperationId = "GetSubsidyForecast", Summary = "Subsidy forecast",
        Description = "What the subsidised workers cost each budget, the month each allocation runs out, and what reaching a coverage target would add, split between the regencies and the province.")]
    [Tags("Budgets and forecast"), Authorize]
    [ProducesResponseType<SubsidyForecastReport>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(int? year, double? targetCoverage, double? provinceShare, IQuerySession session,
        ReferenceData reference, ProvinceCalendar calendar, IOptions<TariffOptions> tariff, IOptions<ForecastOptions> options,
        Now now, HttpContext http)
    {
        var wantedYear = year ?? now.Today.Year;
        var target = targetCoverage ?? options.Value.DefaultTargetCoverage;
        var share = provinceShare ?? options.Value.ProvinceShare;
        var errors = new ValidationErrors();
        errors.Year("year", wantedYear, now.Bounds);
        if (target is <= 0 or > 1 || double.IsNaN(target)) errors.Add("targetCoverage", "must be a fraction above 0 and at most 1, e.g. 0.39");
        if (share is < 0 or > 1 || double.IsNaN(share)) errors.Add("provinceShare", "must be a fraction from 0 to 1, e.g. 0.3");
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var ct = http.RequestAborted;
        var cohort = await SubsidyCohort.OfYearAsync(session, wantedYear, ct);
        var budgets = await session.Query<Budget>().Where(b => b.Year == wantedYear).ToListAsync(ct);
        var counts = await CoverageReader.CountsAtAsync(session, calendar, Basis.Recorded, now.Instant, ct);
        var targets = await RegencyTarget.ForYearAsync(session, wantedYear, ct);

        var inputs = new ForecastInputs(
            wantedYear, target, share,
            Tariff.SubsidisedPackage(tariff.Value),
            reference.ProvinceCode, reference.ProvinceName,
            reference.Regencies.Select(r => new RegencyInputs(r.Code, r.Name,
                counts.GetValueOrDefault(r.Code)?.Covered ?? 0,
                targets.GetValueOrDefault(r.Code)?.AsKnownAt(null)?.EligibleWorkers)).ToList(),
            cohort,
            budgets.Where(b => b.Payer == Payer.ApbdRegency && b.RegencyCode != null)
                .ToDictionary(b => b.RegencyCode!, b => new Allocation(b.Allocated, b.Committed, b.Paid, b.Remaining)),
            budgets.Where(b => b.Payer == Payer.ApbdProvince)
                .Select(b => new Allocation(b.Allocated, b.Committed, b.Paid, b.Remaining)).SingleOrDefault());
        return Results.Ok(SubsidyForecast.Calculate(inputs));
    }
}
