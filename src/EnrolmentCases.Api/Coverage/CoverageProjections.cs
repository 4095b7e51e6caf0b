using EnrolmentCases.Cases;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using JasperFx.Events;
using Marten.Events.Projections;

namespace EnrolmentCases.Coverage;

/// <summary>Cases per stage: the counts every coverage figure is made of.</summary>
public class StageCounts
{
    public long Identified { get; set; }
    public long Contacted { get; set; }
    public long Enrolled { get; set; }
    public long Subsidized { get; set; }
    public long Lapsed { get; set; }
    public long Closed { get; set; }

    /// <summary>Covered: active members, enrolled or subsidised; lapsed ones are not covered.</summary>
    public long Covered => Enrolled + Subsidized;

    public void Add(CaseStage stage, long change)
    {
        switch (stage)
        {
            case CaseStage.Identified: Identified += change; break;
            case CaseStage.Contacted: Contacted += change; break;
            case CaseStage.Enrolled: Enrolled += change; break;
            case CaseStage.Subsidized: Subsidized += change; break;
            case CaseStage.Lapsed: Lapsed += change; break;
            case CaseStage.Closed: Closed += change; break;
        }
    }

    public void Add(StageCounts other)
    {
        Identified += other.Identified;
        Contacted += other.Contacted;
        Enrolled += other.Enrolled;
        Subsidized += other.Subsidized;
        Lapsed += other.Lapsed;
        Closed += other.Closed;
    }
}

/// <summary>The net change of stage counts in one regency during one period (a month or a day), on one basis.</summary>
public abstract class CoveragePeriod : StageCounts
{
    public string Id { get; set; } = "";
    public Basis Basis { get; set; }
    public string RegencyCode { get; set; } = "";
    public int MonthIndex { get; set; }

    /// <summary>Counts a change (a day also keeps the change itself). Not named Apply: Marten would take it for a self-aggregating document.</summary>
    public virtual void Count(StageDelta delta) => Add(delta.Stage, delta.Change);
}

/// <summary>
/// The net change of stage counts in one regency during one month, on one basis. The counts at
/// any month end are the sum of the months up to it, so reading coverage costs one row per
/// regency and month however many events there are.
/// </summary>
public class CoverageMonth : CoveragePeriod
{
    public static string KeyFor(Basis basis, string regencyCode, int monthIndex) => $"{basis}|{regencyCode}|{monthIndex}";
}

/// <summary>
/// The net change of stage counts in one regency during one day (in the province's time zone), on one
/// basis: "as of" a day inside the current month reads at most a month of these per regency. It also keeps
/// each change of the day, in the order they were recorded, for answering "as of" an instant inside the day
/// (ADR 0034: one row per regency, day and basis instead of one per change).
/// </summary>
public class CoverageDay : CoveragePeriod
{
    /// <summary>The local date as <see cref="DateOnly.DayNumber"/>.</summary>
    public int DayNumber { get; set; }

    /// <summary>Every change the counts of the day are made of.</summary>
    public List<StageDelta> Changes { get; set; } = [];

    public override void Count(StageDelta delta)
    {
        base.Count(delta);
        Changes.Add(delta);
    }

    public static string KeyFor(Basis basis, string regencyCode, int dayNumber) => $"{basis}|{regencyCode}|{dayNumber}";
}

/// <summary>
/// One row per regency, period and basis, summing the stage changes whose instant falls in the period: the
/// shared implementation of the monthly and the daily roll-ups. Only CaseStageChanged is read.
/// </summary>
public abstract class CoveragePeriodProjection<T> : MultiStreamProjection<T, string> where T : CoveragePeriod, new()
{
    protected readonly ProvinceCalendar Calendar;

    protected CoveragePeriodProjection(ProvinceCalendar calendar)
    {
        Calendar = calendar;
        Identities<CaseStageChanged>(e => Keys(e).Distinct().ToList());
        // With Evolve overridden Marten cannot tell which events the projection reads, and without this the daemon
        // fetches and deserialises every event of the store for it (ADR 0034).
        IncludeType<CaseStageChanged>();
    }

    /// <summary>The period an instant falls in (a month index or a day number).</summary>
    protected abstract int PeriodOf(DateTimeOffset at);

    protected abstract string KeyFor(Basis basis, string regencyCode, int period);

    /// <summary>Sets what the row's key says beyond its basis and regency.</summary>
    protected abstract void Describe(T row, int period);

    protected abstract int PeriodOf(T row);

    private IEnumerable<string> Keys(CaseStageChanged e) =>
        e.Recorded.Select(d => KeyFor(Basis.Recorded, e.RegencyCode, PeriodOf(d.At)))
            .Concat(e.Effective.Select(d => KeyFor(Basis.Effective, e.RegencyCode, PeriodOf(d.At))));

    /// <summary>Explicit rather than by convention: a new row needs its key, which only this overload is given.</summary>
    public override T Evolve(T? snapshot, string id, IEvent e)
    {
        var row = snapshot ?? New(id);
        if (e.Data is not CaseStageChanged change) return row;

        var deltas = row.Basis == Basis.Recorded ? change.Recorded : change.Effective;
        var period = PeriodOf(row);
        foreach (var delta in deltas)
            if (PeriodOf(delta.At) == period) row.Count(delta);
        return row;
    }

    private T New(string id)
    {
        var parts = id.Split('|');
        var row = new T { Id = id, Basis = Enum.Parse<Basis>(parts[0]), RegencyCode = parts[1] };
        Describe(row, int.Parse(parts[2]));
        return row;
    }
}

public partial class CoverageMonthProjection(ProvinceCalendar calendar) : CoveragePeriodProjection<CoverageMonth>(calendar)
{
    protected override int PeriodOf(DateTimeOffset at) => Calendar.MonthIndexOf(at);
    protected override string KeyFor(Basis basis, string regencyCode, int period) => CoverageMonth.KeyFor(basis, regencyCode, period);
    protected override void Describe(CoverageMonth row, int period) => row.MonthIndex = period;
    protected override int PeriodOf(CoverageMonth row) => row.MonthIndex;
}

public partial class CoverageDayProjection(ProvinceCalendar calendar) : CoveragePeriodProjection<CoverageDay>(calendar)
{
    protected override int PeriodOf(DateTimeOffset at) => Calendar.DateOn(at).DayNumber;
    protected override string KeyFor(Basis basis, string regencyCode, int period) => CoverageDay.KeyFor(basis, regencyCode, period);
    protected override int PeriodOf(CoverageDay row) => row.DayNumber;

    protected override void Describe(CoverageDay row, int period)
    {
        row.DayNumber = period;
        row.MonthIndex = YearMonth.Of(DateOnly.FromDayNumber(period)).Index;
    }
}
