using EnrolmentCases.Money;

namespace EnrolmentCases.Forecast;

/// <summary>Subsidised workers of the cohort alike in who pays, from which month, at what premium (one, unless grouped).</summary>
public sealed record CohortMember(string RegencyCode, Payer Payer, YearMonth StartMonth, long MonthlyPremium, long Workers = 1);

public sealed record Allocation(long Allocated, long Committed, long Paid, long Remaining);

public sealed record RegencyInputs(string Code, string Name, long Covered, long? EligibleWorkers);

public sealed record ForecastInputs(
    int Year,
    double TargetCoverage,
    double ProvinceShare,
    long NewWorkerMonthlyPremium,
    string ProvinceCode,
    string ProvinceName,
    IReadOnlyList<RegencyInputs> Regencies,
    IReadOnlyList<CohortMember> Cohort,
    IReadOnlyDictionary<string, Allocation> RegencyBudgets,
    Allocation? ProvinceBudget);

public sealed record ByPayer(long Regency, long Province)
{
    public long Total => Regency + Province;
}

public sealed record RunsOut(string? Regency, string? Province);

public sealed record Gap(long? Regency, long? Province);

public sealed record ForecastRow(
    string Code,
    string Name,
    ByPayer SubsidizedWorkers,
    ByPayer MonthlyCost,
    ByPayer YearlyCost,
    Allocation? RegencyAllocation,
    Allocation? ProvinceAllocation,
    RunsOut RunsOut,
    long Covered,
    long? EligibleWorkers,
    long? WorkersNeeded,
    ByPayer? NeededYearlyCost,
    Gap Gap);

public sealed record SubsidyForecastReport(int Year, double TargetCoverage, double ProvinceShare, long NewWorkerMonthlyPremium,
    string Assumptions, ForecastRow Province, IReadOnlyList<ForecastRow> Regencies);

/// <summary>
/// What the subsidised cohort costs each budget and what reaching a coverage target would add.
/// Pure: every figure comes from the inputs, which the endpoint reads from the read models.
/// </summary>
public static class SubsidyForecast
{
    public const string Assumptions =
        "The current cohort stays on its budget from its start month to December. Monthly cost is the cohort's premiums " +
        "in its most expensive month. An allocation runs out in the first month whose cumulative cost exceeds it. " +
        "Workers still needed = ceil(targetCoverage x eligible) - covered; each costs the lowest-bracket JKK+JKM premium " +
        "for 12 months, split between the regency and the province by provinceShare. Gap = cohort yearly cost + share of " +
        "the needed workers' cost - allocation (positive: money missing). The province allocation is shared, so its " +
        "gap and run-out month are given on the province row.";

    public static SubsidyForecastReport Calculate(ForecastInputs inputs)
    {
        var rows = inputs.Regencies.Select(r => RegencyRow(inputs, r)).ToList();
        return new SubsidyForecastReport(inputs.Year, inputs.TargetCoverage, inputs.ProvinceShare, inputs.NewWorkerMonthlyPremium,
            Assumptions, ProvinceRow(inputs, rows), rows);
    }

    private static ForecastRow RegencyRow(ForecastInputs inputs, RegencyInputs regency)
    {
        var cohort = inputs.Cohort.Where(m => m.RegencyCode == regency.Code).ToList();
        var budget = inputs.RegencyBudgets.GetValueOrDefault(regency.Code);
        var needed = WorkersNeeded(inputs.TargetCoverage, regency.Covered, regency.EligibleWorkers);
        var neededCost = needed is { } n ? Split(n * inputs.NewWorkerMonthlyPremium * 12, inputs.ProvinceShare) : null;
        var yearly = YearlyCost(cohort, inputs.Year);
        var regencyCohort = cohort.Where(m => m.Payer == Payer.ApbdRegency).ToList();
        return new ForecastRow(regency.Code, regency.Name, Count(cohort), MonthlyCost(cohort, inputs.Year), yearly,
            budget, null,
            new RunsOut(RunsOutMonth(regencyCohort, budget?.Allocated ?? 0, inputs.Year), null),
            regency.Covered, regency.EligibleWorkers, needed, neededCost,
            new Gap(yearly.Regency + (neededCost?.Regency ?? 0) - (budget?.Allocated ?? 0), null));
    }

