using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Money;
using EnrolmentCases.Payments;
using EnrolmentCases.Reconciliations;

namespace EnrolmentCases.DemoData;

/// <summary>
/// The status file BPJS Ketenagakerjaan would send back about the demo's memberships, reported on 2026-11-20,
/// derived from the plan alone (so the same at the same scale, whether or not the data is loaded yet), with the
/// drift offices meet: a few memberships the insurer holds inactive, months it has not received, lapsed
/// workers who paid at the branch office, and KPJs the regions never heard of.
/// </summary>
public static class DemoInsurerFile
{
    public static readonly DateOnly ReportedOn = new(2026, 11, 20);

    /// <summary>The file's CSV text: a header, then one row per enrolled worker, then the unknown ones.</summary>
    public static string Csv(IReadOnlyList<DemoCase> plan, int seed = 2611)
    {
        var random = new Random(seed);
        var lines = new List<string> { string.Join(",", StatusFiles.Columns) };
        foreach (var demo in plan)
        {
            if (demo.Steps.Select(s => s.Command).OfType<EnrolWorker>().FirstOrDefault() is not { } enrolment) continue;
            var nik = demo.Steps.Select(s => s.Command).OfType<IdentifyWorker>().First().Nik!;
            var paidThrough = demo.Steps.Select(s => s.Command).OfType<RecordPremiumPayment>()
                .Select(p => YearMonth.TryParse(p.Month, out var month) ? month : (YearMonth?)null).Max();
            var active = demo.FinalStage is CaseStage.Enrolled or CaseStage.Subsidized;

            var (status, through) = (active ? MembershipStatus.Active : MembershipStatus.Inactive, paidThrough);
            var draw = random.NextDouble();
            if (active && draw < 0.03) status = MembershipStatus.Inactive; // never activated, or left when the worker became a wage earner
            else if (active && draw < 0.055) through = paidThrough?.AddMonths(-random.Next(1, 3)); // months the insurer has not received
            else if (!active && draw < 0.10) (status, through) = (MembershipStatus.Active, paidThrough?.AddMonths(2)); // paid at the branch office
            lines.Add(Line(enrolment.MembershipNumber!, nik, status, through));
        }

        // About one row in a hundred names a membership no region opened a case for.
        var unknown = Math.Max(1, (lines.Count - 1) / 100);
        for (var i = 1; i <= unknown; i++)
            lines.Add(Line($"{25_000_000_000 + i}", $"177101{i % 28 + 1:00}0390{i % 9000 + 1:0000}", MembershipStatus.Active, new YearMonth(2026, 10)));
        return string.Join("\r\n", lines) + "\r\n";
    }

    private static string Line(string kpj, string nik, MembershipStatus status, YearMonth? paidThrough) =>
        $"{kpj},{nik},{(status == MembershipStatus.Active ? "active" : "inactive")},{paidThrough},{ReportedOn:yyyy-MM-dd}";
}
