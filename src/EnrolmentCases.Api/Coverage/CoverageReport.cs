using System.Globalization;
using System.Text.Json.Serialization;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using EnrolmentCases.Targets;

namespace EnrolmentCases.Coverage;

/// <summary>A coverage figure is never a bare percentage: it carries what was divided by what, and why.</summary>
public sealed record CoverageRatio(
    long Numerator,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? Denominator,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? Ratio,
    string Definition);

public sealed record CoverageRow(
    string Code,
    string Name,
    long Identified,
    long Contacted,
    long Enrolled,
    long Subsidized,
    long Lapsed,
    long Closed,
    long Covered,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] CoverageTarget? Target,
    CoverageRatio Coverage)
{
    /// <summary>Set on timeline rows: the month whose end the row describes.</summary>
    public string? Month { get; init; }
}

public sealed record CoverageReport(DateTimeOffset AsOf, Basis Basis, CoverageRow Province, IReadOnlyList<CoverageRow> Regencies);

/// <summary>Reads the coverage read models; the work per request depends on regencies and months, not on events.</summary>
public static class CoverageReader
{
    public const string Definition =
        "covered / eligible: workers with an active membership (enrolled or subsidised, not lapsed) over the eligible " +
        "workers of the planners' target for the year";

    /// <summary>
    /// Stage counts per regency at an instant: whole months before its month from the monthly rows, whole days before
    /// its day from the daily rows, and the rest of its day from the day's stage-change rows (none when the instant is the end of a
    /// day, which is what "as of a date" means). The work depends on regencies, months and days, not on activity, except
    /// for an instant inside a day, which reads at most that day's changes.
    /// </summary>
    public static async Task<Dictionary<string, StageCounts>> CountsAtAsync(IQuerySession session, ProvinceCalendar calendar,
        Basis basis, DateTimeOffset at, CancellationToken ct)
    {
        var month = calendar.MonthIndexOf(at);
        var date = calendar.DateOn(at);
        var wholeDay = at >= calendar.EndOf(date);
        var lastWholeDay = wholeDay ? date.DayNumber : date.DayNumber - 1;
        var counts = new Dictionary<string, StageCounts>();
        var months = await session.Query<CoverageMonth>()
            .Where(m => m.Basis == basis && m.MonthIndex < month).ToListAsync(ct);
        foreach (var row in months) CountsFor(counts, row.RegencyCode).Add(row);

        var days = await session.Query<CoverageDay>()
            .Where(d => d.Basis == basis && d.MonthIndex == month && d.DayNumber <= lastWholeDay).ToListAsync(ct);
        foreach (var row in days) CountsFor(counts, row.RegencyCode).Add(row);
        if (wholeDay) return counts;

        // In UTC, as the columns' parameters must be.
        var startOfDay = calendar.StartOf(date).ToUniversalTime();
        at = at.ToUniversalTime();
        var changes = basis == Basis.Recorded
            ? await session.Query<CoverageChange>().Where(c => c.RecordedAt >= startOfDay && c.RecordedAt <= at).ToListAsync(ct)
            : await session.Query<CoverageChange>().Where(c => c.EffectiveAt >= startOfDay && c.EffectiveAt <= at).ToListAsync(ct);
        foreach (var change in changes)
        foreach (var count in basis == Basis.Recorded ? change.Recorded : change.Effective)
            CountsFor(counts, change.RegencyCode).Add(count.Stage, count.Change);
        return counts;
    }

    /// <summary>Stage counts per regency at the end of each month in [from, to].</summary>
    public static async Task<SortedDictionary<int, Dictionary<string, StageCounts>>> MonthEndsAsync(IQuerySession session,
        Basis basis, int fromMonth, int toMonth, CancellationToken ct)
    {
        var rows = await session.Query<CoverageMonth>()
            .Where(m => m.Basis == basis && m.MonthIndex <= toMonth).OrderBy(m => m.MonthIndex).ToListAsync(ct);
        var running = new Dictionary<string, StageCounts>();
        var result = new SortedDictionary<int, Dictionary<string, StageCounts>>();
        var next = 0;
        for (var month = Math.Min(fromMonth, rows.FirstOrDefault()?.MonthIndex ?? fromMonth); month <= toMonth; month++)
        {
            for (; next < rows.Count && rows[next].MonthIndex == month; next++)
                CountsFor(running, rows[next].RegencyCode).Add(rows[next]);
            if (month >= fromMonth)
                result[month] = running.ToDictionary(x => x.Key, x => Copy(x.Value));
        }

        return result;
    }

    /// <summary>One row per regency plus the province, whose target is the sum of the regencies' when every one has one.</summary>
    public static (CoverageRow Province, List<CoverageRow> Regencies) Rows(ReferenceData reference,
        IReadOnlyDictionary<string, StageCounts> counts, IReadOnlyDictionary<string, RegencyTarget> targets, int year,
        DateTimeOffset? targetsKnownAt)
    {
        var rows = new List<CoverageRow>();
        var province = new StageCounts();
        long eligible = 0;
        var allTargeted = true;
        var sources = new SortedSet<string>();
        foreach (var regency in reference.Regencies)
        {
            var c = counts.GetValueOrDefault(regency.Code) ?? new StageCounts();
            province.Add(c);
            var target = targets.GetValueOrDefault(regency.Code)?.AsKnownAt(targetsKnownAt);
            if (target is null) allTargeted = false;
            else
            {
                eligible += target.EligibleWorkers;
                sources.Add(target.Source);
            }

            rows.Add(Row(regency.Code, regency.Name, c, target is null ? null : new CoverageTarget(target.EligibleWorkers, target.Source, year)));
        }

        var provinceTarget = allTargeted ? new CoverageTarget(eligible, string.Join("; ", sources), year) : null;
        return (Row(reference.ProvinceCode, reference.ProvinceName, province, provinceTarget), rows);
    }

    public static CoverageRow Row(string code, string name, StageCounts c, CoverageTarget? target) => new(
        code, name, c.Identified, c.Contacted, c.Enrolled, c.Subsidized, c.Lapsed, c.Closed, c.Covered, target,
        new CoverageRatio(c.Covered, target?.EligibleWorkers,
            target is { EligibleWorkers: > 0 } t ? Math.Round((double)c.Covered / t.EligibleWorkers, 4) : null,
            target is null ? Definition + " (no target set for the year, so no ratio)" : Definition));

    /// <summary>An instant, or a date meaning the end of that day in the province's time zone.</summary>
    /// <summary>A date (the end of that day) or an instant; a date outside the bounds is returned as their edge, for the caller's bounds check.</summary>
    public static bool TryParseInstant(string? text, ProvinceCalendar calendar, InputBounds bounds, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            instant = day < bounds.Earliest ? DateTimeOffset.MinValue
                : day > bounds.Latest ? DateTimeOffset.MaxValue
                : calendar.EndOf(day);
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out instant);
    }

    private static StageCounts CountsFor(Dictionary<string, StageCounts> counts, string regency)
    {
        if (!counts.TryGetValue(regency, out var c)) counts[regency] = c = new StageCounts();
        return c;
    }

    private static StageCounts Copy(StageCounts c)
    {
        var copy = new StageCounts();
        copy.Add(c);
        return copy;
    }
}
