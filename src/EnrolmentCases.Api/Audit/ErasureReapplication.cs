using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using EnrolmentCases.Reconciliations;
using JasperFx.CommandLine;
using JasperFx.Events;
using Microsoft.Extensions.Options;
using Wolverine.Runtime.Agents;

namespace EnrolmentCases.Audit;

/// <summary>What one check of the database against the erasure register found and did.</summary>
public sealed record ErasureCheck(int Registered, int NewlyRegistered, int OrdersReapplied, int CasesErased, int KeysDeleted, int ImportRowsBlanked,
    IReadOnlyList<string> UnreadableLines)
{
    public bool Reapplied => OrdersReapplied > 0;
}

/// <summary>
/// Carries out again, on the database as it is now, every registered erasure whose effects are not
/// all there: after a backup taken before an order is restored, the person's key, claim, case views
/// and import rows are back, and the order's own stream is not. Each registered person is checked in
/// a few batched queries, without a clock:
/// - the order's stream is missing: the database is older than the order, so everything it holds of
///   the person predates it and is erased again (key, claim, cases, import rows), and the order's
///   stream is started anew with ErasureOrdered and ErasureReapplied;
/// - the key is back although a case sealed under that key generation is erased, or the claim names
///   a case no longer linked to the person (a partial restore): the same;
/// - a case still linked to the person is sealed under a key generation that no longer exists: that
///   case gets its PersonalDataErased.
/// A key of a new generation (the same NIK identified anew after the order) and its cases are left alone.
/// Only INSERTs of events and changes to documents: it runs as the least-privileged runtime role.
/// </summary>
public sealed class ErasureReapplication(IDocumentStore store, ErasureRegister register, PersonalData privacy, TimeProvider clock,
    ILogger<ErasureReapplication> logger)
{
    /// <summary>Any value, the same on every node: the transaction-scoped advisory lock that lets one node at a time re-apply.</summary>
    private const long LockKey = 0x45_52_41_53_55_52_45; // "ERASURE"

    public async Task<ErasureCheck> RunAsync(CancellationToken ct)
    {
        var (orders, unreadable) = await register.ReadAllAsync(ct);
        if (unreadable.Count > 0)
            logger.LogWarning("The erasure register at {Directory} has lines that do not read: {Lines}", register.Directory, unreadable);

        await using var session = store.LightweightSession();
        EventMetadata.Stamp(session, Caller.System("erasure-register"), Guid.NewGuid().ToString("N"), "job erasure-register");
        await session.BeginTransactionAsync(ct);
        // One node at a time; the others find the work done at their next check.
        if (!(await session.QueryAsync<bool>("select pg_try_advisory_xact_lock(?)", ct, LockKey)).Single())
            return new ErasureCheck(orders.Count, 0, 0, 0, 0, 0, unreadable);

        // An order the database holds but the register lacks (a crash after its commit) is registered first.
        var recorded = (await session.Events.QueryRawEventDataOnly<ErasureOrdered>().ToListAsync(ct)).ToDictionary(o => o.OrderId);
        var registered = orders.Select(o => o.OrderId).ToHashSet();
        var missing = recorded.Values.Where(o => o.Subject is not null && !registered.Contains(o.OrderId))
            .Select(o => new RegisteredErasure(o.OrderId, o.OrderedAt, o.Subject!, o.LegalBasis, o.Reference)).ToList();
        if (missing.Count > 0)
        {
            await register.AppendAsync(missing, ct);
            orders.AddRange(missing);
            logger.LogWarning("Registered {Count} erasure orders the database held but the register lacked: {OrderIds}", missing.Count,
                missing.Select(o => o.OrderId));
        }

        var bySubject = orders.GroupBy(o => o.Subject).ToDictionary(g => g.Key, g => g.OrderBy(o => o.OrderedAt).ToList());
        var subjects = bySubject.Keys.ToArray();
        if (subjects.Length == 0) return new ErasureCheck(0, 0, 0, 0, 0, 0, unreadable);
        var keys = (await session.LoadManyAsync<PersonKey>(ct, subjects)).ToDictionary(k => k.Id);
        var claims = (await session.LoadManyAsync<OpenCaseClaim>(ct, subjects)).ToDictionary(c => c.Id);
        var linked = (await session.Query<CaseDetails>().Where(c => c.Subject.IsOneOf(subjects))
                .Select(c => new { c.Id, c.Subject, c.KeyId }).ToListAsync(ct))
            .ToLookup(c => c.Subject!, c => (c.Id, c.KeyId));
        var keyIds = keys.Values.Select(k => k.KeyId).ToArray();
        var erasedGenerations = keyIds.Length == 0
            ? []
            : (await session.Query<CaseDetails>().Where(c => c.Erased && c.KeyId.IsOneOf(keyIds)).Select(c => c.KeyId).ToListAsync(ct)).ToHashSet();

        var now = clock.GetUtcNow();
        var (reapplied, casesErased, keysDeleted, everything) = (0, 0, 0, new HashSet<string>());
        foreach (var (subject, ofSubject) in bySubject)
        {
            var key = keys.GetValueOrDefault(subject);
            var cases = linked[subject].ToList();
            var lost = ofSubject.Where(o => !recorded.ContainsKey(o.OrderId)).ToList();
            var restored = lost.Count > 0
                           || key is not null && erasedGenerations.Contains(key.KeyId)
                           || claims.TryGetValue(subject, out var claim) && cases.All(c => c.Id != claim.CaseId);
            var orphaned = cases.Where(c => key is null || c.KeyId != key.KeyId).ToList();
            if (!restored && orphaned.Count == 0) continue;

            var order = ofSubject[^1];
            var erased = new PersonalDataErased(order.OrderId, order.LegalBasis, order.Reference, now);
            if (restored)
            {
                everything.Add(subject);
                casesErased += await PersonErasure.EraseAsync(session, subject, cases.Select(c => c.Id), erased, ct);
                if (key is not null) keysDeleted++;
            }
            else
            {
                // Only the cases whose key is gone: the person's current key (identified anew after the order) stays.
                casesErased += await PersonErasure.MarkCasesAsync(session, orphaned.Select(c => c.Id), erased, ct);
            }

            foreach (var again in lost)
                session.Events.StartStream(again.OrderId, new ErasureOrdered(again.OrderId, again.LegalBasis, again.Reference, again.OrderedAt, subject),
                    new ErasureReapplied(again.OrderId, now));
            if (lost.Count == 0) session.Events.Append(order.OrderId, new ErasureReapplied(order.OrderId, now));
            reapplied++;
            logger.LogWarning("Erasure order {OrderId} re-applied: the database held the person's data again, as after the restore of an " +
                              "older backup ({Lost} of the person's orders missing from the database)", order.OrderId, lost.Count);
        }

        if (reapplied == 0) return new ErasureCheck(orders.Count, missing.Count, 0, 0, 0, 0, unreadable);
        // The NIK is known nowhere: the rows are found by the subject id of their nik cell. A full scan, and rare.
        var rows = await ImportRowErasure.EraseSubjectsAsync(session, everything, privacy.SubjectOf, ct) +
                   await ReconciliationRowErasure.EraseSubjectsAsync(session, everything, privacy.SubjectOf, ct);
        await session.SaveChangesAsync(ct);
        logger.LogWarning("Re-applied {Orders} erasure orders: {Cases} cases, {Keys} keys, {Rows} import rows", reapplied, casesErased, keysDeleted, rows);
        return new ErasureCheck(orders.Count, missing.Count, reapplied, casesErased, keysDeleted, rows, unreadable);
    }
}

