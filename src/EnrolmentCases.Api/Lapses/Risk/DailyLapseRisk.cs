using System.Globalization;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Regencies;
using Microsoft.Extensions.Options;
using Npgsql;
using Wolverine;
using Wolverine.Attributes;
using Wolverine.Runtime;

namespace EnrolmentCases.Lapses.Risk;

public sealed class DailyLapseRiskOptions
{
    public const string Section = "LapseRisk:Daily";

    /// <summary>
    /// Whether the daily list is scheduled: at start, and by each run for the next day. Off, a run still pending
    /// records its day and schedules no other (tests that drive the job themselves turn it off).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>When, in the province's time zone (ReferenceData:TimeZone, WIB), each day's lists are recorded: HH:mm.</summary>
    public string At { get; set; } = "06:00";

    /// <summary>The window of each list: memberships that lapse within this many days unless paid.</summary>
    public int WithinDays { get; set; } = 30;

    public TimeOnly Time => TimeOnly.ParseExact(At, "HH:mm", CultureInfo.InvariantCulture);

    public static IEnumerable<string> Rules(DailyLapseRiskOptions o)
    {
        if (!TimeOnly.TryParseExact(o.At, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            yield return $"At must be a time of day as HH:mm, e.g. 06:00 (is '{o.At}')";
        if (o.WithinDays is < 1 or > GetLapseRiskEndpoint.MaxWithinDays)
            yield return $"WithinDays must be between 1 and {GetLapseRiskEndpoint.MaxWithinDays} (is {o.WithinDays})";
    }
}

public sealed record DailyLapseRiskCounts(int Cases, int WorkerPays, int Subsidised, int BudgetCanPay, int BudgetCannotPay)
{
    public static DailyLapseRiskCounts Of(IReadOnlyCollection<LapseRiskItem> items) => new(items.Count,
        items.Count(i => i.Payer is null), items.Count(i => i.Payer is not null),
        items.Count(i => i.BudgetCanPay == true), items.Count(i => i.BudgetCanPay == false));
}

/// <summary>
/// A regency's lapse-risk list as it stood on a day, recorded once that day and never changed: what a planner
/// looks back on. Case ids only, no names or NIKs (planners may not read them).
/// </summary>
public sealed record DailyLapseRisk(string Id, string RegencyCode, DateOnly On, DateTimeOffset RecordedAt, int WithinDays,
    DailyLapseRiskCounts Counts, IReadOnlyList<LapseRiskItem> Items)
{
    public static string IdOf(DateOnly on, string regencyCode) => $"{on:yyyy-MM-dd}/{regencyCode}";
}

/// <summary>Record today's lapse-risk lists; sent to itself for each next day at DailyLapseRiskOptions.At.</summary>
[MessageIdentity(Name)]
public sealed record RecordDailyLapseRisk
{
    public const string Name = "record-daily-lapse-risk";
}

/// <summary>
/// Records, for every regency, the lapse-risk list of the province's today with the same query and items as
/// GET /api/lapse-risk. Once a day: a regency whose list for today exists is left alone, so a second run, a
/// retry, or two nodes running it together record each list once (nodes take turns on an advisory lock).
/// </summary>
public sealed class DailyLapseRiskJob(IDocumentStore store, ProvinceCalendar calendar, LapsePolicy lapses, ReferenceData reference,
    IOptions<DailyLapseRiskOptions> options)
{
    /// <summary>Any value, the same on every node: one node at a time records or schedules.</summary>
    public const long LockKey = 0x4C_41_50_53_45_52_49_53; // "LAPSERIS"

    /// <summary>Records today's missing lists; answers how many it recorded.</summary>
    public async Task<int> RecordAsync(CancellationToken ct)
    {
        var now = calendar.Now;
        var today = calendar.DateOn(now);
        var days = options.Value.WithinDays;
        await using var session = store.LightweightSession();
        await session.BeginTransactionAsync(ct);
        await session.QueryAsync<bool>("select true from (select pg_advisory_xact_lock(?)) l", ct, LockKey);

        var ids = reference.Regencies.ToDictionary(r => DailyLapseRisk.IdOf(today, r.Code), r => r.Code);
        var recorded = (await session.LoadManyAsync<DailyLapseRisk>(ct, ids.Keys)).Select(d => d.Id).ToHashSet();
        var added = 0;
        foreach (var (id, code) in ids.Where(r => !recorded.Contains(r.Key)))
        {
            var cases = await LapseRiskList.Within(session.Query<CaseDetails>().Where(c => c.RegencyCode == code), today, days, lapses.GraceMonths)
                .ToListAsync(ct);
            var items = cases.Select(c => LapseRiskList.ItemOf(c, today, lapses.GraceMonths)).ToList();
            session.Insert(new DailyLapseRisk(id, code, today, now, days, DailyLapseRiskCounts.Of(items), items));
            added++;
        }

        await session.SaveChangesAsync(ct);
        return added;
    }
}

/// <summary>
/// Keeps exactly one RecordDailyLapseRisk pending: a durable scheduled message in Wolverine's PostgreSQL inbox,
/// which whichever node polls first runs when due. Scheduling checks, under the job's advisory lock, that none is
/// pending yet, so nodes starting together, or a run racing a start, leave one; a duplicate that slipped through
/// would only find today's lists recorded.
/// </summary>
public sealed class DailyLapseRiskSchedule(IDocumentStore store, IWolverineRuntime wolverine, ProvinceCalendar calendar,
    IOptions<DailyLapseRiskOptions> options)
{
    /// <summary>The first instant after now at which the province's clocks show the time of day.</summary>
    public static DateTimeOffset NextAfter(DateTimeOffset now, TimeOnly at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var next = local.Date.Add(at.ToTimeSpan());
        if (next <= local.DateTime) next = next.AddDays(1);
        return new DateTimeOffset(next, zone.GetUtcOffset(next));
    }

    /// <summary>Schedules the next run unless one is pending; answers when the next run was scheduled for, or null.</summary>
    public async Task<DateTimeOffset?> EnsureNextAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand($"select pg_advisory_xact_lock({DailyLapseRiskJob.LockKey})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(ct);
        if (await PendingAsync(connection, transaction, ct) > 0) return null;

        var now = calendar.Now;
        var next = NextAfter(now, options.Value.Time, calendar.Zone);
        // As a delay from the application's clock: Wolverine keeps time by the system clock, tests by their own.
        await new MessageBus(wolverine).ScheduleAsync(new RecordDailyLapseRisk(), next - now);
        await transaction.CommitAsync(ct);
        return next;
    }

    /// <summary>Runs of the job scheduled and not yet started.</summary>
    public async Task<int> PendingAsync(CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return await PendingAsync(connection, null, ct);
    }

    private async Task<int> PendingAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"select count(*)::int from {store.Options.Events.DatabaseSchemaName}.wolverine_incoming_envelopes " +
            "where message_type = @type and status = 'Scheduled'", connection, transaction);
        command.Parameters.AddWithValue("type", RecordDailyLapseRisk.Name);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }
}

