using EnrolmentCases.Cases;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using JasperFx.Events;
using JasperFx.Events.Projections;
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

/// <summary>A roll-up row: the net change of stage counts in one regency, on one basis, during one period.</summary>
public interface ICoverageRollUp
{
    string Id { get; }
    Basis Basis { get; }
}

/// <summary>
/// The net change of stage counts in one regency during one month, on one basis. The counts at
/// any month end are the sum of the months up to it, so reading coverage costs one row per
/// regency and month however many events there are.
/// </summary>
public class CoverageMonth : StageCounts, ICoverageRollUp
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
public class CoverageDay : StageCounts, ICoverageRollUp
{
    public string Id { get; set; } = "";
    public Basis Basis { get; set; }
    public string RegencyCode { get; set; } = "";
    public int MonthIndex { get; set; }

    /// <summary>The local date as <see cref="DateOnly.DayNumber"/>.</summary>
    public int DayNumber { get; set; }

    public static string KeyFor(Basis basis, string regencyCode, int dayNumber) => $"{basis}|{regencyCode}|{dayNumber}";
}

/// <summary>One count a stage change moves at an instant: +1 entering the stage, -1 leaving it.</summary>
public sealed record CountChange(CaseStage Stage, int Change);

/// <summary>
/// What one stage change did to the counts at one instant on each basis, kept for answering "as of" an instant inside a
/// day (ADR 38). A change usually moves the counts at one recorded and one effective instant, and then this is its only
/// row; an effective move that pulls later periods back moves counts at more instants and adds a row for each further
/// one. A row never grows: at most six counts per basis, written once.
/// </summary>
public class CoverageChange
{
    /// <summary>The stage change's sequence and the row's place among its rows.</summary>
    public string Id { get; set; } = "";

    public string RegencyCode { get; set; } = "";

    /// <summary>The instant the recorded counts move; null when this row carries effective ones only.</summary>
    public DateTimeOffset? RecordedAt { get; set; }

    public CountChange[] Recorded { get; set; } = [];

    /// <summary>The instant the effective counts move; null when this row carries recorded ones only.</summary>
    public DateTimeOffset? EffectiveAt { get; set; }

    public CountChange[] Effective { get; set; } = [];

    /// <summary>The rows of one stage change: the i-th distinct recorded instant beside the i-th distinct effective one.</summary>
    public static IEnumerable<CoverageChange> Of(long sequence, CaseStageChanged e)
    {
        var recorded = ByInstant(e.Recorded);
        var effective = ByInstant(e.Effective);
        for (var i = 0; i < Math.Max(recorded.Count, effective.Count); i++)
            yield return new CoverageChange
            {
                Id = $"{sequence}:{i}",
                RegencyCode = e.RegencyCode,
                RecordedAt = i < recorded.Count ? recorded[i].At : null,
                Recorded = i < recorded.Count ? recorded[i].Counts : [],
                EffectiveAt = i < effective.Count ? effective[i].At : null,
                Effective = i < effective.Count ? effective[i].Counts : []
            };
    }

    /// <summary>In UTC: the instants are timestamptz columns, which take no other offset.</summary>
    private static List<(DateTimeOffset At, CountChange[] Counts)> ByInstant(IEnumerable<StageDelta> deltas) =>
        deltas.GroupBy(d => d.At.ToUniversalTime()).OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Select(d => new CountChange(d.Stage, d.Change)).ToArray())).ToList();
}

/// <summary>
/// The monthly and daily roll-ups are one projection over a different period: a row per basis, regency and period,
/// keyed `basis|regency|period`, adding the stage changes' deltas that fall in its period.
/// </summary>
public abstract partial class CoverageRollUpProjection<TRow> : MultiStreamProjection<TRow, string> where TRow : StageCounts, ICoverageRollUp
{
    protected CoverageRollUpProjection()
    {
        // Declared: Evolve is overridden, so Marten cannot infer the types it reads, and without this the daemon
        // fetches and deserialises every event of the store for this projection (ADR 34).
        IncludeType<CaseStageChanged>();
        Identities<CaseStageChanged>(e => Keys(e).Distinct().ToList());
    }

    /// <summary>
    /// No: the coverage composite (ADR 0055) is not replayed in JasperFx's single pass (ADR 0057). That pass runs whenever the
    /// composite starts from nothing, also outside a rebuild, and reads to the event sequence's last number: past the daemon's
    /// high-water mark, over numbers that transactions still open have taken, whose events it then never sees. One member
    /// saying no sends the composite through the daemon's ordinary pages, which stop at the high-water mark.
    /// </summary>
    public override bool CanParticipateInCompositeReplay => false;

    /// <summary>The period an instant falls in: a month index or a local day number.</summary>
    protected abstract int PeriodOf(DateTimeOffset at);

    /// <summary>An empty row for a key.</summary>
    protected abstract TRow New(Basis basis, string regencyCode, int period);

    private static string KeyFor(Basis basis, string regencyCode, int period) => $"{basis}|{regencyCode}|{period}";

    private IEnumerable<string> Keys(CaseStageChanged e) =>
        e.Recorded.Select(d => KeyFor(Basis.Recorded, e.RegencyCode, PeriodOf(d.At)))
            .Concat(e.Effective.Select(d => KeyFor(Basis.Effective, e.RegencyCode, PeriodOf(d.At))));

