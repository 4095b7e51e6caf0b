using EnrolmentCases.Cases;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Subsidies;
using Marten;
using Marten.Pagination;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Lapses;

/// <summary>
/// Records what the calendar decides on its own: memberships that lapsed, and subsidies whose
/// budget year is over. Reads evaluate the lapse rule too, so a late sweep never shows a wrong
/// stage; the sweep makes it part of the history and of the worklist.
/// </summary>
public sealed class CaseSweep(IDocumentStore store, CaseCommand cases, LapsePolicy lapses, ILogger<CaseSweep> logger)
{
    private const int BatchSize = 500;

    public async Task<SweepResult> RunOnceAsync(CancellationToken ct)
    {
        var today = lapses.Today;
        // Lapsed on `today` when the settled month is at least grace + 2 months back (see LapseRule).
        var settledAtMost = YearMonth.Of(today).Index - lapses.GraceMonths - 2;
        var lapsing = await IdsAsync(c => (c.Stage == CaseStage.Enrolled || c.Stage == CaseStage.Subsidized)
                                          && c.SettledThroughIndex <= settledAtMost, ct);
        var yearOver = await IdsAsync(c => c.Subsidy != null && c.Subsidy.BudgetYear < today.Year, ct);

        var context = CommandContext.ForJob("case-sweep", ct);
        var recorded = 0;
        foreach (var id in lapsing.Union(yearOver))
        {
            // The pending lapse is recorded by the command path itself; the decision adds the subsidy's end.
            var outcome = await cases.ExecuteAsync(context, id, null, current =>
                current.Subsidy is { } s && s.BudgetYear < today.Year
                    ? [SubsidyDecisions.End(current, SubsidyEndReason.BudgetYearOver, lapses.Now)!]
                    : []);
            if (outcome is CommandOutcome.Accepted) recorded++;
            else logger.LogWarning("Sweep could not update case {CaseId}: {Outcome}", id, outcome);
        }

        return new SweepResult(lapsing.Count, yearOver.Count, recorded);
    }

    private async Task<List<Guid>> IdsAsync(System.Linq.Expressions.Expression<Func<Case, bool>> filter, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var ids = new List<Guid>();
        for (var page = 1; ; page++)
        {
            var batch = await session.Query<Case>().Where(filter).OrderBy(c => c.Id).Select(c => c.Id)
                .ToPagedListAsync(page, BatchSize, ct);
            ids.AddRange(batch);
            if (!batch.HasNextPage) return ids;
        }
    }
}

public sealed record SweepResult(int Lapsing, int SubsidiesEnding, int CasesUpdated);

/// <summary>Runs the sweep at start-up and then every SweepIntervalMinutes.</summary>
public sealed class CaseSweepService(CaseSweep sweep, IOptions<LapseOptions> options, ILogger<CaseSweepService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var minutes = options.Value.SweepIntervalMinutes;
        if (minutes <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(minutes));
        do
        {
            try
            {
                var result = await sweep.RunOnceAsync(stoppingToken);
                logger.LogInformation("Case sweep: {Lapsing} lapsing, {Ending} subsidies ending, {Updated} cases updated",
                    result.Lapsing, result.SubsidiesEnding, result.CasesUpdated);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Case sweep failed; it runs again in {Minutes} minutes", minutes);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
