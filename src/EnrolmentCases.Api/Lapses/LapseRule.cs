using EnrolmentCases.Cases;
using EnrolmentCases.Money;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Lapses;

public sealed class LapseOptions
{
    public const string Section = "Lapse";

    /// <summary>Unpaid months in a row a membership survives; one more and it lapses (BPJS Ketenagakerjaan: 3).</summary>
    public int GraceMonths { get; set; } = 3;

    /// <summary>Calendar the months are counted in (Bengkulu keeps Western Indonesia Time).</summary>
    public string TimeZone { get; set; } = "Asia/Jakarta";

    /// <summary>How often the sweep records lapses and ends subsidies of past budget years; 0 turns it off.</summary>
    public int SweepIntervalMinutes { get; set; } = 60;
}

/// <summary>
/// Pure lapse arithmetic. A case owes a premium for every month from DueFrom on; the months after
/// its settled month (the latest paid one, or the month before premiums fell due) are unpaid. Once
/// more than GraceMonths of them have fully passed, the membership is inactive.
/// </summary>
public static class LapseRule
{
    public static DateOnly LapsesOn(int settledThroughIndex, int graceMonths) =>
        YearMonth.FromIndex(settledThroughIndex + graceMonths + 2).FirstDay;

    public static CaseLapsed? Due(Case current, DateOnly today, int graceMonths, DateTimeOffset now)
    {
        if (current.Stage is not (CaseStage.Enrolled or CaseStage.Subsidized)) return null;
        if (current.SettledThroughIndex is not { } settled) return null;

        var lapsesOn = LapsesOn(settled, graceMonths);
        if (today < lapsesOn) return null;

        var firstUnpaid = YearMonth.FromIndex(settled + 1);
        var unpaid = YearMonth.Of(today).Index - firstUnpaid.Index;
        return new CaseLapsed(firstUnpaid, unpaid, lapsesOn,
            $"{unpaid} consecutive months unpaid from {firstUnpaid}; more than {graceMonths} end the membership", now);
    }

    /// <summary>Would the case still be lapsed once this month is paid?</summary>
    public static bool StillLapsedAfterPaying(Case current, YearMonth month, DateOnly today, int graceMonths)
    {
        var settled = Math.Max(current.SettledThroughIndex ?? int.MinValue, month.Index);
        return today >= LapsesOn(settled, graceMonths);
    }
}

/// <summary>The lapse rule bound to configuration and the clock.</summary>
public sealed class LapsePolicy(IOptions<LapseOptions> options, TimeProvider clock)
{
    private readonly TimeZoneInfo _zone = FindZone(options.Value.TimeZone);

    public TimeZoneInfo Zone => _zone;

    public int GraceMonths => options.Value.GraceMonths;

    public DateTimeOffset Now => clock.GetUtcNow();

    public DateOnly Today => DateOn(clock.GetUtcNow());

    /// <summary>Midnight at the start of a day, in the calendar's time zone.</summary>
    public DateTimeOffset StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, _zone.GetUtcOffset(local));
    }

    public DateOnly DateOn(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, _zone).DateTime);

    /// <summary>The lapse the case owes a record of, today or at a given instant.</summary>
    public CaseLapsed? Due(Case current, DateTimeOffset? at = null) =>
        LapseRule.Due(current, at is { } instant ? DateOn(instant) : Today, GraceMonths, Now);

    public static TimeZoneInfo FindZone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            // Machines without tzdata: Western Indonesia Time has had no daylight saving since 1964.
            return TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.FromHours(7), id, id);
        }
    }
}