    /// <summary>Explicit rather than by convention: a new row needs its key, which only this overload is given.</summary>
    public override TRow Evolve(TRow? snapshot, string id, IEvent e)
    {
        var parts = id.Split('|');
        var period = int.Parse(parts[2]);
        var row = snapshot ?? New(Enum.Parse<Basis>(parts[0]), parts[1], period);
        if (e.Data is not CaseStageChanged change) return row;

        var deltas = row.Basis == Basis.Recorded ? change.Recorded : change.Effective;
        foreach (var delta in deltas.Where(d => PeriodOf(d.At) == period))
            row.Add(delta.Stage, delta.Change);
        return row;
    }
}

public partial class CoverageMonthProjection(ProvinceCalendar calendar) : CoverageRollUpProjection<CoverageMonth>
{
    protected override int PeriodOf(DateTimeOffset at) => calendar.MonthIndexOf(at);

    protected override CoverageMonth New(Basis basis, string regencyCode, int period) => new()
    {
        Id = CoverageMonth.KeyFor(basis, regencyCode, period), Basis = basis, RegencyCode = regencyCode, MonthIndex = period
    };
}

public partial class CoverageDayProjection(ProvinceCalendar calendar) : CoverageRollUpProjection<CoverageDay>
{
    protected override int PeriodOf(DateTimeOffset at) => calendar.DateOn(at).DayNumber;

    protected override CoverageDay New(Basis basis, string regencyCode, int period) => new()
    {
        Id = CoverageDay.KeyFor(basis, regencyCode, period), Basis = basis, RegencyCode = regencyCode, DayNumber = period,
        MonthIndex = YearMonth.Of(DateOnly.FromDayNumber(period)).Index
    };
}

/// <summary>
/// Writes the <see cref="CoverageChange"/> rows of a daemon page in one statement (ADR 0045): an import's page of a few
/// thousand stage changes was as many single-row inserts, each a statement for PostgreSQL to parse, plan and run and
/// a command for the API to build. The rows are exactly those <see cref="Project"/> would insert one by one (the same
/// ids, the store's serialiser for data, the duplicated instants as timestamptz); mt_version and mt_last_modified take
/// their column defaults (a test checks that no other column is left to one). A plain insert: a row that exists already
/// fails the page, as Marten's Insert does.
/// </summary>
public partial class CoverageChangeProjection : EventProjection, IJasperFxProjection<IDocumentOperations>
{
    public CoverageChangeProjection()
    {
        // Declared, so that rebuilds and the replay verification know which documents this projection writes.
        RegisterPublishedType(typeof(CoverageChange));
    }

    /// <summary>
    /// The rows of one stage change. The projection runs only in the daemon, whose pages (live and rebuild) go through
    /// ApplyAsync below; this method declares the event type it takes and states the rows one by one.
    /// </summary>
    public void Project(IEvent<CaseStageChanged> e, IDocumentOperations operations)
    {
        // Insert, not Store: each row is new (its id is its event's sequence).
        foreach (var row in CoverageChange.Of(e.Sequence, e.Data)) operations.Insert(row);
    }

    /// <summary>The daemon's path: every row of the page's stage changes in one insert.</summary>
    Task IJasperFxProjection<IDocumentOperations>.ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events,
        CancellationToken cancellation)
    {
        var rows = new List<CoverageChange>(events.Count);
        foreach (var e in events)
            if (e.Data is CaseStageChanged changed)
                rows.AddRange(CoverageChange.Of(e.Sequence, changed));
        if (rows.Count == 0) return Task.CompletedTask;

        var serializer = operations.DocumentStore.Options.Serializer();
        var ids = new string[rows.Count];
        var data = new string[rows.Count];
        var recorded = new DateTimeOffset[rows.Count];
        var hasRecorded = new bool[rows.Count];
        var effective = new DateTimeOffset[rows.Count];
        var hasEffective = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            ids[i] = row.Id;
            data[i] = serializer.ToJson(row);
            // Arrays of timestamptz take no nulls from .NET here: a flag says which instants are absent.
            hasRecorded[i] = row.RecordedAt is not null;
            recorded[i] = row.RecordedAt ?? DateTimeOffset.UnixEpoch;
            hasEffective[i] = row.EffectiveAt is not null;
            effective[i] = row.EffectiveAt ?? DateTimeOffset.UnixEpoch;
        }

        operations.QueueSqlCommand(
            $"insert into {Table(operations)} (id, data, mt_dotnet_type, recorded_at, effective_at) " +
            "select r.id, r.data::jsonb, ?, case when r.has_recorded then r.recorded end, case when r.has_effective then r.effective end " +
            "from unnest(?::varchar[], ?::text[], ?::timestamptz[], ?::boolean[], ?::timestamptz[], ?::boolean[]) " +
            "with ordinality as r(id, data, recorded, has_recorded, effective, has_effective, n) order by r.n",
            typeof(CoverageChange).FullName!, ids, data, recorded, hasRecorded, effective, hasEffective);
        return Task.CompletedTask;
    }

    /// <summary>Looked up per page, not kept: the replay verification's scratch store writes the same rows into its own schema.</summary>
    private static string Table(IDocumentOperations operations) =>
        ((IReadOnlyStoreOptions)operations.DocumentStore.Options).FindOrResolveDocumentType(typeof(CoverageChange)).TableName.QualifiedName;
}
