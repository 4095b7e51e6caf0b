using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The coverage composite (ADR 0055) starting from nothing (a new database, or the schema step's rebuild after an upgrade)
/// while another node's transaction has appended a stage change and not yet committed it. The composite must wait for it
/// as every other projection does (the daemon's high-water mark holds before a sequence number a live transaction took),
/// not read to the sequence's head in one pass and leave that change out for good (ADR 0057).
/// </summary>
[Collection(ProjectionCommandsCollection.Name)]
public class CoverageCompositeStart
{
    private const string Schema = "composite_start";

    private sealed class Node(bool first) : HostFixture(Schema)
    {
        protected override bool ResetOnStart => first;
    }

    [Fact]
    public async Task a_coverage_composite_starting_from_nothing_counts_a_stage_change_whose_transaction_was_still_open()
    {
        var first = new Node(first: true);
        await first.InitializeAsync();
        try
        {
            var kaur = first.Token("caseworker", "17.04");
            for (var i = 0; i < 2; i++) await first.Host.EnrolledCase(kaur);
            await first.Host.ProjectionsCaughtUp();
        }
        finally
        {
            await first.DisposeAsync();
        }

        // The composite and its members have no progress (every progression row but the high-water mark's and the other
        // projection's goes, whatever the members are called): the next node starts it from the first event.
        await TestSql.ExecuteAsync($"""
            delete from {Schema}.mt_event_progression where name not like 'HighWater%' and name not like 'SubsidyCohortCount:%';
            truncate {Schema}.mt_doc_coveragemonth, {Schema}.mt_doc_coverageday, {Schema}.mt_doc_coveragechange;
            """);

        // A stage change appended by a transaction that stays open, then one committed after it: the sequence's head
        // passes the open transaction's number, as when one node's import chunk is still writing while another's commands commit.
        await using var open = new NpgsqlConnection(ApiProcess.OwnerDatabase);
        await open.OpenAsync();
        await using var transaction = await open.BeginTransactionAsync();
        var inFlight = await AppendStageChange(open, version: 1001);
        await using (var committed = new NpgsqlConnection(ApiProcess.OwnerDatabase))
        {
            await committed.OpenAsync();
            await AppendStageChange(committed, version: 1002);
        }

        var second = new Node(first: false);
        await second.InitializeAsync();
        try
        {
            // The composite has started, and passed what it could, while the transaction was open.
            await TestSql.Eventually($"select exists (select from {Schema}.mt_event_progression where name = 'Coverage:All' and last_seq_id > 0)",
                "the coverage composite started");

            // It stopped before the open transaction's number: what it read in that first pass, it read to the high-water mark.
            var stood = await TestSql.ScalarAsync($"select last_seq_id from {Schema}.mt_event_progression where name = 'Coverage:All'");
            Assert.True(stood < inFlight, $"the coverage composite went on to {stood}, past {inFlight}, whose transaction is still open");

            await transaction.CommitAsync();
            await second.Host.ProjectionsCaughtUp();
            Assert.True(await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_coveragechange where id like '{inFlight}:%'") > 0,
                $"the stage change at {inFlight}, committed after the composite started, was never counted; progression: " +
                string.Join(", ", await TestSql.NamesAsync($"select name || '=' || last_seq_id from {Schema}.mt_event_progression order by name")));
        }
        finally
        {
            await second.DisposeAsync();
        }
    }

    /// <summary>
    /// Appends, in the connection's open transaction if any, a copy of the first stage change the cases recorded (the read
    /// models count it as any other) at a version of its stream no command uses; returns its sequence number.
    /// </summary>
    private static async Task<long> AppendStageChange(NpgsqlConnection connection, int version)
    {
        await using var command = new NpgsqlCommand($"""
            insert into {Schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers, user_name)
            select nextval('{Schema}.mt_events_sequence'), gen_random_uuid(), stream_id, @version, data, type, now(), tenant_id, mt_dotnet_type,
                   headers, user_name
              from {Schema}.mt_events where type = 'case_stage_changed' order by seq_id limit 1
            returning seq_id
            """, connection);
        command.Parameters.AddWithValue("version", (long)version);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
