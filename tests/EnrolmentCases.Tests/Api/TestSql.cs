using Npgsql;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Plain SQL on the test database, for what tests do beside (and after) their hosts: as the schemas' owner, who
/// may do what the API's runtime role may not (edit events, change tables). With <c>asRuntime</c>, as the runtime
/// role the API serves as instead: for what belongs to it (the replay verification's scratch schemas, which the
/// owner may not enter, and its sessions, whose state only that role sees).
/// </summary>
public static class TestSql
{
    private static async Task<NpgsqlConnection> OpenAsync(bool asRuntime = false)
    {
        var connection = new NpgsqlConnection(asRuntime ? ApiProcess.TestDatabase : ApiProcess.OwnerDatabase);
        await connection.OpenAsync();
        return connection;
    }

    public static async Task ExecuteAsync(string sql, bool asRuntime = false)
    {
        await using var connection = await OpenAsync(asRuntime);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<object?> ValueAsync(string sql, bool asRuntime = false)
    {
        await using var connection = await OpenAsync(asRuntime);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public static async Task<long> ScalarAsync(string sql, bool asRuntime = false) => Convert.ToInt64(await ValueAsync(sql, asRuntime));

    /// <summary>The first column of every row, as text.</summary>
    public static async Task<IReadOnlyList<string>> NamesAsync(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var names = new List<string>();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>
    /// The plan PostgreSQL makes for a command as built (a Marten query's ToCommand, its parameters bound), one line a row,
    /// after the given settings (e.g. <c>set enable_seqscan = off</c>) on the same connection.
    /// </summary>
    public static async Task<IReadOnlyList<string>> PlanAsync(NpgsqlCommand command, string? settings = null)
    {
        await using var connection = await OpenAsync();
        if (settings is not null)
            await using (var set = new NpgsqlCommand(settings, connection)) await set.ExecuteNonQueryAsync();
        command.CommandText = "explain " + command.CommandText;
        command.Connection = connection;
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new List<string>();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        return plan;
    }

    /// <summary>Waits, generously, until the query answers true.</summary>
    public static async Task Eventually(string condition, string what, bool asRuntime = false)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (await ValueAsync(condition, asRuntime) is not true)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not yet: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>Holds an exclusive lock on a table until disposed, as a long transaction elsewhere would.</summary>
    public static async Task<IAsyncDisposable> LockAsync(string table)
    {
        var connection = await OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand($"lock table {table} in access exclusive mode", connection, transaction))
            await command.ExecuteNonQueryAsync();
        return new Held(connection, transaction);
    }

    private sealed class Held(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        }
    }
}
