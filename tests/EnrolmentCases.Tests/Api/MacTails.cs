using System.Collections.Concurrent;
using Alba;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Money;
using EnrolmentCases.Lapses.Sweeping;
using Marten;
using Marten.Events;
using Marten.Services;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every statement the host's sessions send, with its parameters' values (a test host only: they hold personal data), and
/// the round trip it went in: the statements of one batch share a number.
/// </summary>
public sealed class StatementCapture : IMartenLogger, IMartenSessionLogger
{
    private long _roundTrips;

    public ConcurrentQueue<(string Sql, object?[] Parameters, long RoundTrip)> Sent { get; } = new();

    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql)
    {
    }

    public void LogSuccess(NpgsqlCommand command) =>
        Sent.Enqueue((command.CommandText, command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Value).ToArray(),
            Interlocked.Increment(ref _roundTrips)));

    public void LogSuccess(NpgsqlBatch batch)
    {
        var roundTrip = Interlocked.Increment(ref _roundTrips);
        foreach (var c in batch.BatchCommands.Cast<NpgsqlBatchCommand>())
            Sent.Enqueue((c.CommandText, c.Parameters.Cast<NpgsqlParameter>().Select(p => p.Value).ToArray(), roundTrip));
    }

    public void LogFailure(NpgsqlCommand command, Exception ex) => LogSuccess(command);

    public void LogFailure(NpgsqlBatch batch, Exception ex) => LogSuccess(batch);

    public void LogFailure(Exception ex, string message)
    {
    }

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }

    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }
}

public sealed class MacTailsFixture() : HostFixture("mac_tails", new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    public StatementCapture Statements { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) => services.ConfigureMarten(opts => opts.Logger(Statements));
}

/// <summary>
/// A command on a case chains its events' MACs to the tail it read with the case's events under the stream's lock, instead
/// of reading the stream's last event again (ADR 0046); the log still verifies event by event.
/// </summary>
public class MacTails(MacTailsFixture host) : IClassFixture<MacTailsFixture>
{
    private int Sent(Guid stream, string fragment) => host.Statements.Sent.Count(s => Is(s, stream, fragment));

    /// <summary>A statement with this fragment whose parameters name the stream.</summary>
    private static bool Is((string Sql, object?[] Parameters, long RoundTrip) statement, Guid stream, string fragment) =>
        statement.Sql.Contains(fragment, StringComparison.Ordinal) &&
        statement.Parameters.Any(p => p is Guid id && id == stream || p is Guid[] ids && ids.Contains(stream));

