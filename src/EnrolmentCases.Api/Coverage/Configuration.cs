using EnrolmentCases.Regencies;
using JasperFx.Events.Projections;

namespace EnrolmentCases.Coverage;

public static class Configuration
{
    public const string CoverageComposite = "Coverage";

    /// <summary>The coverage read models (async daemon). Each case's stage timelines are folded with the case (Case.Stages).</summary>
    public static IServiceCollection AddCoverage(this IServiceCollection services) =>
        services.ConfigureMarten((sp, opts) =>
        {
            var calendar = sp.GetRequiredService<ProvinceCalendar>();
            opts.Projections.CompositeProjectionFor(CoverageComposite, composite =>
            {
                composite.Add(new CoverageMonthProjection(calendar));
                composite.Add(new CoverageDayProjection(calendar));
                composite.Add(new CoverageChangeProjection());
                composite.IncludeType<CaseStageChanged>();
            });
            opts.Schema.For<CoverageMonth>().Duplicate(m => m.MonthIndex);
            opts.Schema.For<CoverageDay>().Duplicate(d => d.MonthIndex).Duplicate(d => d.DayNumber);
            // Each basis's instant is a column with its index: an instant inside a day reads that day's rows of its basis only.
            opts.Schema.For<CoverageChange>().Duplicate(c => c.RecordedAt).Duplicate(c => c.EffectiveAt);
        });
}
