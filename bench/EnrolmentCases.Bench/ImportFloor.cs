using System.Diagnostics;
using Npgsql;

namespace EnrolmentCases.Bench;

/// <summary>One table's share of the floor: its rows, their size in COPY's binary format, and how long writing them took.</summary>
public sealed record FloorTable(string Name, long Rows, long Bytes, int Indexes, TimeSpan Took);

/// <summary>The floor, table by table; <see cref="Settled"/> is false when the tables were still growing after a minute.</summary>
public sealed record ImportFloorResult(IReadOnlyList<FloorTable> Tables, TimeSpan OneConnection, TimeSpan? TwoConnections,
    CpuTimes OneConnectionCpu, bool Settled)
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

    /// <summary>A table of the schema: its name (and as an identifier), the columns COPY writes, its indexes and rows.</summary>
    private sealed record Table(string Name, string Identifier, string Columns, int Indexes, long Count);

    private sealed record Copied(Table Table, byte[] Rows);

    /// <summary>
    /// Waits until the import's followers (the projection daemon, the audit sealer) have stopped adding rows, then measures
    /// the floor on one connection, and over two when <paramref name="twoConnections"/> (about 10 s more).
    /// </summary>
    public static async Task<ImportFloorResult> MeasureAsync(string connectionString, string schema, CpuMeter cpu, bool twoConnections)
    {
        var (tables, settled) = await SettledTablesAsync(connectionString, schema);
        var data = new List<Copied>();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            foreach (var table in tables)
            {
                using var buffer = new MemoryStream();
                await using (var reader = await connection.BeginRawBinaryCopyAsync(
                                 $"copy (select {table.Columns} from {schema}.{table.Identifier}) to stdout (format binary)"))
                    await reader.CopyToAsync(buffer);
                data.Add(new Copied(table, buffer.ToArray()));
            }
        }

        try
        {
            // One connection, one transaction, table after table: how the import's chunks write (one chain of transactions).
            await CreateAsync(connectionString, schema, tables);
            var before = cpu.Read();
            var started = Stopwatch.GetTimestamp();
            var took = await WriteAsync(connectionString, data);
            var oneConnection = Stopwatch.GetElapsedTime(started);
            var oneConnectionCpu = cpu.Read() - before;

            TimeSpan? overTwo = null;
            if (twoConnections)
            {
                await CreateAsync(connectionString, schema, tables);
                overTwo = await TwoConnectionsAsync(connectionString, data);
            }

            return new ImportFloorResult(
                data.Select(d => new FloorTable(d.Table.Name, d.Table.Count, d.Rows.Length, d.Table.Indexes, took[d.Table.Name]))
                    .OrderByDescending(t => t.Took).ToList(),
                oneConnection, overTwo, oneConnectionCpu, settled);
        }
        finally
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop schema if exists {Floor} cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The same rows over two connections at once (the machine's two cores), each taking the next table by size.</summary>
    private static async Task<TimeSpan> TwoConnectionsAsync(string connectionString, List<Copied> data)
    {
        var queue = new Queue<Copied>(data.OrderByDescending(d => d.Rows.Length));
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            while (true)
            {
                Copied next;
                lock (queue)
                {
                    if (queue.Count == 0) break;
                    next = queue.Dequeue();
                }

                await CopyAsync(connection, next);
            }

            await transaction.CommitAsync();
        })));
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>
    /// The schema's tables that hold rows, once every table's count has stayed the same over two seconds (at most a
    /// minute; <c>Settled</c> says whether it did).
    /// </summary>
    private static async Task<(List<Table> Tables, bool Settled)> SettledTablesAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var catalogue = await CatalogueAsync(connection, schema);
        List<Table> last = [];
        for (var i = 0; i < 30; i++)
        {
            var now = new List<Table>();
            foreach (var table in catalogue)
            {
                await using var count = new NpgsqlCommand($"select count(*) from {schema}.{table.Identifier}", connection);
                if ((long)(await count.ExecuteScalarAsync())! is var rows and > 0) now.Add(table with { Count = rows });
            }

            if (i > 0 && now.SequenceEqual(last)) return (now, true);
            last = now;
            await Task.Delay(2000);
        }

        return (last, false);
    }

    /// <summary>The schema's tables with their columns (generated ones left out: COPY cannot write them) and index count.</summary>
    private static async Task<List<Table>> CatalogueAsync(NpgsqlConnection connection, string schema)
    {
        var tables = new List<Table>();
        await using var command = new NpgsqlCommand("""
            select c.relname,
                   quote_ident(c.relname),
                   string_agg(quote_ident(a.attname), ', ' order by a.attnum),
                   (select count(*) from pg_index i where i.indrelid = c.oid)::int
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
            where n.nspname = $1 and c.relkind = 'r'
            group by c.oid, c.relname
            order by c.relname
            """, connection);
        command.Parameters.AddWithValue(schema);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) tables.Add(new Table(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), 0));
        return tables;
    }

    /// <summary>Empty tables of the same shape in a schema of the floor's own, anew.</summary>
    private static async Task CreateAsync(string connectionString, string schema, IEnumerable<Table> tables)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var sql = $"drop schema if exists {Floor} cascade; create schema {Floor}; " +
                  string.Concat(tables.Select(t => $"create table {Floor}.{t.Identifier} (like {schema}.{t.Identifier} including all); "));
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<Dictionary<string, TimeSpan>> WriteAsync(string connectionString, List<Copied> data)
    {
        var took = new Dictionary<string, TimeSpan>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var copied in data)
        {
            var started = Stopwatch.GetTimestamp();
            await CopyAsync(connection, copied);
            took[copied.Table.Name] = Stopwatch.GetElapsedTime(started);
        }

        await transaction.CommitAsync();
        return took;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, Copied copied)
    {
        await using var writer = await connection.BeginRawBinaryCopyAsync(
            $"copy {Floor}.{copied.Table.Identifier} ({copied.Table.Columns}) from stdin (format binary)");
        // In slices, as a client streams a COPY: one message of a whole table would make the server take it all in before
        // it parses a row (and a message may not exceed 1 GB).
        const int slice = 1 << 20;
        for (var at = 0; at < copied.Rows.Length; at += slice)
            await writer.WriteAsync(copied.Rows.AsMemory(at, Math.Min(slice, copied.Rows.Length - at)));
    }
}
