using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Regencies;

/// <summary>
/// The province's calendar: its time zone, its days, months and years. Every date the product
/// shows or decides on (lapse days, budget years, coverage months, "as of" a date) is counted here.
/// </summary>
public sealed class ProvinceCalendar(TimeZoneInfo zone, TimeProvider clock)
{
    public TimeZoneInfo Zone => zone;

    public DateTimeOffset Now => clock.GetUtcNow();

    public DateOnly Today => DateOn(Now);

    public DateOnly DateOn(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>Midnight at the start of a day.</summary>
    public DateTimeOffset StartOf(DateOnly day) => Local(day.ToDateTime(TimeOnly.MinValue));

    /// <summary>The last instant of a day: what "as of 2026-11-30" means.</summary>
    public DateTimeOffset EndOf(DateOnly day) => StartOf(day.AddDays(1)).AddTicks(-1);

    /// <summary>Months since year 0 (see YearMonth.Index), so that month arithmetic stays integer.</summary>
    public int MonthIndexOf(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return local.Year * 12 + local.Month - 1;
    }

    public DateTimeOffset EndOfMonth(int monthIndex) =>
        Local(new DateTime((monthIndex + 1) / 12, (monthIndex + 1) % 12 + 1, 1)).AddTicks(-1);

    private DateTimeOffset Local(DateTime local) => new(local, zone.GetUtcOffset(local));

    /// <summary>Zones without tzdata: Western Indonesia Time has had no daylight saving since 1964.</summary>
    private static readonly string[] WesternIndonesiaTime = ["Asia/Jakarta", "Asia/Pontianak"];

    public static bool IsKnownZone(string? id) =>
        !string.IsNullOrWhiteSpace(id) && (TimeZoneInfo.TryFindSystemTimeZoneById(id, out _) || WesternIndonesiaTime.Contains(id));

    public static TimeZoneInfo FindZone(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone
        : WesternIndonesiaTime.Contains(id) ? TimeZoneInfo.CreateCustomTimeZone(id, TimeSpan.FromHours(7), id, id)
        : throw new InvalidOperationException($"ReferenceData:TimeZone '{id}' is not a time zone this machine knows.");
}

/// <summary>
/// The instant a request or message acts at, read once (a scoped service): every event one command
/// appends carries the same time, and its validation sees the same day.
/// </summary>
public sealed class Now
{
    public Now(ProvinceCalendar calendar, ReferenceData reference)
    {
        Calendar = calendar;
        Instant = calendar.Now;
        Today = calendar.DateOn(Instant);
        var (earliest, latest) = Inputs.Range(reference.EarliestDate, Today, reference.HorizonYears);
        Bounds = new InputBounds(earliest, latest, calendar.StartOf(earliest), calendar.EndOf(latest));
    }

    /// <summary>The dates inputs may name today (ReferenceData:EarliestDate and HorizonYears).</summary>
    public InputBounds Bounds { get; }

    public DateTimeOffset Instant { get; }

    public DateOnly Today { get; }

    public ProvinceCalendar Calendar { get; }
}
