using System.Diagnostics;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Closing;
using EnrolmentCases.Cases.Contacting;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Coverage;
using EnrolmentCases.Forecast;
using EnrolmentCases.Imports;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Payments;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using EnrolmentCases.Subsidies;
using EnrolmentCases.Targets;
using JasperFx.Events.Projections;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.DemoData;

/// <summary>What the generator wrote: enough to check every read against it.</summary>
public sealed record GeneratedDataset(
    long Cases,
    long Events,
    IReadOnlyDictionary<(string Regency, CaseStage Stage), long> ByStage,
    IReadOnlyDictionary<string, long> EligibleWorkers,
    IReadOnlyList<GeneratedCohort> Cohorts,
    IReadOnlyDictionary<Guid, int> EventsOfSampleCases,
    TimeSpan Writing);

/// <summary>Cases subsidised in 2026 by payer, regency, start month and premium (what the forecast groups).</summary>
public sealed record GeneratedCohort(string Regency, Payer Payer, YearMonth StartMonth, long MonthlyPremium, long Workers);

/// <summary>
/// Writes a large, realistic dataset straight into the event store (ADR 0032): cases told as the demo plan tells them
/// (every stage, 2025-2026, the province's spread and coverage), each command decided by the product's own pure
/// decisions (Decide, SubsidyDecisions, the lapse rule, the coverage annotation, the budget ledger) on the case's state
/// in memory, and written set-wise through BulkOpening: claims, per-person data keys, streams and events with their
/// metadata and MAC chain, search entries. Read models are rebuilt afterwards (RebuildAsync).
/// </summary>
public sealed class DatasetGenerator(
    IDocumentStore store, BulkOpening bulk, PersonalData privacy, SearchIndex search, ProvinceCalendar calendar,
    IOptions<TariffOptions> tariffOptions, IOptions<ForecastOptions> forecastOptions, LapsePolicy lapses, IConfiguration configuration)
{
    /// <summary>Share of a regency's cases by the way their story ends, from DemoPlan's mix (covered 60 % subsidised; 8/5/3/2 % of the eligible uncovered).</summary>
    private const double Uncovered = 0.18;

    /// <summary>Metadata of the generator's commands: the regency's caseworker, the sweep, a planner.</summary>
    private static string Caseworker(string regency) => $"generated-caseworker-{regency}";

    private const string Planner = "generated-planner";

    public async Task<bool> StoreIsEmptyAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return !await session.Events.QueryAllRawEvents().AnyAsync(ct);
    }

    public async Task<GeneratedDataset> WriteAsync(long cases, int seed, IReadOnlyList<string>? regencyCodes, int batchSize,
        Action<string>? progress, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var tariff = tariffOptions.Value;
        var premium = Tariff.SubsidisedPackage(tariff);
        var provinceShare = forecastOptions.Value.ProvinceShare;
        var regencies = DemoPlan.Regencies.Where(r => regencyCodes is null || regencyCodes.Contains(r.Code)).ToArray();
        if (regencies.Length == 0) throw new ArgumentException("None of the regencies asked for is in the demo's province.");

        // Cases per regency follow its vulnerable workers; its eligible workers follow from its coverage.
        var weight = regencies.Sum(r => r.VulnerableWorkers);
        var counts = new long[regencies.Length];
        for (var r = 0; r < regencies.Length; r++) counts[r] = cases * regencies[r].VulnerableWorkers / weight;
        counts[0] += cases - counts.Sum();
        var eligible = regencies.Select((r, i) => (r.Code, Eligible: (long)Math.Round(counts[i] / (r.Coverage + Uncovered)))).ToDictionary(x => x.Code, x => x.Eligible);

        var byStage = new Dictionary<(string, CaseStage), long>();
        var cohorts = new Dictionary<(string, Payer, YearMonth, long), long>();
        var samples = new Dictionary<Guid, int>();
        long events = 0;

        // Targets and budgets come first, as a planner sets them before the year's grants. A budget gets a third more
        // than its expected grants need, so no grant is refused.
        var budgets = _budgets = new Dictionary<Guid, BudgetStream>();
        var opening = new List<StreamAppend>();
        foreach (var regency in regencies)
        foreach (var year in new[] { 2025, 2026 })
            opening.Add(new StreamAppend(RegencyTarget.IdFor(regency.Code, year), typeof(RegencyTarget), 0, "",
                [Command(new TargetSet(regency.Code, year, eligible[regency.Code], DemoPlan.TargetSource, "generated", Wib(year, 1, 2)), Wib(year, 1, 2), Planner)]));
        foreach (var year in new[] { 2025, 2026 })
        {
            var subsidised = regencies.Select((r, i) => (r.Code, Workers: counts[i] * r.Coverage / (r.Coverage + Uncovered) * 0.6)).ToList();
            var needs = subsidised.Select(s => (Payer.ApbdRegency, (string?)s.Code, s.Workers * (1 - provinceShare)))
                .Append((Payer.ApbdProvince, null, subsidised.Sum(s => s.Workers) * provinceShare));
            foreach (var (payer, regency, workers) in needs)
            {
                var amount = (long)(workers * 12 * premium * 4 / 3) + 12 * premium * 10;
                var allocated = new BudgetAllocated(payer, regency, year, amount, BudgetKind.Apbd, "generated: APBD as passed", Wib(year, 1, 2));
                var id = Budget.IdFor(payer, regency, year);
                budgets[id] = new BudgetStream(id, Budget.Create(allocated) with { Id = id }, 0, "", []);
                budgets[id].Pending.Add(Command(allocated, Wib(year, 1, 2), Planner));
            }
        }

        await using (var session = store.LightweightSession())
        {
            await session.BeginTransactionAsync(ct);
            await bulk.AppendAsync(session, opening, ct);
            await FlushBudgetsAsync(session, budgets.Values, ct);
            await CommitAsync(session, ct);
        }

        var shares = regencies.Select(r =>
        {
            var covered = r.Coverage / (r.Coverage + Uncovered);
            var unc = 1 - covered;
            return new (DemoPlan.Story Story, double Share)[]
            {
                (DemoPlan.Story.Province, covered * 0.6 * provinceShare), (DemoPlan.Story.Regency, covered * 0.6 * (1 - provinceShare)),
                (DemoPlan.Story.SelfPaying, covered * 0.4), (DemoPlan.Story.Identified, unc * 0.08 / Uncovered),
                (DemoPlan.Story.Contacted, unc * 0.05 / Uncovered), (DemoPlan.Story.Lapsing, unc * 0.03 / Uncovered),
                (DemoPlan.Story.Closed, unc * 0.02 / Uncovered)
            };
        }).ToArray();

        long serial = 0;
        for (var r = 0; r < regencies.Length; r++)
        {
            var regency = regencies[r];
            for (long done = 0; done < counts[r]; done += batchSize)
            {
                var size = (int)Math.Min(batchSize, counts[r] - done);
                var appends = new List<StreamAppend>(size);
                var claims = new List<OpenCaseClaim>(size);
                var keys = new List<PersonKey>(size);
                var entries = new List<CaseSearchEntry>(size);
                foreach (var budget in budgets.Values) budget.Pending.Clear();
                for (var i = 0; i < size; i++)
                {
                    serial++;
                    var random = new Random(HashCode.Combine(seed, serial));
                    var story = Pick(shares[r], random.NextDouble());
                    var plan = DemoPlan.Build(regency, story, random, (int)(serial % int.MaxValue), premium);
                    var told = Tell(plan, serial, random, tariff);
                    events += told.Events.Count + told.BudgetEntries.Count;
                    appends.Add(new StreamAppend(told.CaseId, typeof(Case), 0, "", told.Events));
                    foreach (var (budgetId, entry) in told.BudgetEntries) budgets[budgetId].Book(entry);
                    keys.Add(told.Key);
                    if (told.Final.Stage != CaseStage.Closed) claims.Add(new OpenCaseClaim(told.Seal.Subject, told.CaseId, regency.Code));
                    entries.Add(search.EntryOf(told.CaseId, regency.Code, told.Identified.IdentifiedAt, told.Seal, told.Identified.FullName, told.Identified.Village));
                    byStage[(regency.Code, told.Final.Stage)] = byStage.GetValueOrDefault((regency.Code, told.Final.Stage)) + 1;
                    if (told.Final is { Stage: CaseStage.Subsidized, Subsidy: { BudgetYear: 2026 } s })
                    {
                        var key = (regency.Code, s.Payer, s.StartMonth, s.MonthlyPremium);
                        cohorts[key] = cohorts.GetValueOrDefault(key) + 1;
                    }

                    if (samples.Count < 200 && serial % 97 == 1) samples[told.CaseId] = told.Events.Count;
                }

                await using var session = store.LightweightSession();
                await session.BeginTransactionAsync(ct);
                var taken = await bulk.ClaimAsync(session, claims, ct);
                if (taken.Count != claims.Count)
                    throw new InvalidOperationException("A generated NIK already has an open case: generate into an empty database.");
                await bulk.InsertKeysAsync(session, keys, ct);
                await bulk.AppendAsync(session, appends, ct);
                await FlushBudgetsAsync(session, budgets.Values, ct);
                await bulk.WriteSearchEntriesAsync(session, entries, ct);
                await CommitAsync(session, ct);
                progress?.Invoke($"{serial:N0} cases, {events:N0} events written ({events / Math.Max(0.001, watch.Elapsed.TotalSeconds):N0} events/s)");
            }
        }

        events += regencies.Length * 2 + budgets.Count;
        // A store just filled by COPY has no statistics until autovacuum comes by. The rebuild that follows plans its reads
        // of the event table on them: without, the cohort shard read through the event-type index (ADR 0052), and a
        // rebuild of 20,000 cases took 41.8 s instead of 18.7 s. Only the tables' owner may analyze them.
        await using (var connection = new Npgsql.NpgsqlConnection(Infrastructure.DatabaseRoles.OwnerConnectionString(configuration)))
        {
            await connection.OpenAsync(ct);
            var schema = store.Options.Events.DatabaseSchemaName;
            await using var analyze = connection.CreateCommand();
            analyze.CommandText = $"analyze {schema}.mt_events, {schema}.mt_streams";
            await analyze.ExecuteNonQueryAsync(ct);
        }

        return new GeneratedDataset(serial, events, byStage, eligible,
            cohorts.Select(c => new GeneratedCohort(c.Key.Item1, c.Key.Item2, c.Key.Item3, c.Key.Item4, c.Value)).ToList(), samples, watch.Elapsed);
    }

    /// <summary>
    /// Rebuilds every read model the daemon knows (what `projections rebuild` does), one after the other. With
    /// inlineOnly, only those written with the events (the case view, budgets, targets): in a running API the async
    /// projections catch up with the new events by themselves, and rebuilding them beside the running daemon would race it.
    /// </summary>
    public async Task<IReadOnlyList<(string Projection, TimeSpan Took)>> RebuildAsync(TimeSpan timeout, bool inlineOnly, Action<string>? progress,
        CancellationToken ct)
    {
        var took = new List<(string, TimeSpan)>();
        var projections = ((DocumentStore)store).Options.Projections.All
            .Where(p => p.Lifecycle == ProjectionLifecycle.Inline || (!inlineOnly && p.Lifecycle == ProjectionLifecycle.Async)).ToList();
        using var daemon = await store.BuildProjectionDaemonAsync();
        foreach (var projection in projections)
        {
            var watch = Stopwatch.StartNew();
            await daemon.RebuildProjectionAsync(projection.Name, timeout, ct);
            took.Add((projection.Name, watch.Elapsed));
            progress?.Invoke($"{projection.Name} rebuilt in {watch.Elapsed.TotalSeconds:N1} s");
        }

        return took;
    }

    private static DemoPlan.Story Pick((DemoPlan.Story Story, double Share)[] shares, double draw)
    {
        foreach (var (story, share) in shares)
        {
            if (draw < share) return story;
            draw -= share;
        }

        return shares[^1].Story;
    }

    private sealed record Told(Guid CaseId, PersonSeal Seal, PersonKey Key, WorkerIdentified Identified, Case Final, List<Recorded> Events,
        List<(Guid Budget, Recorded Entry)> BudgetEntries);

    /// <summary>
    /// Plays one planned case through the product's decisions, on its state in memory, with the case sweep at the turn of
    /// the year and at the end (lapses, subsidies whose budget year is over), as the API would have recorded it.
    /// </summary>
    private Told Tell(DemoCase plan, long serial, Random random, TariffOptions tariff)
    {
        var identify = (IdentifyWorker)plan.Steps[0].Command;
        identify = identify with { Nik = Nik(identify.Nik!, serial, random) };
        var openedAt = plan.Steps[0].At;
        var caseId = Guid.CreateVersion7(openedAt);
        var (seal, key) = privacy.NewKey(privacy.SubjectOf(identify.Nik!), openedAt);
        var caseworker = Caseworker(plan.RegencyCode);
        var recorded = new List<Recorded>();
        var booked = new List<(Guid, Recorded)>();

        var identified = IdentifyWorkerEndpoint.Decide(identify, caseId, openedAt, seal);
        var stages = CaseStages.None;
        Case? state = null;
        Record([identified], openedAt, caseworker, "caseworker");

        var swept = new[] { DemoPlan.YearTurn, DemoPlan.End }.ToList();
        foreach (var step in plan.Steps.Skip(1))
        {
            while (swept.Count > 0 && swept[0] <= step.At) Sweep(swept[0]);
            var at = step.At;
            var today = calendar.DateOn(at);
            // Every command starts with the lapse that has come due (LapsePolicy.Due), then decides on the case after it.
            var due = LapseRule.Due(state!, today, lapses.GraceMonths, at);
            var decision = (due is null ? Decision.Record() : Decision.Record(due)).Then(state!, current => step.Command switch
            {
                RecordContactAttempt c => RecordContactAttemptEndpoint.Decide(current, c, at),
                EnrolWorker c => EnrolWorkerEndpoint.Decide(current, c, at),
                GrantSubsidy c => Granted(current, c, at),
                RecordPremiumPayment c => RecordPremiumPaymentEndpoint.Decide(current, c, today, lapses.GraceMonths, at),
                CloseCase c => CloseCaseEndpoint.Decide(current, c, at),
                _ => throw new InvalidOperationException($"The generator has no {step.Command.GetType().Name} command.")
            });
            if (decision.Refusal is { } refused)
                throw new InvalidOperationException($"The generated story is inconsistent: {step.Command} was refused: {refused.Detail}");
            Record(decision.Events, at, caseworker, "caseworker");
        }

        while (swept.Count > 0) Sweep(swept[0]);
        return new Told(caseId, seal, key, identified, state!, recorded, booked);

        // The grant as the endpoint decides it, then the check its booking makes against the budget's state (ADR 0031).
        Decision Granted(Case current, GrantSubsidy command, DateTimeOffset at)
        {
            var decided = SubsidyDecisions.Grant(current, command, tariff, at);
            return decided.Events.OfType<SubsidyGranted>().FirstOrDefault() is { } granted &&
                   Budget.Refuses(BudgetOf(granted.BudgetId), granted.MonthlyPremium * granted.Months) is { } exceeded
                ? Decision.Refuse(exceeded)
                : decided;
        }

        void Sweep(DateTimeOffset at)
        {
            swept.RemoveAt(0);
            var today = calendar.DateOn(at);
            var events = new List<object>();
            if (LapseRule.Due(state!, today, lapses.GraceMonths, at) is { } lapsed) events.Add(lapsed);
            var after = events.Aggregate(state!, (s, e) => s.After(e));
            if (after.Subsidy is { } s && s.BudgetYear < today.Year)
                events.AddRange(SubsidyDecisions.End(after, SubsidyEndReason.BudgetYearOver, at).Events);
            if (events.Count > 0) Record(events, at, "case-sweep", "system");
        }

        void Record(IReadOnlyList<object> decided, DateTimeOffset at, string user, string role)
        {
            var annotated = StageChanges.Annotate(state, stages, decided, calendar, at);
            var correlation = Guid.NewGuid().ToString();
            var headers = new Dictionary<string, object> { ["userName"] = user, ["role"] = role };
            foreach (var e in annotated)
            {
                recorded.Add(new Recorded(e, at, user, correlation, headers));
                if (e is CaseStageChanged changed) stages = CaseStages.Apply(changed, stages);
                else state = state is null ? Case.Opened((WorkerIdentified)e) : state.After(e);
                if (BudgetLedger.EntryFor(caseId, e, at) is { } entry)
                {
                    var budgetId = e switch
                    {
                        SubsidyGranted g => g.BudgetId,
                        SubsidyEnded end => end.BudgetId,
                        PremiumPaid p => p.BudgetId!.Value,
                        _ => throw new InvalidOperationException()
                    };
                    booked.Add((budgetId, new Recorded(entry, at, user, correlation, headers)));
                }
            }
        }
    }

    private Budget? BudgetOf(Guid id) => _budgets?.GetValueOrDefault(id)?.State;

    private Dictionary<Guid, BudgetStream>? _budgets;

    /// <summary>A NIK no other generated case has: the plan's region and birth date, a serial that never repeats.</summary>
    private static string Nik(string planned, long serial, Random random)
    {
        // 16 digits: region (6), birth date (6, day + 40 for women), serial (4). Serials 1-9999 in districts 01-90 give
        // 899,910 per block; each block of serials is born in its own 1,000-day window, so no two cases share a NIK.
        var region = planned[..4] + $"{serial % 90 + 1:00}";
        var block = serial / 899_910;
        var born = new DateOnly(1960, 1, 1).AddDays((int)(block * 1000 % 16_000) + random.Next(1000));
        var woman = int.Parse(planned.Substring(6, 2)) > 40;
        return $"{region}{born.Day + (woman ? 40 : 0):00}{born.Month:00}{born.Year % 100:00}{serial / 90 % 9999 + 1:0000}";
    }

    private async Task FlushBudgetsAsync(IDocumentSession session, IEnumerable<BudgetStream> budgets, CancellationToken ct)
    {
        var pending = budgets.Where(b => b.Pending.Count > 0).ToList();
        var appends = pending.Select(b => new StreamAppend(b.Id, typeof(Budget), b.Version, b.LastMac, b.Pending.ToList())).ToList();
        var macs = await bulk.AppendAsync(session, appends, ct);
        for (var i = 0; i < pending.Count; i++)
        {
            pending[i].Version += pending[i].Pending.Count;
            pending[i].LastMac = macs[i];
            pending[i].Pending.Clear();
        }
    }

    /// <summary>Commits the bulk writes: SaveChangesAsync commits the session's transaction only when its unit of work holds something.</summary>
    private static async Task CommitAsync(IDocumentSession session, CancellationToken ct)
    {
        session.QueueSqlCommand("select 1");
        await session.SaveChangesAsync(ct);
    }

    private static Recorded Command(object e, DateTimeOffset at, string user) =>
        new(e, at, user, Guid.NewGuid().ToString(), new Dictionary<string, object> { ["userName"] = user, ["role"] = "planner" });

    private static DateTimeOffset Wib(int year, int month, int day) => new(year, month, day, 8, 0, 0, TimeSpan.FromHours(7));

    /// <summary>A budget's stream as the generator writes it: its state (for the grant's check), version, last MAC and what is to append.</summary>
    private sealed class BudgetStream(Guid id, Budget state, long version, string lastMac, List<Recorded> pending)
    {
        public Guid Id { get; } = id;
        public Budget State { get; set; } = state;
        public long Version { get; set; } = version;
        public string LastMac { get; set; } = lastMac;
        public List<Recorded> Pending { get; } = pending;

        public void Book(Recorded entry)
        {
            State = entry.Data switch
            {
                SubsidyCommitted e => Budget.Apply(e, State),
                CommitmentReleased e => Budget.Apply(e, State),
                PremiumDisbursed e => Budget.Apply(e, State),
                _ => State
            };
            Pending.Add(entry);
        }
    }
}