public static class RecordDailyLapseRiskHandler
{
    public static async Task Handle(RecordDailyLapseRisk message, DailyLapseRiskJob job, DailyLapseRiskSchedule schedule,
        IOptions<DailyLapseRiskOptions> options, ILogger<DailyLapseRiskJob> logger, CancellationToken ct)
    {
        // The next day first: a run that fails here is retried, and the days after it still come.
        var next = options.Value.Enabled ? await schedule.EnsureNextAsync(ct) : null;
        var recorded = await job.RecordAsync(ct);
        logger.LogInformation("Daily lapse risk: {Recorded} regency lists recorded; next run {Next}", recorded, next);
    }
}

/// <summary>
/// On start, once the host runs: schedules the next run unless one is pending, and records today's lists if
/// their time has passed and no node recorded them (the cluster was down at that time).
/// </summary>
public sealed class DailyLapseRiskAtStart(DailyLapseRiskSchedule schedule, DailyLapseRiskJob job, ProvinceCalendar calendar,
    IOptions<DailyLapseRiskOptions> options, IHostApplicationLifetime lifetime, ILogger<DailyLapseRiskAtStart> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        await using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
        try
        {
            if (!options.Value.Enabled) return;
            if (await schedule.EnsureNextAsync(stoppingToken) is { } next) logger.LogInformation("Daily lapse risk scheduled for {Next}", next);
            if (TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(calendar.Now, calendar.Zone).DateTime) >= options.Value.Time
                && await job.RecordAsync(stoppingToken) is > 0 and var recorded)
                logger.LogInformation("Daily lapse risk: {Recorded} regency lists of today recorded at start", recorded);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // The next start, or a run still pending, schedules it; the API serves either way.
            logger.LogError(e, "The daily lapse-risk list could not be scheduled");
        }
    }
}