/// <summary>Checks the database against the register once as the API starts, before it serves: a restored database is erased again first.</summary>
public sealed class ErasureReapplicationAtStart(ErasureReapplication reapplication, ILogger<ErasureReapplicationAtStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await reapplication.RunAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The periodic check tries again; the API starts, as it would without the register.
            logger.LogError(e, "Checking the database against the erasure register failed at start");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Checks again every Audit:ErasureRegister:IntervalSeconds on one node: a database restored under running nodes.</summary>
public sealed class ErasureReapplicationAgent(ErasureReapplication reapplication, IOptions<ErasureRegisterOptions> options,
    ILogger<ErasureReapplicationAgent> logger) : SingularAgent("erasure-register")
{
    private readonly BackgroundLoop _loop = new(logger, "Checking the database against the erasure register");

    protected override Task startAsync(CancellationToken cancellationToken)
    {
        var seconds = options.Value.IntervalSeconds;
        if (seconds > 0) _loop.Start(TimeSpan.FromSeconds(seconds), ct => reapplication.RunAsync(ct));
        return Task.CompletedTask;
    }

    protected override Task stopAsync(CancellationToken cancellationToken) => _loop.StopAsync();
}

[Description("Carries out again every registered erasure order the database no longer shows (run it after restoring a backup); exit 1 when the register has unreadable lines", Name = Name)]
public class ReapplyErasuresCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public const string Name = "reapply-erasures";

    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var check = await host.Services.GetRequiredService<ErasureReapplication>().RunAsync(CancellationToken.None);
        Console.WriteLine($"{check.Registered} erasure orders registered ({check.NewlyRegistered} added from the database); " +
                          $"{check.OrdersReapplied} re-applied: {check.CasesErased} cases, {check.KeysDeleted} keys, {check.ImportRowsBlanked} import rows.");
        foreach (var line in check.UnreadableLines) Console.Error.WriteLine($"Unreadable register line: {line}");
        return check.UnreadableLines.Count == 0;
    }
}
