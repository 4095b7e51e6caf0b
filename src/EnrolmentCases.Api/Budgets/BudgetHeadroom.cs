using System.Diagnostics;
using System.Diagnostics.Metrics;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using Npgsql;

namespace EnrolmentCases.Budgets;

/// <summary>
/// enrolment.budget.remaining: what each budget of this year and later can still commit, in rupiah,
/// by payer, regency (regency budgets only) and year: at most eleven series a year. Read from the
/// budgets' snapshots, one small query.
/// </summary>
public sealed class BudgetHeadroom : IInstruments
{
    private readonly IDocumentStore _store;
    private readonly ProvinceCalendar _calendar;

    public BudgetHeadroom(IDocumentStore store, ProvinceCalendar calendar, ApiMeter meter)
    {
        _store = store;
        _calendar = calendar;
        meter.Meter.CreateObservableGauge("enrolment.budget.remaining", Observe, "IDR",
            "Allocation not yet committed, per budget of this year and later (payer, regency, year).");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        var thisYear = _calendar.Today.Year;
        IReadOnlyList<Budget> budgets;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            // Instruments are read synchronously; this runs on the metric reader's own thread, not a request's.
            budgets = Task.Run(async () =>
            {
                await using var session = _store.QuerySession();
                return await session.Query<Budget>().Where(b => b.Year >= thisYear).ToListAsync(timeout.Token);
            }).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or OperationCanceledException)
        {
            return [];
        }

        return budgets.Select(b =>
        {
            var tags = new TagList
            {
                { "payer", b.Payer == Payer.ApbdProvince ? "APBD_PROVINCE" : "APBD_REGENCY" },
                { "year", b.Year }
            };
            if (b.RegencyCode is { } regency) tags.Add("regency", regency);
            return new Measurement<long>(b.Remaining, tags);
        });
    }
}
