using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Cases.Worklist;

public sealed class WorklistOptions
{
    public const string Section = "Worklist";

    /// <summary>
    /// How far the worklist counts (ADR 0039): up to this many matching cases `total` is exact; beyond it `total` is this
    /// number and `totalCapped` is true. Counting reads one index entry per case, so without a cap a count over a
    /// province (or a common name) grows with the country while the page does not.
    /// </summary>
    public int CountLimit { get; set; } = 10_000;

    /// <summary>
    /// How far a search by words counts (ADR 0039): each match it counts is a row of the search index read from the heap
    /// (the GIN index holds no order and cannot be counted from), so a search stops sooner than the worklist.
    /// </summary>
    public int SearchCountLimit { get; set; } = 1_000;

    public static IEnumerable<string> Rules(WorklistOptions o)
    {
        if (o.CountLimit is < 100 or > 10_000_000)
            yield return $"CountLimit must be between 100 and 10000000 cases, e.g. 10000 (is {o.CountLimit})";
        if (o.SearchCountLimit is < 100 or > 10_000_000)
            yield return $"SearchCountLimit must be between 100 and 10000000 cases, e.g. 1000 (is {o.SearchCountLimit})";
    }
}

public static class Configuration
{
    /// <summary>The worklist's settings (how far it counts).</summary>
    public static IServiceCollection AddWorklist(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSettings<WorklistOptions>(configuration, WorklistOptions.Section, WorklistOptions.Rules).Services;
}
