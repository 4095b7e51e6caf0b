using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The warm-up takes every event type through a command's write path short of the commit (ADR 35): it must leave no
/// event, no stream, no document and no used sequence number behind (a gap would hold the projections back).
/// </summary>
[Collection(ApiCollection.Name)]
public class WarmUpWritesNothing(ApiFixture api)
{
    private const string Counts = """
        select (select last_value from enrolment.mt_events_sequence) * 1000000
             + (select count(*) from enrolment.mt_events) * 1000 + (select count(*) from enrolment.mt_streams)
        """;

    [Fact]
    public async Task Every_event_type_reaches_the_refused_save_and_nothing_is_stored()
    {
        var warmUp = api.Host.Services.GetRequiredService<WarmUp>();
        await warmUp.Done.WaitAsync(TimeSpan.FromSeconds(60));
        var before = await TestSql.ScalarAsync(Counts);
        var correlatedBefore = await TestSql.ScalarAsync("select count(*) from enrolment.mt_events where correlation_id = 'warm-up'");

        var warmed = await warmUp.WritePathAsync(CancellationToken.None);
        // The aggregates each command fetches for writing (ADR 40): read on a rolled-back transaction.
        var fetched = await warmUp.AggregatesAsync(CancellationToken.None);

        Assert.Equal(before, await TestSql.ScalarAsync(Counts));
        Assert.True(fetched > 0, "no aggregate was fetched for writing");
        Assert.Equal(0, correlatedBefore);
        Assert.Equal(0, await TestSql.ScalarAsync("select count(*) from enrolment.mt_events where correlation_id = 'warm-up'"));
        // Most event types go all the way to the refusal (a projection may refuse an empty event of its type earlier).
        var types = api.Store.Options.Events.AllKnownEventTypes().Select(e => e.EventType).Distinct().Count();
        Assert.True(warmed * 2 > types, $"{warmed} of {types} event types reached the refused save");
    }

    [Fact]
    public async Task Rehearsed_commands_reach_the_refused_save_and_no_table_or_sequence_changes()
    {
        var warmUp = api.Host.Services.GetRequiredService<WarmUp>();
        await warmUp.Done.WaitAsync(TimeSpan.FromSeconds(60));
        var commands = api.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WarmUpOptions>>().Value.Commands;
        Assert.NotEmpty(commands);
        // Background work (the projections, the audit sealer every 2 s) settles what earlier tests left first.
        var before = await SettledAsync();
        var inbox = await InboxAsync();

        var rehearsed = await warmUp.RehearseCommandsAsync(CancellationToken.None);
        // The pooled connections, each prepared in a read-only transaction (ADR 47).
        var connections = await warmUp.ConnectionsAsync(CancellationToken.None);
        // A document save executed up to its refused commit (ADR 49).
        var documentSave = await warmUp.DocumentSaveAsync(CancellationToken.None);

        Assert.Equal(commands.Count, rehearsed);
        // Each save went as far as the database, which refused its first write in the read-only transaction (ADR 47).
        Assert.Equal(commands.Count, warmUp.RehearsedToTheDatabase);
        Assert.True(connections > 0, "no pooled connection was prepared");
        Assert.True(documentSave > 0, "no document save reached the refused commit");
        Assert.Equal(before, await RowsAndSequencesAsync());
        Assert.Empty(await NewInboxEnvelopesAsync(inbox));
        Assert.Equal(0, await TestSql.ScalarAsync("select count(*) from enrolment.mt_events where correlation_id = 'warm-up' or user_name = 'warm-up'"));
    }

    [Fact]
    public async Task A_rehearsal_header_without_the_key_is_an_ordinary_request()
    {
        // Outside a rehearsal (and with a key that was never made) the header grants nothing: no token, no access.
        await api.Host.Scenario(s =>
        {
            s.Post.Json(new { payer = "APBD_PROVINCE", year = 2026, amount = 1000, kind = "APBD" }).ToUrl("/api/budgets");
            s.WithRequestHeader("X-Warm-Up-Rehearsal", new string('0', 64) + ":0");
            s.StatusCodeShouldBe(401);
        });
    }

    /// <summary>Every table's row count and every sequence's last value, across every schema, once two readings agree.</summary>
    private async Task<string> SettledAsync()
    {
        var last = await RowsAndSequencesAsync();
        for (var i = 0; i < 20; i++)
        {
            await Task.Delay(2500);
            var now = await RowsAndSequencesAsync();
            // Two equal readings are not enough on a loaded machine: the sealer seals up to the daemon's high-water mark,
            // which can stand still for longer than the readings' interval and then move on mid-test (a run once saw 18
            // links sealed during the rehearsal). Settled means every event sealed too.
            if (now == last && await EverythingSealedAsync()) return now;
            last = now;
        }

        return last;
    }

    private static async Task<bool> EverythingSealedAsync() => await TestSql.ScalarAsync(
        "select ((select coalesce(max(seq_id), 0) from enrolment.mt_events) = (select coalesce(max(id), 0) from enrolment.mt_doc_auditlink))::int") == 1;

    /// <summary>
    /// Every table and sequence of this host's schema (its store's, which holds Wolverine's tables too). Other fixtures'
    /// schemas are left out: their tests run in parallel with this one and write meanwhile. So are Wolverine's cluster
    /// bookkeeping tables and their sequences (its nodes, their agent assignments and records, the control queue between
    /// nodes): its durability agent writes them on its own schedule, and on a loaded machine it once recorded the node's
    /// agent assignments in the middle of this test. Nothing a rehearsal runs can write them; every other table and
    /// sequence is compared, but for Wolverine's inbox, whose handled envelopes the durability agent deletes on its own
    /// schedule (a run once saw six go mid-test): its ids are compared instead (<see cref="NewInboxEnvelopesAsync"/>).
    /// </summary>
    private async Task<string> RowsAndSequencesAsync()
    {
        var schema = api.Store.Options.DatabaseSchemaName.Replace("'", "''");
        var tables = await TestSql.NamesAsync($"""
            select format('%I.%I', table_schema, table_name) from information_schema.tables
            where table_type = 'BASE TABLE' and table_schema = '{schema}'
              and table_name not like 'wolverine\_node%' and table_name <> 'wolverine_control_queue'
            order by 1
            """);
        Assert.Contains(tables, t => t.Contains("mt_events"));
        var counts = tables.Where(t => !t.EndsWith(".wolverine_incoming_envelopes", StringComparison.Ordinal))
            .Select(t => $"select '{t.Replace("'", "''")}=' || count(*) from {t}")
            .Append($"select sequencename || '=' || coalesce(last_value, 0) from pg_sequences where schemaname = '{schema}' " +
                    "and sequencename not like 'wolverine\\_node%'");
        return string.Join(", ", await TestSql.NamesAsync(string.Join(" union all ", counts)));
    }

    /// <summary>The ids in Wolverine's inbox now, whatever their status: a message a rehearsal sent would add one.</summary>
    private async Task<HashSet<string>> InboxAsync()
    {
        var schema = api.Store.Options.DatabaseSchemaName.Replace("\"", "\"\"");
        return (await TestSql.NamesAsync($"select id::text from \"{schema}\".wolverine_incoming_envelopes")).ToHashSet();
    }

    /// <summary>Envelopes in the inbox now that were not in <paramref name="before"/>; those deleted meanwhile do not count.</summary>
    private async Task<string[]> NewInboxEnvelopesAsync(HashSet<string> before) =>
        (await InboxAsync()).Except(before).Order().ToArray();
}
