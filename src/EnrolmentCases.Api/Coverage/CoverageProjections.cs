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

/// <summary>
/// The net change of stage counts in one regency during one month, on one basis. The counts at
/// any month end are the sum of the months up to it, so reading coverage costs one row per
/// regency and month however many events there are.
/// </summary>
public class CoverageMonth : StageCounts
{
    public string Id { get; set; } = "";
    public Basis Basis { get; set; }
    public string RegencyCode { get; set; } = "";
    public int MonthIndex { get; set; }

    public static string KeyFor(Basis basis, string regencyCode, int monthIndex) => $"{basis}|{regencyCode}|{monthIndex}";
}

/// <summary>
/// The net change of stage counts in one regency during one day (in the province's time zone), on one
/// basis: "as of" a day inside the current month reads at most a month of these per regency.
/// </summary>
public class CoverageDay : StageCounts
{
    public string Id { get; set; } = "";
    public Basis Basis { get; set; }
    public string RegencyCode { get; set; } = "";
    public int MonthIndex { get; set; }

    /// <summary>The local date as <see cref="DateOnly.DayNumber"/>.</summary>
    public int DayNumber { get; set; }

    public static string KeyFor(Basis basis, string regencyCode, int dayNumber) => $"{basis}|{regencyCode}|{dayNumber}";
}

/// <summary>One stage change's effect on one count, kept for answering "as of" an instant inside a day.</summary>
public class CoverageDelta
{
    public string Id { get; set; } = "";
    public Basis Basis { get; set; }
    public string RegencyCode { get; set; } = "";
    public int MonthIndex { get; set; }
    public DateTimeOffset At { get; set; }
    public CaseStage Stage { get; set; }
    public int Change { get; set; }
}

public partial class CoverageMonthProjection : MultiStreamProjection<CoverageMonth, string>
{
    private readonly ProvinceCalendar _calendar;

    public CoverageMonthProjection(ProvinceCalendar calendar)
    {
        _calendar = calendar;
        // Declared: Evolve is overridden, so Marten cannot infer the types it reads, and without this the daemon
        // fetches and deserialises every event of the store for this projection (ADR 34).
        IncludeType<CaseStageChanged>();
        Identities<CaseStageChanged>(e => Keys(e).Distinct().ToList());
    }

    private IEnumerable<string> Keys(CaseStageChanged e) =>
        e.Recorded.Select(d => CoverageMonth.KeyFor(Basis.Recorded, e.RegencyCode, _calendar.MonthIndexOf(d.At)))
            .Concat(e.Effective.Select(d => CoverageMonth.KeyFor(Basis.Effective, e.RegencyCode, _calendar.MonthIndexOf(d.At))));

    /// <summary>Explicit rather than by convention: a new month row needs its key, which only this overload is given.</summary>
    public override CoverageMonth Evolve(CoverageMonth? snapshot, string id, IEvent e)
    {
        var month = snapshot ?? New(id);
        if (e.Data is not CaseStageChanged change) return month;

        var deltas = month.Basis == Basis.Recorded ? change.Recorded : change.Effective;
        foreach (var delta in deltas.Where(d => _calendar.MonthIndexOf(d.At) == month.MonthIndex))
            month.Add(delta.Stage, delta.Change);
        return month;
    }

    private static CoverageMonth New(string id)
    {
        var parts = id.Split('|');
        return new CoverageMonth
        {
            Id = id,
            Basis = Enum.Parse<Basis>(parts[0]),
            RegencyCode = parts[1],
            MonthIndex = int.Parse(parts[2])
        };
    }
}

public partial class CoverageDayProjection : MultiStreamProjection<CoverageDay, string>
{
    private readonly ProvinceCalendar _calendar;

    public CoverageDayProjection(ProvinceCalendar calendar)
    {
        _calendar = calendar;
        // Declared: Evolve is overridden, so Marten cannot infer the types it reads, and without this the daemon
        // fetches and deserialises every event of the store for this projection (ADR 34).
        IncludeType<CaseStageChanged>();
        Identities<CaseStageChanged>(e => Keys(e).Distinct().ToList());
    }

    private int DayOf(DateTimeOffset at) => _calendar.DateOn(at).DayNumber;

    private IEnumerable<string> Keys(CaseStageChanged e) =>
        e.Recorded.Select(d => CoverageDay.KeyFor(Basis.Recorded, e.RegencyCode, DayOf(d.At)))
            .Concat(e.Effective.Select(d => CoverageDay.KeyFor(Basis.Effective, e.RegencyCode, DayOf(d.At))));

    public override CoverageDay Evolve(CoverageDay? snapshot, string id, IEvent e)
    {
        var day = snapshot ?? New(id);
        if (e.Data is not CaseStageChanged change) return day;

        var deltas = day.Basis == Basis.Recorded ? change.Recorded : change.Effective;
        foreach (var delta in deltas.Where(d => DayOf(d.At) == day.DayNumber))
            day.Add(delta.Stage, delta.Change);
        return day;
    }

    private CoverageDay New(string id)
    {
        var parts = id.Split('|');
        var dayNumber = int.Parse(parts[2]);
        return new CoverageDay
        {
            Id = id,
            Basis = Enum.Parse<Basis>(parts[0]),
            RegencyCode = parts[1],
            DayNumber = dayNumber,
            MonthIndex = YearMonth.Of(DateOnly.FromDayNumber(dayNumber)).Index
        };
    }
}

public partial class CoverageDeltaProjection : EventProjection
{
    private readonly ProvinceCalendar _calendar;

    public CoverageDeltaProjection(ProvinceCalendar calendar)
    {
        _calendar = calendar;
        // Declared, so that rebuilds and the replay verification know which documents this projection writes.
        RegisterPublishedType(typeof(CoverageDelta));
    }

    public void Project(IEvent<CaseStageChanged> e, IDocumentOperations operations)
    {
        var deltas = e.Data.Recorded.Select(d => (Basis.Recorded, d)).Concat(e.Data.Effective.Select(d => (Basis.Effective, d)));
        var i = 0;
        foreach (var (basis, delta) in deltas)
        {
            // Insert, not Store: each delta is new (its id is its event's sequence), and a rebuild writes pure inserts with COPY (ADR 0032).
            operations.Insert(new CoverageDelta
            {
                Id = $"{e.Sequence}:{i++}",
                Basis = basis,
                RegencyCode = e.Data.RegencyCode,
                MonthIndex = _calendar.MonthIndexOf(delta.At),
                At = delta.At,
                Stage = delta.Stage,
                Change = delta.Change
            });
        }
    }
}
