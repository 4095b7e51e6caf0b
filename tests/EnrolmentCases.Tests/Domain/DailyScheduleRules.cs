using EnrolmentCases.Lapses.Risk;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Tests.Domain;

public class DailyScheduleRules
{
    private static readonly TimeZoneInfo Wib = ProvinceCalendar.FindZone("Asia/Jakarta");
    private static readonly TimeOnly Six = new(6, 0);

    private static DateTimeOffset At(int day, int hour, int minute = 0) => new(2026, 3, day, hour, minute, 0, TimeSpan.FromHours(7));

    [Fact]
    public void the_next_run_is_the_first_time_the_province_clocks_show_the_configured_time_after_now()
    {
        Assert.Equal(At(2, 6), DailyLapseRiskSchedule.NextAfter(At(2, 5, 59), Six, Wib));
        Assert.Equal(At(3, 6), DailyLapseRiskSchedule.NextAfter(At(2, 6), Six, Wib)); // at the time: the run is this one, the next is tomorrow
        Assert.Equal(At(3, 6), DailyLapseRiskSchedule.NextAfter(At(2, 23, 59), Six, Wib));
        // 23:30 UTC on 2 March is 06:30 WIB on 3 March: the next is 06:00 WIB on 4 March, 23:00 UTC on 3 March.
        var next = DailyLapseRiskSchedule.NextAfter(new DateTimeOffset(2026, 3, 2, 23, 30, 0, TimeSpan.Zero), Six, Wib);
        Assert.Equal(new DateTimeOffset(2026, 3, 3, 23, 0, 0, TimeSpan.Zero), next.ToUniversalTime());
        Assert.Equal(TimeSpan.FromHours(7), next.Offset);
        // Across the end of a year.
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 6, 0, 0, TimeSpan.FromHours(7)),
            DailyLapseRiskSchedule.NextAfter(new DateTimeOffset(2026, 12, 31, 7, 0, 0, TimeSpan.FromHours(7)), Six, Wib));
    }
}
