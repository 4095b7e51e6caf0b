using System.Diagnostics;
using HdrHistogram;
using Npgsql;
using NpgsqlTypes;

namespace EnrolmentCases.Bench;

public sealed record RawResult(long Rows, TimeSpan Took, HistogramBase Latency)
{
    public double RowsPerSecond => Rows / Took.TotalSeconds;
}

/// <summary>
/// The machine's own limit for writing events: rows shaped like an event store's (sequence,
/// stream id, version, type, jsonb data, timestamp), written straight through Npgsql.
/// </summary>
public static class PostgresLimit
{
    private const string Table = """
        create table raw_events (
            seq_id bigserial primary key,
            stream_id uuid not null,
            version bigint not null,
            type text not null,
            data jsonb not null,
            timestamp timestamptz not null default now(),
            unique (stream_id, version))
        """;

    // About the size of a WorkerIdentified event as the API stores it.
    private const string Data = """
        {"caseId":"01a21323-202f-771a-9c33-615445917875","nik":"1704015408920003","fullName":"Siti Aminah",
         "regencyCode":"17.04","district":"Kaur Selatan","village":"Padang Petron","occupation":"rubber tapper",
         "phone":"081270001234","source":"P3KE","identifiedAt":"2026-11-25T14:36:38.8318834+00:00"}
        """;

    public static async Task CreateTableAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("drop table if exists raw_events; " + Table, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Each of <paramref name="connections"/> loops inserting one row per transaction (autocommit) for the duration.</summary>
    public static async Task<RawResult> SingleRowInsertsAsync(string connectionString, int connections, TimeSpan duration)
    {
        await CreateTableAsync(connectionString);
        var latency = Histograms.Create();
        var started = Stopwatch.GetTimestamp();
        var counts = await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "insert into raw_events (stream_id, version, type, data) values ($1, $2, $3, $4)", connection);
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = Data });
            await insert.PrepareAsync();
            var stream = Guid.CreateVersion7();
            long rows = 0;
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                var begin = Stopwatch.GetTimestamp();
                insert.Parameters[0].Value = stream;
                insert.Parameters[1].Value = rows + 1;
                insert.Parameters[2].Value = "worker_identified";
                await insert.ExecuteNonQueryAsync();
                Histograms.Record(latency, begin);
                rows++;
                if (rows % 10 == 0) stream = Guid.CreateVersion7();
            }
            return rows;
        }));
        return new RawResult(counts.Sum(), Stopwatch.GetElapsedTime(started), latency);
    }

    /// <summary>Reads of one row by primary key, one at a time on one connection (run after the COPY filled the table).</summary>
    public static async Task<RawResult> PointReadsAsync(string connectionString, int rows, TimeSpan duration)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("select data from raw_events where seq_id = $1", connection);
        select.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint });
        await select.PrepareAsync();
        var latency = Histograms.Create();
        var started = Stopwatch.GetTimestamp();
        long reads = 0;
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            var begin = Stopwatch.GetTimestamp();
            select.Parameters[0].Value = Random.Shared.NextInt64(1, rows + 1);
            await select.ExecuteScalarAsync();
            Histograms.Record(latency, begin);
            reads++;
        }

        return new RawResult(reads, Stopwatch.GetElapsedTime(started), latency);
    }

    /// <summary>The same rows through one binary COPY in one transaction.</summary>
    public static async Task<RawResult> BinaryCopyAsync(string connectionString, int rows)
    {
        await CreateTableAsync(connectionString);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var started = Stopwatch.GetTimestamp();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var writer = await connection.BeginBinaryImportAsync(
                             "copy raw_events (stream_id, version, type, data) from stdin (format binary)"))
            {
                var stream = Guid.CreateVersion7();
                for (var i = 0; i < rows; i++)
                {
                    if (i % 10 == 0) stream = Guid.CreateVersion7();
                    await writer.StartRowAsync();
                    await writer.WriteAsync(stream, NpgsqlDbType.Uuid);
                    await writer.WriteAsync((long)(i % 10 + 1), NpgsqlDbType.Bigint);
                    await writer.WriteAsync("worker_identified", NpgsqlDbType.Text);
                    await writer.WriteAsync(Data, NpgsqlDbType.Jsonb);
                }

                await writer.CompleteAsync();
            }

            await transaction.CommitAsync();
        }

        var took = Stopwatch.GetElapsedTime(started);
        var latency = Histograms.Create();
        latency.RecordValue((long)took.TotalMicroseconds);
        return new RawResult(rows, took, latency);
    }
}
