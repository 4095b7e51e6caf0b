namespace EnrolmentCases.Forecast;

/// <summary>
/// The year's subsidised cohort from its counts (ADR 0042): one row per regency, payer, start month and premium, so the
/// forecast reads a few hundred rows however many workers are subsidised. The counts are kept by the async daemon, like
/// the coverage figures the forecast shows beside them.
/// </summary>
public static class SubsidyCohort
{
    public static async Task<IReadOnlyList<CohortMember>> OfYearAsync(IQuerySession session, int year, CancellationToken ct)
    {
        var counts = await session.Query<SubsidyCohortCount>().Where(c => c.Year == year && c.Workers != 0).ToListAsync(ct);
        return counts.Select(c => c.Member).ToList();
    }
}
