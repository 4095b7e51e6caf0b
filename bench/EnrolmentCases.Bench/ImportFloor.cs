using System.Diagnostics;
using Npgsql;

namespace EnrolmentCases.Bench;

/// <summary>One table's share of the floor: its rows, their size in COPY's binary format, and how long writing them took.</summary>
public sealed record FloorTable(string Name, long Rows, long Bytes, int Indexes, TimeSpan Took);

public sealed record ImportFloorResult(IReadOnlyList<FloorTable> Tables, TimeSpan OneConnection, TimeSpan? TwoConnections,
    CpuTimes OneConnectionCpu)
{
    public long Rows => Tables.Sum(t => t.Rows);

    public long Bytes => Tables.Sum(t => t.Bytes);
}

/// <summary>
/// The import's own floor: every row the import left in its database, written again by binary COPY into empty tables of
/// the same shape (columns, constraints and indexes: <c>like ... including all</c>), with no logic at all. The rows are
/// read out first and held in memory as COPY's own binary stream, so only PostgreSQL's side of writing them is timed:
/// no parsing, no validation, no MACs, no sealing, no tokens. A plain single-table COPY of narrow rows is no fair
/// yardstick for an import that writes a dozen tables with their indexes; this is the least any import writing the
/// same rows could take on the same machine.
/// </summary>
public static class ImportFloor
{
    private const string Floor = "import_floor";

    /// <summary>The floor on one connection, and over two when <paramref name="twoConnections"/> (about 10 s more).</summary>
    public static async Task<ImportFloorResult> MeasureAsync(string connectionString, string schema, CpuMeter cpu, bool twoConnections)
    {
        var tables = await TablesAsync(connectionString, schema);
        var data = new List<(string Name, string Columns, int Indexes, byte[] Rows, long Count)>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            foreach (var (name, columns, indexes, count) in tables)
            {
                using var buffer = new MemoryStream();
                await using (var reader = await connection.BeginRawBinaryCopyAsync($"copy (select {columns} from {schema}.{Quote(name)}) to stdout (format binary)"))
                    await reader.CopyToAsync(buffer);
                data.Add((name, columns, indexes, buffer.ToArray(), count));
            }
        }

        try
        {
            return await WriteAllAsync(connectionString, schema, tables.Select(t => t.Name).ToList(), data, cpu, twoConnections);
        }
        finally
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {Floor} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private static async Task<ImportFloorResult> WriteAllAsync(string connectionString, string schema, List<string> tables,
        List<(string Name, string Columns, int Indexes, byte[] Rows, long Count)> data, CpuMeter cpu, bool twoConnections)
    {
        // One connection, one transaction, table after table: how the import's chunks write (one chain of transactions).
        await CreateAsync(connectionString, schema, tables);
        var before = cpu.Read();
        var started = Stopwatch.GetTimestamp();
        var took = await WriteAsync(connectionString, data);
        var oneConnection = Stopwatch.GetElapsedTime(started);
        var oneConnectionCpu = cpu.Read() - before;

        // The same rows over two connections at once (the machine's two cores), each taking the next table by size.
        TimeSpan? overTwo = null;
        if (twoConnections) overTwo = await TwoConnectionsAsync(connectionString, schema, tables, data);

        return new ImportFloorResult(
            data.Select(d => new FloorTable(d.Name, d.Count, d.Rows.Length, d.Indexes, took[d.Name])).OrderByDescending(t => t.Took).ToList(),
            oneConnection, overTwo, oneConnectionCpu);
    }

    private static async Task<TimeSpan> TwoConnectionsAsync(string connectionString, string schema, IEnumerable<string> tables,
        List<(string Name, string Columns, int Indexes, byte[] Rows, long Count)> data)
    {
        await CreateAsync(connectionString, schema, tables);
        var queue = new Queue<(string Name, string Columns, int Indexes, byte[] Rows, long Count)>(data.OrderByDescending(d => d.Rows.Length));
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            while (true)
            {
                (string Name, string Columns, int Indexes, byte[] Rows, long Count) next;
                lock (queue)
                {
                    if (queue.Count == 0) break;
                    next = queue.Dequeue();
                }

                await CopyAsync(connection, next.Name, next.Columns, next.Rows);
            }

            await transaction.CommitAsync();
        })));
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// Waits until the import's followers (the projection daemon, the audit sealer) have stopped adding rows: the same count
    /// of rows in every table twice, two seconds apart (at most a minute).
    /// </summary>
    /// <returns>Whether the counts settled within the minute.</returns>
    public static async Task<bool> SettleAsync(string connectionString, string schema)
    {
        var last = "";
        for (var i = 0; i < 30; i++)
        {
            var now = string.Join(",", (await TablesAsync(connectionString, schema)).Select(t => $"{t.Name}={t.Count}"));
            if (now == last) return true;
            last = now;
            await Task.Delay(2000);
        }

        return false;
    }

    /// <summary>The schema's tables that hold rows, with their columns (generated ones left out: COPY cannot write them).</summary>
    private static async Task<List<(string Name, string Columns, int Indexes, long Count)>> TablesAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var tables = new List<(string Name, string Columns, int Indexes)>();
        await using (var command = new NpgsqlCommand("""
            select c.relname,
                   string_agg(quote_ident(a.attname), ', ' order by a.attnum),
                   (select count(*) from pg_index i where i.indrelid = c.oid)::int
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            where n.nspname = $1 and c.relkind = 'r'
            group by c.oid, c.relname
            order by c.relname
            """, connection))
        {
            command.Parameters.AddWithValue(schema);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2)));
        }

        var counted = new List<(string, string, int, long)>();
        foreach (var (name, columns, indexes) in tables)
        {
            await using var count = new NpgsqlCommand($"select count(*) from {schema}.{Quote(name)}", connection);
            var rows = (long)(await count.ExecuteScalarAsync())!;
            if (rows > 0) counted.Add((name, columns, indexes, rows));
        }

        return counted;
    }

    private static async Task CreateAsync(string connectionString, string schema, IEnumerable<string> tables)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var sql = $"drop schema if exists {Floor} cascade; create schema {Floor}; " +
                  string.Concat(tables.Select(t => $"create table {Floor}.{Quote(t)} (like {schema}.{Quote(t)} including all); "));
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<Dictionary<string, TimeSpan>> WriteAsync(string connectionString,
        List<(string Name, string Columns, int Indexes, byte[] Rows, long Count)> data)
    {
        var took = new Dictionary<string, TimeSpan>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var table in data)
        {
            var started = Stopwatch.GetTimestamp();
            await CopyAsync(connection, table.Name, table.Columns, table.Rows);
            took[table.Name] = Stopwatch.GetElapsedTime(started);
        }

        await transaction.CommitAsync();
        return took;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, string columns, byte[] rows)
    {
        await using var writer = await connection.BeginRawBinaryCopyAsync($"copy {Floor}.{Quote(table)} ({columns}) from stdin (format binary)");
        // In slices, as a client streams a COPY: one message of a whole table would make the server take it all in before
        // it parses a row (and a message may not exceed 1 GB).
        const int slice = 1 << 20;
        for (var at = 0; at < rows.Length; at += slice)
            await writer.WriteAsync(rows.AsMemory(at, Math.Min(slice, rows.Length - at)));
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
