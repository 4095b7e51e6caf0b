using EnrolmentCases.Regencies;
using JasperFx.Events.Projections;

namespace EnrolmentCases.Coverage;

public static class Configuration
{
    /// <summary>The composite projection the three coverage read models run in: its progression row is `Coverage:All`.</summary>
    public const string CoverageComposite = "Coverage";

    /// <summary>
    /// The coverage read models (async daemon), as one composite (ADR 0055): one shard fetches each page of stage changes
    /// once for all three, and writes them in one transaction. Each case's stage timelines are folded with the case (Case.Stages).
    /// </summary>
    public static IServiceCollection AddCoverage(this IServiceCollection services) =>
        services.ConfigureMarten((sp, opts) =>
        {
            var calendar = sp.GetRequiredService<ProvinceCalendar>();
            opts.Projections.CompositeProjectionFor(CoverageComposite, composite =>
            {
                composite.Add(new CoverageMonthProjection(calendar));
                composite.Add(new CoverageDayProjection(calendar));
                composite.Add(new CoverageChangeProjection());
                // The composite fetches by its own event types, not its members': without this it would fetch every event.
                composite.IncludeType<CaseStageChanged>();
            });
            opts.Schema.For<CoverageMonth>().Duplicate(m => m.MonthIndex);
            opts.Schema.For<CoverageDay>().Duplicate(d => d.MonthIndex).Duplicate(d => d.DayNumber);
            // Each basis's instant is a column with its index: an instant inside a day reads that day's rows of its basis only.
            opts.Schema.For<CoverageChange>().Duplicate(c => c.RecordedAt).Duplicate(c => c.EffectiveAt);
        });
}
