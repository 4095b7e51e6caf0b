using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Money;

namespace EnrolmentCases.Forecast;

/// <summary>
/// The year's subsidised cohort, grouped in the database: one row per regency, payer, start month and premium, counted
/// over the case views' `subsidy_cohort` column and its index (ADR 0028), so the forecast reads a few hundred rows
/// rather than every subsidised case. The view is written inline with the events, so a grant or an ended subsidy
/// shows at once, and a rebuild of the view rebuilds the column.
/// </summary>
public static class SubsidyCohort
{
    private sealed record Group(string RegencyCode, string Cohort, long Workers);

    public static async Task<IReadOnlyList<CohortMember>> OfYearAsync(IQuerySession session, int year, CancellationToken ct)
    {
        var views = session.DocumentStore.Options.Schema.For<CaseDetails>();
        // The column begins with the year's four digits: the year's rows lie in [year, year + 1) in any collation.
        var groups = await session.AdvancedSql.QueryAsync<Group>(
            $"select json_build_object('regencyCode', regency_code, 'cohort', subsidy_cohort, 'workers', count(*)) from {views} " +
            "where subsidy_cohort >= ? and subsidy_cohort < ? group by regency_code, subsidy_cohort",
            ct, $"{year:D4}", $"{year + 1:D4}");
        return groups.Select(Member).Where(m => m is not null && m.Year == year)
            .Select(m => new CohortMember(m!.RegencyCode, m.Payer, m.StartMonth, m.MonthlyPremium, m.Workers)).ToList();
    }

    private sealed record Parsed(int Year, string RegencyCode, Payer Payer, YearMonth StartMonth, long MonthlyPremium, long Workers);

    private static Parsed? Member(Group g)
    {
        var parts = g.Cohort.Split('|');
        return parts.Length == 4 && int.TryParse(parts[0], out var year) && Enum.TryParse<Payer>(parts[1], out var payer)
               && int.TryParse(parts[2], out var start) && long.TryParse(parts[3], out var premium)
            ? new Parsed(year, g.RegencyCode, payer, YearMonth.FromIndex(start), premium, g.Workers)
            : null;
    }
}
