using System.Net;
using System.Net.Http.Json;
using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The API serves as a runtime role that does not own its schema (docs/adr/0016-least-privilege-database-roles.md):
/// whoever holds its credentials can add events and chain links but not edit, delete or truncate them, nor change
/// any table. Every other test proves that the API does all it must as that role, since every host serves as it.
/// </summary>
[Collection(ApiCollection.Name)]
public class LeastPrivilege(ApiFixture api)
{
    private string Schema => api.Store.Options.DatabaseSchemaName;

    private static string MigrationDatabase =>
        ApiProcess.MigrationDatabase ?? throw new InvalidOperationException(
            "ConnectionStrings__MartenMigration is not set: run the tests through ./test.sh, which gives them an owner and a runtime role.");

    private static async Task<object?> AsRuntimeRole(string sql)
    {
        await using var connection = new NpgsqlConnection(ApiProcess.TestDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    [Fact]
    public async Task the_runtime_role_can_add_to_the_event_log_and_the_chain_but_not_change_them_nor_any_table()
    {
        _ = MigrationDatabase;
        var kaur = api.Token("caseworker", "17.04");
        var caseId = await api.Host.IdentifyWorker(kaur);
        // Every event sealed, so that no sealer run adds links while the counts below are compared.
        await TestSql.Eventually(
            $"select coalesce((select max(id) from {Schema}.mt_doc_auditlink), 0) >= (select max(seq_id) from {Schema}.mt_events)",
            "the sealer has linked every event into the chain");

        // The role the API serves as, and the schema's owner, are two roles.
        string runtimeRole;
        await using (var served = api.Store.Storage.Database.CreateConnection())
        {
            await served.OpenAsync();
            await using var command = new NpgsqlCommand("select current_user::text", served);
            runtimeRole = (string)(await command.ExecuteScalarAsync())!;
        }

        Assert.Equal(runtimeRole, await AsRuntimeRole("select current_user::text"));
        var owner = await TestSql.ValueAsync($"select nspowner::regrole::text from pg_namespace where nspname = '{Schema}'");
        Assert.NotEqual(runtimeRole, owner);

        var events = await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_events");
        var links = await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_auditlink");
        var newest = $"(select max(seq_id) from {Schema}.mt_events)";
        var newestLink = $"(select max(id) from {Schema}.mt_doc_auditlink)";
        string[] refused =
        [
            $"update {Schema}.mt_events set data = data where seq_id = {newest}",
            $"delete from {Schema}.mt_events where seq_id = {newest}",
            $"truncate {Schema}.mt_events",
            $"update {Schema}.mt_doc_auditlink set data = data where id = {newestLink}",
            $"delete from {Schema}.mt_doc_auditlink where id = {newestLink}",
            $"truncate {Schema}.mt_doc_auditlink",
            $"delete from {Schema}.mt_doc_accesslogentry",
            // A stream's events go with its row (on delete cascade): streams are not deleted either.
            $"delete from {Schema}.mt_streams where id = '{caseId}'",
            $"alter table {Schema}.mt_events add column forged text",
            $"alter table {Schema}.mt_events disable trigger all",
            $"drop table {Schema}.mt_doc_auditlink",
            $"create table {Schema}.forged (id int)",
            $"create or replace function {Schema}.forged() returns int language sql as 'select 1'",
            $"alter sequence {Schema}.mt_events_sequence restart with 1",
            $"select setval('{Schema}.mt_events_sequence', 1)"
        ];
        foreach (var sql in refused)
        {
            var refusal = await Assert.ThrowsAsync<PostgresException>(() => AsRuntimeRole(sql));
            Assert.True(refusal.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {refusal.SqlState} {refusal.MessageText}");
        }

        Assert.Equal(events, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_events"));
        Assert.Equal(links, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_auditlink"));
        Assert.True((await api.Host.VerifyChain(api.Token("auditor"))).Valid);
    }

    [Fact]
    public async Task a_node_with_only_the_runtime_role_serves_a_schema_db_migrate_applied_and_a_table_added_later_is_granted_by_the_next()
    {
        _ = MigrationDatabase;
        const string schema = "roles_later";
        await TestSql.ExecuteAsync($"drop schema if exists {schema} cascade");
        var first = await ApiProcess.RunAsync(schema, "db-migrate");
        Assert.True(first.ExitCode == 0, first.ToString());

        // As compose runs its nodes: no owner's credentials, and no schema work at start.
        await using (var node = await ApiServer.StartAsync(schema, ApiProcess.TestDatabase,
                         new Dictionary<string, string> { ["EventStore:ApplySchemaAtStart"] = "false" }, waitUntilReady: true))
        {
            using var opened = await node.Client.SendAsync(ApiServer.Authorized(HttpMethod.Post, "/api/cases", node.Token("caseworker", "17.04"),
                JsonContent.Create(Scenarios.NewWorker(regency: "17.04"))));
            Assert.True(opened.StatusCode == HttpStatusCode.Created, $"{opened.StatusCode}: {await opened.Content.ReadAsStringAsync()}\n{node.RecentOutput}");
        }

        Assert.True(await TestSql.ScalarAsync($"select count(*) from {schema}.mt_events") > 0, "the case was stored");

        // A table the runtime role has never heard of, created by the owner as a module's next version would.
        await TestSql.ExecuteAsync($"create table {schema}.mt_doc_addedlater (id text primary key, data jsonb)");
        var denied = await Assert.ThrowsAsync<PostgresException>(() => AsRuntimeRole($"select count(*) from {schema}.mt_doc_addedlater"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, denied.SqlState);

        var again = await ApiProcess.RunAsync(schema, "db-migrate");
        Assert.True(again.ExitCode == 0, again.ToString());
        await AsRuntimeRole($"insert into {schema}.mt_doc_addedlater values ('p1', '{{}}'); update {schema}.mt_doc_addedlater set data = '{{\"k\": 1}}'");
        await AsRuntimeRole($"delete from {schema}.mt_doc_addedlater where id = 'p1'");
        var events = await Assert.ThrowsAsync<PostgresException>(() => AsRuntimeRole($"delete from {schema}.mt_events"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, events.SqlState);
        await TestSql.ExecuteAsync($"drop schema {schema} cascade");
    }
}