    [Fact]
    public async Task money_commands_read_a_budget_tail_in_the_round_trip_that_locks_the_budget_and_the_log_verifies()
    {
        var kaur = host.Token("caseworker", "17.04");
        // The fixture's clock stands in March 2026, and no other test of this host has a budget.
        const int year = 2026;
        await host.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        var id = await host.Host.EnrolledCase(kaur);
        var budget = Budget.IdFor(Payer.ApbdRegency, "17.04", year);
        await host.Host.Allocate("APBD_REGENCY", "17.04", year, 200_000, "APBD_P");
        await host.Host.Scenario(s =>
        {
            s.Post.Json(new { payer = "APBD_REGENCY", regencyCode = "17.04", year, amount = -50_000, reason = "Revised regional budget" })
                .ToUrl("/api/budgets/adjustments");
            s.WithBearerToken(host.Token("planner"));
            s.StatusCodeShouldBe(200);
        });
        await host.Host.Command(kaur, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-03", 6));
        await host.Host.Command(kaur, id, "premium-payments", new { month = $"{year}-03", amount = 16_800, paidOn = $"{year}-03-02" });
        await host.Host.Command(kaur, id, "closure", new { reason = "moved_away" });

        // The allocation, a top-up, an adjustment, a grant, a payment and a closure's release each locked the budget's
        // stream row ...
        var sent = host.Statements.Sent.ToList();
        var locks = Enumerable.Range(0, sent.Count).Where(i => Is(sent[i], budget, "for update")).ToList();
        var tails = Enumerable.Range(0, sent.Count).Where(i => Is(sent[i], budget, "cross join lateral")).ToList();
        Assert.True(locks.Count >= 6, $"the capture sees the budget's locked reads ({locks.Count})");
        // ... and read its tail once, in that same round trip and after the lock, not in a round trip of its own while
        // the lock was held.
        Assert.Equal(locks.Count, tails.Count);
        Assert.All(tails, t => Assert.Contains(locks, l => l < t && sent[l].RoundTrip == sent[t].RoundTrip));

        await host.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var line = await host.Host.BudgetLine(year, Payer.ApbdRegency, "17.04");
        Assert.Equal(new BudgetLine(Payer.ApbdRegency, "17.04", Allocated: 1_150_000, Committed: 16_800, Paid: 16_800, Remaining: 1_133_200), line);
        var report = await host.Host.VerifyChain(host.Token("auditor"));
        Assert.True(report.Valid, report.ToString());
    }

    [Fact]
    public async Task commands_on_a_case_chain_to_the_tail_they_read_under_the_lock_and_the_log_verifies()
    {
        var kaur = host.Token("caseworker", "17.04");
        var id = await host.Host.EnrolledCase(kaur);
        await host.Host.Command(kaur, id, "contact-attempts", new { channel = "phone", outcome = "unreachable" });
        await host.Host.Command(kaur, id, "closure", new { reason = "declined" });

        // Four commands on the case (reached, enrolment and the two above) each locked and read its stream ...
        Assert.True(Sent(id, "for update") >= 4, "the capture sees the case's locked reads");
        // ... and none read the stream's last event again for the MAC.
        Assert.Equal(0, Sent(id, "cross join lateral"));

        await host.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var report = await host.Host.VerifyChain(host.Token("auditor"));
        Assert.True(report.Valid, report.ToString());
        Assert.True(report.EventsChecked >= 6);
    }

    [Fact]
    public async Task the_case_sweep_chains_a_lapse_to_the_tail_it_read_under_the_lock_and_the_log_verifies()
    {
        var kaur = host.Token("caseworker", "17.04");
        Guid id;
        using (host.ClockAt(new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.FromHours(7))))
            id = await host.Host.EnrolledCase(kaur, effectiveDate: "2026-01-01");

        using (host.ClockAt(new DateTimeOffset(2026, 5, 1, 9, 0, 0, TimeSpan.FromHours(7))))
            await host.Host.Services.GetRequiredService<CaseSweep>().RunOnceAsync(CancellationToken.None);

        // The sweep appended the lapse (CaseLapsed, CaseStageChanged) after reading the case under its lock ...
        Assert.Equal(CaseStage.Lapsed, (await host.Host.GetCase(kaur, id)).Stage);
        // ... and chained it to the tail of that read, as the commands do.
        Assert.Equal(0, Sent(id, "cross join lateral"));

        await host.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var report = await host.Host.VerifyChain(host.Token("auditor"));
        Assert.True(report.Valid, report.ToString());
    }

    [Fact]
    public async Task an_erasure_chains_its_mark_on_each_case_to_the_tail_it_read_under_the_lock_and_the_log_verifies()
    {
        var person = Erasable.New();
        var id = await host.Host.IdentifyWorker(host.Token("caseworker", "17.04"), person.Worker);
        await host.Host.Scenario(s =>
        {
            s.Post.Json(Erasable.Order(person.Nik, $"Court order {Guid.NewGuid():N}")).ToUrl("/api/audit/erasures");
            s.WithBearerToken(host.Token("admin"));
            s.StatusCodeShouldBe(201);
        });

        // The order marked the case after reading it under its lock, and chained the mark to that read's tail.
        Assert.True(Sent(id, "for update") >= 1, "the capture sees the case's locked read");
        Assert.Equal(0, Sent(id, "cross join lateral"));

        await host.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        var report = await host.Host.VerifyChain(host.Token("auditor"));
        Assert.True(report.Valid, report.ToString());
    }
}
