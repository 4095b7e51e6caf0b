using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Regencies;
using System.Linq.Expressions;
using Microsoft.Extensions.Options;
using Wolverine;
using EnrolmentCases.Infrastructure;
using Wolverine.Runtime;
using Wolverine.Runtime.Agents;

namespace EnrolmentCases.Lapses.Sweeping;

public sealed record SweepResult(int Lapsing, int SubsidiesEnding, int CasesUpdated);

/// <summary>
/// Finds the cases the calendar has decided something about and sends each a SweepCase. Reads
/// apply the lapse rule too, so a late sweep never shows a wrong stage; the sweep makes it part
/// of the history and of the worklist.
/// </summary>
public sealed class CaseSweep(IDocumentStore store, IWolverineRuntime wolverine, LapsePolicy lapses, ProvinceCalendar calendar,
    ILogger<CaseSweep> logger)
{
    public async Task<SweepResult> RunOnceAsync(CancellationToken ct)
    {
        var today = calendar.Today;
        // Lapsed on `today` when the settled month is at least grace + 2 months back (see LapseRule).
        var settledAtMost = Money.YearMonth.Of(today).Index - lapses.GraceMonths - 2;
        var lapsing = await IdsAsync(Lapsing(settledAtMost), ct);
        var yearOver = await IdsAsync(YearOver(today.Year), ct);

        var bus = new MessageBus(wolverine);
        var run = Guid.NewGuid().ToString("N");
        var updated = 0;
        foreach (var id in lapsing.Union(yearOver))
        {
            try
            {
                await bus.InvokeAsync(new SweepCase(id, run), ct);
                updated++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Sweep could not update case {CaseId}", id);
            }
        }

        return new SweepResult(lapsing.Count, yearOver.Count, updated);
    }

    /// <summary>The active memberships whose settled month is at most the given one: lapsed by the rule.</summary>
    public static Expression<Func<CaseDetails, bool>> Lapsing(int settledAtMost) =>
        c => (c.Stage == CaseStage.Enrolled || c.Stage == CaseStage.Subsidized) && c.SettledThroughIndex <= settledAtMost;

    /// <summary>The subsidies of a budget year before the given one.</summary>
    public static Expression<Func<CaseDetails, bool>> YearOver(int year) => c => c.Subsidy != null && c.Subsidy.BudgetYear < year;

    /// <summary>
    /// The ids in one statement, read through the filter's index (ADR 0052). No order and no pages: ordered by id, the
    /// planner walked the primary key through every case to fill a page it expected to fill early, and each further
    /// page (an offset with a window count) walked it again.
    /// </summary>
    private async Task<IReadOnlyList<Guid>> IdsAsync(Expression<Func<CaseDetails, bool>> filter, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.Query<CaseDetails>().Where(filter).Select(c => c.Id).ToListAsync(ct);
    }
}

/// <summary>
/// Runs the sweep when it starts and then every SweepIntervalMinutes, on exactly one node of the
/// cluster: an agent the cluster's leader assigns, and moves to another node when this one dies.
/// </summary>
public sealed class CaseSweepAgent(CaseSweep sweep, IOptions<LapseOptions> options, ILogger<CaseSweepAgent> logger)
    : SingularAgent("lapse-sweep")
{
    private readonly BackgroundLoop _loop = new(logger, "The case sweep");

    protected override Task startAsync(CancellationToken cancellationToken)
    {
        var minutes = options.Value.SweepIntervalMinutes;
        if (minutes > 0) _loop.Start(TimeSpan.FromMinutes(minutes), RunOnceAsync, runAtOnce: true);
        return Task.CompletedTask;
    }

    protected override Task stopAsync(CancellationToken cancellationToken) => _loop.StopAsync();

    private async Task RunOnceAsync(CancellationToken ct)
    {
        var result = await sweep.RunOnceAsync(ct);
        logger.LogInformation("Case sweep: {Lapsing} lapsing, {Ending} subsidies ending, {Updated} cases updated",
            result.Lapsing, result.SubsidiesEnding, result.CasesUpdated);
    }
}