    private static ForecastRow ProvinceRow(ForecastInputs inputs, IReadOnlyList<ForecastRow> rows)
    {
        var cohort = inputs.Cohort;
        var yearly = YearlyCost(cohort, inputs.Year);
        var allTargeted = rows.All(r => r.EligibleWorkers is not null);
        long? needed = allTargeted ? rows.Sum(r => r.WorkersNeeded ?? 0) : null;
        ByPayer? neededCost = allTargeted
            ? new ByPayer(rows.Sum(r => r.NeededYearlyCost?.Regency ?? 0), rows.Sum(r => r.NeededYearlyCost?.Province ?? 0))
            : null;
        var regencyAllocated = inputs.RegencyBudgets.Values.Sum(b => b.Allocated);
        var regencyBudgets = inputs.RegencyBudgets.Count == 0 ? null : new Allocation(regencyAllocated,
            inputs.RegencyBudgets.Values.Sum(b => b.Committed), inputs.RegencyBudgets.Values.Sum(b => b.Paid),
            inputs.RegencyBudgets.Values.Sum(b => b.Remaining));
        var provinceCohort = cohort.Where(m => m.Payer == Payer.ApbdProvince).ToList();
        return new ForecastRow(inputs.ProvinceCode, inputs.ProvinceName, Count(cohort), MonthlyCost(cohort, inputs.Year), yearly,
            regencyBudgets, inputs.ProvinceBudget,
            new RunsOut(null, RunsOutMonth(provinceCohort, inputs.ProvinceBudget?.Allocated ?? 0, inputs.Year)),
            rows.Sum(r => r.Covered), allTargeted ? rows.Sum(r => r.EligibleWorkers) : null, needed, neededCost,
            new Gap(yearly.Regency + (neededCost?.Regency ?? 0) - regencyAllocated,
                yearly.Province + (neededCost?.Province ?? 0) - (inputs.ProvinceBudget?.Allocated ?? 0)));
    }

    public static long? WorkersNeeded(double targetCoverage, long covered, long? eligible) =>
        eligible is { } e ? Math.Max(0, (long)Math.Ceiling(targetCoverage * e - 1e-9) - covered) : null;

    /// <summary>Splits a cost by the province's share, rounding the province's part to the nearest rupiah.</summary>
    public static ByPayer Split(long cost, double provinceShare)
    {
        var province = (long)Math.Round(cost * provinceShare, MidpointRounding.AwayFromZero);
        return new ByPayer(cost - province, province);
    }

    private static ByPayer Count(IReadOnlyCollection<CohortMember> cohort) =>
        new(cohort.Where(m => m.Payer == Payer.ApbdRegency).Sum(m => m.Workers), cohort.Where(m => m.Payer == Payer.ApbdProvince).Sum(m => m.Workers));

    private static IEnumerable<YearMonth> MonthsOf(int year) => Enumerable.Range(1, 12).Select(m => new YearMonth(year, m));

    private static long CostIn(IEnumerable<CohortMember> cohort, YearMonth month) =>
        cohort.Where(m => m.StartMonth <= month).Sum(m => m.MonthlyPremium * m.Workers);

    private static ByPayer MonthlyCost(IReadOnlyCollection<CohortMember> cohort, int year) => new(
        MonthsOf(year).Max(month => CostIn(cohort.Where(m => m.Payer == Payer.ApbdRegency), month)),
        MonthsOf(year).Max(month => CostIn(cohort.Where(m => m.Payer == Payer.ApbdProvince), month)));

    private static ByPayer YearlyCost(IReadOnlyCollection<CohortMember> cohort, int year) => new(
        MonthsOf(year).Sum(month => CostIn(cohort.Where(m => m.Payer == Payer.ApbdRegency), month)),
        MonthsOf(year).Sum(month => CostIn(cohort.Where(m => m.Payer == Payer.ApbdProvince), month)));

    /// <summary>The first month whose cumulative cost exceeds the allocation; null when the year is covered.</summary>
    public static string? RunsOutMonth(IReadOnlyCollection<CohortMember> cohort, long allocated, int year)
    {
        long spent = 0;
        foreach (var month in MonthsOf(year))
        {
            spent += CostIn(cohort, month);
            if (spent > allocated) return month.ToString();
        }

        return null;
    }
}
