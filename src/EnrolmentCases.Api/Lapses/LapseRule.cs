using EnrolmentCases.Cases;
using EnrolmentCases.Money;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Lapses;

public sealed class LapseOptions
{
    public const string Section = "Lapse";

    /// <summary>Unpaid months in a row a membership survives; one more and it lapses (BPJS Ketenagakerjaan: 3).</summary>
    public int GraceMonths { get; set; } = 3;

    /// <summary>How often the sweep records lapses and ends subsidies of past budget years; 0 turns it off.</summary>
    public double SweepIntervalMinutes { get; set; } = 60;

    public static IEnumerable<string> Rules(LapseOptions o)
    {
        if (o.GraceMonths is < 0 or > 24) yield return $"GraceMonths must be between 0 and 24 (is {o.GraceMonths})";
        if (o.SweepIntervalMinutes is < 0 or > 1440) yield return $"SweepIntervalMinutes must be between 0 (off) and 1440, a day (is {o.SweepIntervalMinutes})";
    }
}

/// <summary>
/// Pure lapse arithmetic. A case owes a premium for every month from DueFrom on; the months after
/// its settled month (the latest paid one, or the month before premiums fell due) are unpaid. Once
/// more than GraceMonths of them have fully passed, the membership is inactive.
/// </summary>
public static class LapseRule
{
    public static DateOnly LapsesOn(YearMonth settledThrough, int graceMonths) => settledThrough.AddMonths(graceMonths + 2).FirstDay;

    /// <summary>
    /// The settled months (by index) of the cases that lapse after today and before the day, unless paid:
    /// a lapse day is the first of a month, so it falls before the day when its month starts no later than
    /// the day's (the day's own month only when the day is not its first).
    /// </summary>
    public static (int From, int To) SettledBetween(DateOnly today, DateOnly before, int graceMonths)
    {
        var lastLapseMonth = YearMonth.Of(before).Index - (before.Day == 1 ? 1 : 0);
        var firstLapseMonth = YearMonth.Of(today).Index + 1;
        return (firstLapseMonth - graceMonths - 2, lastLapseMonth - graceMonths - 2);
    }

    /// <summary>Is a case at this stage, settled through this month, lapsed on that day (recorded or not)?</summary>
    public static bool IsLapsedOn(CaseStage stage, YearMonth? settledThrough, DateOnly day, int graceMonths) =>
        stage is CaseStage.Enrolled or CaseStage.Subsidized && settledThrough is { } settled && day >= LapsesOn(settled, graceMonths);

    public static CaseLapsed? Due(Case current, DateOnly today, int graceMonths, DateTimeOffset now)
    {
        if (!IsLapsedOn(current.Stage, current.SettledThrough, today, graceMonths)) return null;
        var firstUnpaid = current.SettledThrough!.Value.AddMonths(1);
        var unpaid = YearMonth.Of(today).Index - firstUnpaid.Index;
        return new CaseLapsed(firstUnpaid, unpaid, LapsesOn(current.SettledThrough.Value, graceMonths),
            $"{unpaid} consecutive months unpaid from {firstUnpaid}; more than {graceMonths} end the membership", now);
    }

    /// <summary>Would the case still be lapsed once this month is paid?</summary>
    public static bool StillLapsedAfterPaying(Case current, YearMonth month, DateOnly today, int graceMonths) =>
        today >= LapsesOn(current.SettledThrough is { } settled && settled > month ? settled : month, graceMonths);
}

/// <summary>The lapse rule with the configured grace: the step every command on a case starts with.</summary>
public sealed class LapsePolicy(IOptions<LapseOptions> options)
{
    public int GraceMonths => options.Value.GraceMonths;

    /// <summary>A lapse that has come due is history: it is recorded before the command, which decides on the case after it.</summary>
    public Decision Due(Case current, Regencies.Now now) =>
        LapseRule.Due(current, now.Today, GraceMonths, now.Instant) is { } lapsed ? Decision.Record(lapsed) : Decision.Record();
}
