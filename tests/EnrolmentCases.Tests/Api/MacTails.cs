using System.Collections.Concurrent;
using Marten;
using Marten.Events;
using Marten.Services;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>Every statement the host's sessions send, with its parameters' values (a test host only: they hold personal data).</summary>
public sealed class StatementCapture : IMartenLogger, IMartenSessionLogger
{
    public ConcurrentQueue<(string Sql, object?[] Parameters)> Sent { get; } = new();

    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql)
    {
    }

    public void LogSuccess(NpgsqlCommand command) =>
        Sent.Enqueue((command.CommandText, command.Parameters.Cast<NpgsqlParameter>().Select(p => p.Value).ToArray()));

    public void LogSuccess(NpgsqlBatch batch)
    {
        foreach (var c in batch.BatchCommands.Cast<NpgsqlBatchCommand>())
            Sent.Enqueue((c.CommandText, c.Parameters.Cast<NpgsqlParameter>().Select(p => p.Value).ToArray()));
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

public sealed class MacTailsFixture() : HostFixture("mac_tails")
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
    private int Sent(Guid stream, string fragment) => host.Statements.Sent.Count(s =>
        s.Sql.Contains(fragment, StringComparison.Ordinal) &&
        s.Parameters.Any(p => p is Guid id && id == stream || p is Guid[] ids && ids.Contains(stream)));

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
}
