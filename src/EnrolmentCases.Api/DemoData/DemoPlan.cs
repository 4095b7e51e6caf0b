using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Closing;
using EnrolmentCases.Cases.Contacting;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Money;
using EnrolmentCases.Payments;
using EnrolmentCases.Subsidies;

namespace EnrolmentCases.DemoData;

/// <summary>A regency in the demo: its vulnerable workers (the target) and the coverage it should reach.</summary>
public sealed record DemoRegency(string Code, long VulnerableWorkers, double Coverage, string Occupation);

/// <summary>One step of a case's story, at the instant it happens.</summary>
public sealed record DemoStep(DateTimeOffset At, object Command);

public sealed record DemoCase(string RegencyCode, CaseStage FinalStage, IReadOnlyList<DemoStep> Steps);

/// <summary>
/// A deterministic Bengkulu: per regency a target, and cases whose stories over 2025-2026 end in
/// every stage, so that coverage reproduces the November 2024 article (province 37 %, Kaur 75 %,
/// Lebong 17 %). Pure: the same scale always gives the same plan.
/// </summary>
public static class DemoPlan
{
    /// <summary>
    /// Vulnerable workers per regency add up to the 114,883 the province counted; Kepahiang (12,156) and
    /// Lebong (13,300) are published figures, the others are spread by population. The coverage ratios
    /// give Kaur 75 %, Lebong 17 % and 37 % for the province.
    /// </summary>
    public static readonly DemoRegency[] Regencies =
    [
        new("17.01", 10_500, 0.40, "fisher"),
        new("17.02", 16_000, 0.36, "coffee farmer"),
        new("17.03", 17_500, 0.32, "palm oil smallholder"),
        new("17.04", 8_200, 0.75, "rubber tapper"),
        new("17.05", 12_400, 0.35, "rice farm labourer"),
        new("17.06", 11_000, 0.42, "palm oil harvester"),
        new("17.07", 13_300, 0.17, "coffee farmer"),
        new("17.08", 12_156, 0.39, "coffee farmer"),
        new("17.09", 9_800, 0.25, "rubber tapper"),
        new("17.71", 4_027, 0.60, "market trader")
    ];

    public const string TargetSource = "Vulnerable workers counted by the province (Disnakertrans, Nov 2024), scaled";

    /// <summary>The instant the story ends; reports read after it (and before March 2027) show the article's figures.</summary>
    public static readonly DateTimeOffset End = Wib(2026, 11, 22, 6);

    public static readonly DateTimeOffset YearTurn = Wib(2026, 1, 2, 6);

    private static readonly string[] GivenNames =
    [
        "Siti", "Nurhayati", "Sri", "Dewi", "Rina", "Yuli", "Ani", "Wati", "Lestari", "Fitri",
        "Budi", "Agus", "Joko", "Hendra", "Rudi", "Dedi", "Slamet", "Iwan", "Yusuf", "Rahmat"
    ];

    private static readonly string[] FamilyNames =
    [
        "Rahmawati", "Susanti", "Handayani", "Saputra", "Hidayat", "Kurniawan", "Wijaya", "Setiawan",
        "Pratama", "Syahputra", "Marlina", "Yanti", "Harahap", "Siregar", "Lubis", "Effendi"
    ];

    private static readonly string[] Districts = ["Kota", "Utara", "Selatan", "Barat", "Timur", "Tengah"];

    public static long Eligible(DemoRegency regency, double scale) => (long)Math.Round(regency.VulnerableWorkers * scale, MidpointRounding.AwayFromZero);

    public static long Covered(DemoRegency regency, double scale) => (long)Math.Round(Eligible(regency, scale) * regency.Coverage, MidpointRounding.AwayFromZero);

