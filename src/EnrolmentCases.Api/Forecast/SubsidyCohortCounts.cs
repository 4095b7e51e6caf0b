using EnrolmentCases.Cases;
using EnrolmentCases.Money;
using JasperFx.Events;
using JasperFx.Events.Grouping;
using Marten.Events;
using Marten.Events.Projections;

namespace EnrolmentCases.Forecast;

/// <summary>
/// The subsidised workers of one cohort in one regency: alike in budget year, payer, start month and monthly premium
/// (ADR 0042). The forecast reads the year's rows (a few hundred at most), however many workers they count.
/// </summary>
public class SubsidyCohortCount
{
    /// <summary>`year|payer|startMonthIndex|monthlyPremium|regency`.</summary>
    public string Id { get; set; } = "";

    public int Year { get; set; }
    public Payer Payer { get; set; }
    public int StartMonthIndex { get; set; }
    public long MonthlyPremium { get; set; }
    public string RegencyCode { get; set; } = "";
    public long Workers { get; set; }

    public static string KeyFor(int year, Payer payer, YearMonth start, long premium, string regencyCode) =>
        $"{year:D4}|{payer}|{start.Index}|{premium}|{regencyCode}";

    public static SubsidyCohortCount FromKey(string id)
    {
        var parts = id.Split('|');
        return new SubsidyCohortCount
        {
            Id = id, Year = int.Parse(parts[0]), Payer = Enum.Parse<Payer>(parts[1]), StartMonthIndex = int.Parse(parts[2]),
            MonthlyPremium = long.Parse(parts[3]), RegencyCode = parts[4]
        };
    }

    public CohortMember Member => new(RegencyCode, Payer, YearMonth.FromIndex(StartMonthIndex), MonthlyPremium, Workers);
}

/// <summary>One subsidy event's move of one cohort's count: +1 joining it, -1 leaving it.</summary>
public sealed record CohortMove(int Change);

/// <summary>
/// Keeps <see cref="SubsidyCohortCount"/> from `SubsidyGranted` and `SubsidyEnded`, as the case view keeps its subsidy:
/// a grant puts the case in the grant's cohort (leaving any it was still in), an end takes it out of the cohort of the
/// case's latest grant. `SubsidyEnded` names no cohort and a province's grant names no regency (ADR 39), so the
/// grouping looks them up in the case's own stream, one statement a page: the case's regency from its first
/// `WorkerIdentified`, and its subsidy event before this one. Events never change, so a rebuild (or the replay
/// verification's scratch copy) finds the same answers as the live daemon.
/// </summary>
public partial class SubsidyCohortProjection : MultiStreamProjection<SubsidyCohortCount, string>
{
    private sealed record CaseRegency(string RegencyCode);

    private sealed record Lookup(long Sequence, CaseRegency? Identified, SubsidyGranted? Previous);

    public SubsidyCohortProjection()
    {
        // Declared: Evolve is overridden, so Marten cannot infer the types it reads (ADR 34).
        IncludeType<SubsidyGranted>();
        IncludeType<SubsidyEnded>();
        CustomGrouping(GroupAsync);
    }

    private static async Task GroupAsync(IQuerySession session, IReadOnlyList<IEvent> page, IEventGrouping<string> grouping)
    {
        var events = page.Where(e => e.Data is SubsidyGranted or SubsidyEnded).ToList();
        if (events.Count == 0) return;

        var graph = (EventGraph)session.DocumentStore.Options.Events;
        var schema = graph.DatabaseSchemaName;
        string granted = graph.EventMappingFor(typeof(SubsidyGranted)).EventTypeName,
            ended = graph.EventMappingFor(typeof(SubsidyEnded)).EventTypeName,
            identified = graph.EventMappingFor(typeof(WorkerIdentified)).EventTypeName;
        // The (stream_id, version) index finds each stream's few events, in order (within a stream, versions and
        // sequence numbers rise together).
        var lookups = await session.AdvancedSql.QueryAsync<Lookup>(
            "select json_build_object('sequence', x.seq, 'identified', w.data, 'previous', case when p.type = ? then p.data end) " +
            "from unnest(?::uuid[], ?::bigint[], ?::bigint[]) as x(stream, seq, version) " +
            $"left join lateral (select e.data from {schema}.mt_events e where e.stream_id = x.stream and e.type = ? order by e.version limit 1) w on true " +
            $"left join lateral (select e.type, e.data from {schema}.mt_events e where e.stream_id = x.stream and e.type in (?, ?) " +
            "and e.version < x.version order by e.version desc limit 1) p on true",
            CancellationToken.None, granted, events.Select(e => e.StreamId).ToArray(), events.Select(e => e.Sequence).ToArray(),
            events.Select(e => e.Version).ToArray(), identified, granted, ended);
        var bySequence = lookups.ToDictionary(l => l.Sequence);

        foreach (var e in events)
        {
            if (!bySequence.TryGetValue(e.Sequence, out var lookup) || lookup.Identified is not { } regency) continue;
            // The cohort the case was in until this event, if any.
            if (lookup.Previous is { } previous) grouping.AddEvent(KeyOf(previous, regency.RegencyCode), Moved(e, -1));
            if (e.Data is SubsidyGranted grant) grouping.AddEvent(KeyOf(grant, regency.RegencyCode), Moved(e, +1));
        }
    }

    private static string KeyOf(SubsidyGranted g, string regencyCode) =>
        SubsidyCohortCount.KeyFor(g.BudgetYear, g.Payer, g.StartMonth, g.MonthlyPremium, regencyCode);

    private static IEvent Moved(IEvent source, int change) => new Event<CohortMove>(new CohortMove(change))
    {
        Id = source.Id, Sequence = source.Sequence, Version = source.Version, StreamId = source.StreamId, Timestamp = source.Timestamp,
        TenantId = source.TenantId
    };

    public override SubsidyCohortCount Evolve(SubsidyCohortCount? snapshot, string id, IEvent e)
    {
        var row = snapshot ?? SubsidyCohortCount.FromKey(id);
        if (e.Data is CohortMove move) row.Workers += move.Change;
        return row;
    }
}
