using System.Security.Claims;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Closing;
using EnrolmentCases.Cases.Contacting;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Payments;
using EnrolmentCases.Regencies;
using EnrolmentCases.Subsidies;
using EnrolmentCases.Targets;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace EnrolmentCases.DemoData;

public sealed record DemoSummary(int Cases, int Commands, TimeSpan Took);

/// <summary>
/// Plays the demo plan through the same validation, decisions and write path the API uses, each
/// command at its own instant of 2025-2026 (every worker has a clock of its own, so cases load in parallel).
/// </summary>
public sealed class DemoLoader(IDocumentStore store, ReferenceData reference, IOptions<LapseOptions> lapseOptions,
    IOptions<TariffOptions> tariff, ILoggerFactory logs)
{
    private const long Premium = 16_800;

    public async Task<bool> DatabaseIsEmptyAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return !await session.Query<Case>().AnyAsync(ct);
    }

    public async Task<DemoSummary> LoadAsync(double scale, int workers, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var plan = DemoPlan.Cases(scale);
        var commands = 0;

        await SetTargetsAsync(scale, 2025, ct);
        await SetTargetsAsync(scale, 2026, ct);
        await AllocateAsync(plan, 2025, ct);

        var lanes = Enumerable.Range(0, workers).Select(i => new Lane(this, plan.Where((_, n) => n % workers == i).ToList())).ToList();
        commands += (await Task.WhenAll(lanes.Select(l => l.RunAsync(at => at < DemoPlan.YearTurn, ct)))).Sum();
        await SweepAsync(DemoPlan.YearTurn, ct);

        await AllocateAsync(plan, 2026, ct);
        commands += (await Task.WhenAll(lanes.Select(l => l.RunAsync(_ => true, ct)))).Sum();
        await SweepAsync(DemoPlan.End, ct);
        return new DemoSummary(plan.Count, commands, DateTimeOffset.UtcNow - started);
    }

    private async Task SetTargetsAsync(double scale, int year, CancellationToken ct)
    {
        var context = PlannerContext(ct);
        foreach (var regency in DemoPlan.Regencies)
        {
            await SetTargetEndpoint.SetAsync(store, context, regency.Code, year,
                new SetTarget(DemoPlan.Eligible(regency, scale), DemoPlan.TargetSource), Wib(year, 1, 2));
        }
    }

    /// <summary>Budgets on the 70/30 split: what the plan's grants commit, with headroom, and an APBD-P top-up in August.</summary>
    private async Task AllocateAsync(IReadOnlyList<DemoCase> plan, int year, CancellationToken ct)
    {
        var grants = plan.SelectMany(c => c.Steps.Select(s => (c.RegencyCode, s.Command)))
            .Where(x => x.Command is GrantSubsidy g && g.BudgetYear == year)
            .Select(x => (x.RegencyCode, Grant: (GrantSubsidy)x.Command)).ToList();
        var context = PlannerContext(ct);
        foreach (var group in grants.GroupBy(g => (g.Grant.Payer!.Value, g.Grant.Payer == Payer.ApbdRegency ? g.RegencyCode : null)))
        {
            var need = group.Sum(g => g.Grant.Months!.Value * Premium);
            var (payer, regency) = group.Key;
            await RecordAllocationEndpoint.RecordAsync(store, context,
                new RecordAllocation(payer, regency, year, need * 105 / 100, BudgetKind.Apbd, "demo: APBD as passed"), Wib(year, 1, 2));
            if (year == 2026)
                await RecordAllocationEndpoint.RecordAsync(store, context,
                    new RecordAllocation(payer, regency, year, need * 5 / 100 + Premium, BudgetKind.ApbdP, "demo: revised budget top-up"),
                    Wib(year, 8, 15));
        }
    }

    private LapsePolicy PolicyOn(TimeProvider clock) => new(lapseOptions, clock);

    private CaseCommand CommandsWith(LapsePolicy lapses) => new(store, lapses);

    private async Task SweepAsync(DateTimeOffset at, CancellationToken ct)
    {
        var lapses = PolicyOn(new SettableClock(at));
        var sweep = new CaseSweep(store, CommandsWith(lapses), lapses, logs.CreateLogger<CaseSweep>());
        await sweep.RunOnceAsync(ct);
    }

    private CommandContext PlannerContext(CancellationToken ct) =>
        new(new Caller("demo-planner", "Demo planner", Roles.Planner, new HashSet<string>()), Guid.NewGuid().ToString("N"),
            "demo data", ct);

    private static DateTimeOffset Wib(int year, int month, int day) => new(year, month, day, 8, 0, 0, TimeSpan.FromHours(7));

    /// <summary>A share of the cases, replayed in time order on a clock of its own.</summary>
    private sealed class Lane(DemoLoader loader, IReadOnlyList<DemoCase> cases)
    {
        private readonly SettableClock _clock = new(DateTimeOffset.MinValue);
        private readonly Dictionary<DemoCase, (Guid Id, int Next)> _progress = new();

        public async Task<int> RunAsync(Func<DateTimeOffset, bool> upTo, CancellationToken ct)
        {
            var lapses = loader.PolicyOn(_clock);
            var commands = loader.CommandsWith(lapses);
            var count = 0;
            foreach (var demoCase in cases)
            {
                var (id, next) = _progress.GetValueOrDefault(demoCase);
                for (; next < demoCase.Steps.Count && upTo(demoCase.Steps[next].At); next++)
                {
                    var step = demoCase.Steps[next];
                    _clock.Set(step.At);
                    id = await loader.RunAsync(demoCase.RegencyCode, id, step.Command, commands, lapses, ct);
                    count++;
                }

                _progress[demoCase] = (id, next);
            }

            return count;
        }
    }

    private async Task<Guid> RunAsync(string regency, Guid caseId, object command, CaseCommand cases, LapsePolicy lapses,
        CancellationToken ct)
    {
        var caller = new Caller($"demo-caseworker-{regency}", $"Demo caseworker {reference.FindRegency(regency)?.Name}",
            Roles.Caseworker, new HashSet<string> { regency });
        var context = new CommandContext(caller, Guid.NewGuid().ToString("N"), "demo data", ct);
        var user = new ClaimsPrincipal(new ClaimsIdentity([
            new Claim(ClaimNames.Role, Roles.Caseworker), new Claim(ClaimNames.Regency, regency)
        ], "demo"));
        var now = lapses.Now;

        var problem = command switch
        {
            IdentifyWorker c => IdentifyWorkerEndpoint.Validate(c, reference, user),
            RecordContactAttempt c => RecordContactAttemptEndpoint.Validate(c, new SettableClock(now)),
            EnrolWorker c => EnrolWorkerEndpoint.Validate(c, new SettableClock(now)),
            GrantSubsidy c => GrantSubsidyEndpoint.Validate(c),
            RecordPremiumPayment c => RecordPremiumPaymentEndpoint.Validate(c, lapses),
            CloseCase c => CloseCaseEndpoint.Validate(c),
            _ => throw new InvalidOperationException($"The demo has no {command.GetType().Name} command")
        };
        if (problem != WolverineContinue.NoProblems) throw Refused(command, problem);

        var outcome = command switch
        {
            IdentifyWorker c => await IdentifyWorkerEndpoint.OpenAsync(store, context, c, lapses),
            RecordContactAttempt c => await cases.ExecuteAsync(context, caseId, null, x => RecordContactAttemptEndpoint.Decide(x, c, now)),
            EnrolWorker c => await cases.ExecuteAsync(context, caseId, null, x => EnrolWorkerEndpoint.Decide(x, c, now)),
            GrantSubsidy c => await cases.ExecuteAsync(context, caseId, null, x => [SubsidyDecisions.Grant(x, c, tariff.Value, now)]),
            RecordPremiumPayment c => await cases.ExecuteAsync(context, caseId, null,
                x => PaymentDecisions.Record(x, c, lapses.Today, lapses.GraceMonths, now)),
            CloseCase c => await cases.ExecuteAsync(context, caseId, null, x => CloseCaseEndpoint.Decide(x, c, now), CloseCaseEndpoint.ReleaseNik),
            _ => throw new InvalidOperationException()
        };
        return outcome switch
        {
            CommandOutcome.Accepted ok => ok.Id,
            CommandOutcome.Refused no => throw Refused(command, no.Problem),
            _ => throw new InvalidOperationException()
        };
    }

    private static InvalidOperationException Refused(object command, ProblemDetails problem) =>
        new($"The demo plan is inconsistent: {command} was refused: {problem.Title}. {problem.Detail}");
}

/// <summary>A clock set by hand: the demo's simulated time.</summary>
public sealed class SettableClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now.ToUniversalTime();

    public void Set(DateTimeOffset now) => _now = now;
}