    /// <summary>The plan at a scale; premium is the subsidised package and provinceShare the province's part of the subsidised workers.</summary>
    public static IReadOnlyList<DemoCase> Cases(double scale, long premium, double provinceShare, int seed = 2024)
    {
        var random = new Random(seed);
        var cases = new List<DemoCase>();
        var serial = 0;
        foreach (var regency in Regencies)
        {
            var eligible = Eligible(regency, scale);
            var covered = Covered(regency, scale);
            var subsidised = (long)Math.Round(covered * 0.6);
            var byProvince = (long)Math.Round(subsidised * provinceShare);
            var uncovered = new (CaseStage Stage, long Count)[]
            {
                (CaseStage.Identified, (long)Math.Round(eligible * 0.08)),
                (CaseStage.Contacted, (long)Math.Round(eligible * 0.05)),
                (CaseStage.Lapsed, (long)Math.Round(eligible * 0.03)),
                (CaseStage.Closed, (long)Math.Round(eligible * 0.02))
            };

            for (var i = 0; i < covered; i++)
            {
                var story = i < byProvince ? Story.Province : i < subsidised ? Story.Regency : Story.SelfPaying;
                cases.Add(Build(regency, story, random, ++serial, premium));
            }

            foreach (var (stage, count) in uncovered)
            for (var i = 0; i < count; i++)
                cases.Add(Build(regency, stage switch
                {
                    CaseStage.Identified => Story.Identified,
                    CaseStage.Contacted => Story.Contacted,
                    CaseStage.Lapsed => Story.Lapsing,
                    _ => Story.Closed
                }, random, ++serial, premium));
        }

        return cases;
    }

    /// <summary>How a case's story ends: the kinds of case the plan (and the generator) mixes.</summary>
    public enum Story { Identified, Contacted, Closed, Lapsing, SelfPaying, Regency, Province }

    /// <summary>One case's story over 2025-2026: its steps (commands at their instants) drawn from random.</summary>
    public static DemoCase Build(DemoRegency regency, Story story, Random random, int serial, long premium)
    {
        var steps = new List<DemoStep>();
        // Identified some time between January 2025 and mid-2026; self-payers were found in 2026.
        var identified = story switch
        {
            Story.SelfPaying => Wib(2026, 3, 1).AddDays(random.Next(0, 120)),
            Story.Lapsing => Wib(2025, 1, 6).AddDays(random.Next(0, 150)),
            Story.Province => Wib(2025, 1, 6).AddDays(random.Next(0, 300)),
            _ => Wib(2025, 1, 6).AddDays(random.Next(0, 540))
        };
        steps.Add(new DemoStep(identified, Worker(regency, random, serial)));

        if (story == Story.Closed)
        {
            var reason = random.Next(4) switch
            {
                0 => ClosureReason.Declined, 1 => ClosureReason.Ineligible, 2 => ClosureReason.MovedAway, _ => ClosureReason.Duplicate
            };
            steps.Add(new DemoStep(identified.AddDays(random.Next(3, 40)), new CloseCase(reason, "closed after follow-up")));
            return new DemoCase(regency.Code, CaseStage.Closed, steps);
        }

        var at = identified;
        if (random.Next(3) == 0)
        {
            at = at.AddDays(random.Next(1, 10));
            steps.Add(new DemoStep(at, new RecordContactAttempt(ContactChannel.Phone, ContactOutcome.Unreachable, "no answer", at)));
        }

        if (story == Story.Identified) return new DemoCase(regency.Code, CaseStage.Identified, steps);

        at = at.AddDays(random.Next(2, 25));
        var channel = (ContactChannel)random.Next(5);
        steps.Add(new DemoStep(at, new RecordContactAttempt(channel, ContactOutcome.Reached, "agreed to enrol", at)));
        if (story == Story.Contacted) return new DemoCase(regency.Code, CaseStage.Contacted, steps);

        at = at.AddDays(random.Next(5, 30));
        var effective = new DateOnly(at.Year, at.Month, 1);
        steps.Add(new DemoStep(at, new EnrolWorker($"{24_000_000_000 + serial}", [Programme.Jkk, Programme.Jkm], 1_000_000, effective)));

        switch (story)
        {
            case Story.Lapsing:
                // Pays the first two months itself, then stops: the membership lapses after three unpaid months.
                SelfPay(steps, YearMonth.Of(effective), 2, premium);
                return new DemoCase(regency.Code, CaseStage.Lapsed, steps);

            case Story.SelfPaying:
                SelfPay(steps, YearMonth.Of(effective), MonthsThrough(YearMonth.Of(effective), new YearMonth(2026, 10)), premium);
                return new DemoCase(regency.Code, CaseStage.Enrolled, steps);
        }

        // Subsidised: the province paid September-December 2025 for workers enrolled by then, and then
        // the province (30 %) or the regency (70 %) pays all of 2026 from the month of the grant.
        var grants = new List<(DateTimeOffset At, GrantSubsidy Grant)>();
        if (story == Story.Province && at < Wib(2025, 8, 25))
            grants.Add((Wib(2025, 9, 3), new GrantSubsidy(Payer.ApbdProvince, 2025, "2025-09", 4)));
        var grantedAt = story == Story.Province
            ? Max(at, Wib(2026, 1, 10)).AddDays(random.Next(0, 20))
            : Max(at.AddDays(random.Next(1, 15)), Wib(2026, 1, 12));
        var start = new YearMonth(2026, grantedAt.Month);
        grants.Add((grantedAt, new GrantSubsidy(story == Story.Province ? Payer.ApbdProvince : Payer.ApbdRegency, 2026,
            start.ToString(), 12 - start.Month + 1)));

        // Until the first grant the worker pays; no month may go unpaid long enough to lapse.
        var bridge = YearMonth.Of(effective);
        var firstGrant = grants[0];
        var months = 0;
        while (bridge.AddMonths(months) < YearMonth.Of(DateOnly.FromDateTime(firstGrant.At.DateTime)) &&
               SelfPaidOn(bridge.AddMonths(months)) < firstGrant.At)
            months++;
        SelfPay(steps, bridge, months, premium);

        foreach (var (grantAt, grant) in grants)
        {
            steps.Add(new DemoStep(grantAt, grant));
            YearMonth.TryParse(grant.StartMonth, out var from);
            var last = from.AddMonths(grant.Months!.Value - 1);
            if (last > new YearMonth(2026, 10)) last = new YearMonth(2026, 10);
            BudgetPays(steps, from, MonthsThrough(from, last), grantAt, premium);
        }

        return new DemoCase(regency.Code, CaseStage.Subsidized, steps.OrderBy(x => x.At).ToList());
    }

    private static int MonthsThrough(YearMonth from, YearMonth last) => Math.Max(0, last.Index - from.Index + 1);

    /// <summary>A worker pays each month on the 15th of the month after it.</summary>
    private static DateTimeOffset SelfPaidOn(YearMonth month) => Wib(month.AddMonths(1).Year, month.AddMonths(1).Month, 15, 10);

    private static void SelfPay(List<DemoStep> steps, YearMonth first, int months, long premium)
    {
        for (var i = 0; i < months; i++)
        {
            var month = first.AddMonths(i);
            var paidOn = SelfPaidOn(month);
            steps.Add(new DemoStep(paidOn, new RecordPremiumPayment(month.ToString(), premium, DateOnly.FromDateTime(paidOn.DateTime))));
        }
    }

    /// <summary>A budget pays each subsidised month on its 25th, and never before the grant.</summary>
    private static void BudgetPays(List<DemoStep> steps, YearMonth first, int months, DateTimeOffset granted, long premium)
    {
        for (var i = 0; i < months; i++)
        {
            var month = first.AddMonths(i);
            var paidOn = Max(Wib(month.Year, month.Month, 25, 10), granted.AddDays(1));
            steps.Add(new DemoStep(paidOn, new RecordPremiumPayment(month.ToString(), premium, DateOnly.FromDateTime(paidOn.DateTime))));
        }
    }

    private static IdentifyWorker Worker(DemoRegency regency, Random random, int serial)
    {
        var woman = random.Next(2) == 0;
        var given = GivenNames[random.Next(woman ? 0 : 10, woman ? 10 : 20)];
        var name = $"{given} {FamilyNames[random.Next(FamilyNames.Length)]}";
        // One in five was registered in another regency of the province: attribution follows domicile.
        var issuedIn = random.Next(5) == 0 ? Regencies[random.Next(Regencies.Length)].Code : regency.Code;
        var born = new DateOnly(1960, 1, 1).AddDays(random.Next(0, 16_000));
        var nik = $"{issuedIn.Replace(".", "")}{serial / 9000 % 40 + 1:00}{born.Day + (woman ? 40 : 0):00}{born.Month:00}{born.Year % 100:00}{serial % 9000 + 1:0000}";
        var source = (WorkerSource)random.Next(5);
        return new IdentifyWorker(nik, name, regency.Code, regency.Occupation, source,
            $"Kecamatan {Districts[random.Next(Districts.Length)]}", $"Desa {random.Next(1, 40):00}",
            random.Next(3) == 0 ? null : $"08{random.Next(11, 99)}{random.Next(1_000_000, 9_999_999)}");
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 9) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));
}
