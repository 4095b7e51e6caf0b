using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

// Measures what a write shape costs PostgreSQL (the backend's CPU from /proc, so on the machine the server runs on)
// and this process, on a private database (ADR 0045; docs/benchmarks.md has the figures):
//   dotnet run -c Release -- "<connection string>" <pages> <rows a page>
//       coverage rows: one insert a row in a batch (Marten's Insert, as the daemon sent them), one unnest insert a page
//       (the projection now), one binary COPY a page (Marten's rebuild with bulk copy)
//   dotnet run -c Release -- "<connection string>" <chunks> <cases a chunk> events
//       an import chunk's events COPY (two events a case) into tables shaped as Marten's mt_streams and mt_events,
//       with and without the foreign key to mt_streams, the (stream_id, version) index, jsonb, and an event-type index
//   dotnet run -c Release -- tokens
//       a case's search tokens (21 word prefixes): a one-shot HMAC each against one keyed HMAC reused for the case
// It creates and drops its own tables (cc, st, ev) in the database given: never point it at a real one.
if (args is ["tokens"]) { Tokens.Run(); return; }
var cs = args[0];
if (args.Length > 3 && args[3] == "events") { await EventsCopy.RunAsync(cs, int.Parse(args[1]), int.Parse(args[2])); return; }
int pages = int.Parse(args[1]), perPage = int.Parse(args[2]);
await using var conn = new NpgsqlConnection(cs);
await conn.OpenAsync();
async Task Exec(string sql) { await using var c = new NpgsqlCommand(sql, conn); await c.ExecuteNonQueryAsync(); }
await Exec("""
drop table if exists cc;
create table cc (id varchar not null primary key, data jsonb not null, mt_last_modified timestamptz default transaction_timestamp(),
  mt_version uuid not null default (md5(random()::text || clock_timestamp()::text)::uuid), mt_dotnet_type varchar,
  recorded_at timestamptz, effective_at timestamptz);
create index cc_r on cc (recorded_at); create index cc_e on cc (effective_at);
""");
int pid; await using (var c = new NpgsqlCommand("select pg_backend_pid()", conn)) pid = (int)(await c.ExecuteScalarAsync())!;
double BackendCpuMs() { var f = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries); return (long.Parse(f[11]) + long.Parse(f[12])) * 10.0; }
var seq = 1_000_000L;
var at = DateTimeOffset.UtcNow;
(string Id, string Data, DateTimeOffset R, DateTimeOffset E)[] Rows()
{
    var rows = new (string, string, DateTimeOffset, DateTimeOffset)[perPage];
    for (var i = 0; i < perPage; i++)
    {
        var id = $"{seq++}:0"; var r = at.AddTicks(seq * 137); var e = r.AddDays(-3);
        rows[i] = (id, $$"""{"id":"{{id}}","regencyCode":"17.0{{i % 9 + 1}}","recordedAt":"{{r:O}}","recorded":[{"stage":"Identified","change":1}],"effectiveAt":"{{e:O}}","effective":[{"stage":"Identified","change":1}]}""", r, e);
    }
    return rows;
}
async Task Single()
{
    for (var p = 0; p < pages; p++)
    {
        var rows = Rows();
        await using var tx = await conn.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(conn, tx);
        foreach (var row in rows)
        {
            var cmd = new NpgsqlBatchCommand("insert into cc (id, data, \"mt_version\", \"mt_dotnet_type\", \"mt_last_modified\", \"recorded_at\", \"effective_at\") values ($1, $2, $3, $4, transaction_timestamp(), $5, $6)");
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.Id, NpgsqlDbType = NpgsqlDbType.Varchar });
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.Data, NpgsqlDbType = NpgsqlDbType.Jsonb });
            cmd.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid(), NpgsqlDbType = NpgsqlDbType.Uuid });
            cmd.Parameters.Add(new NpgsqlParameter { Value = "EnrolmentCases.Coverage.CoverageChange", NpgsqlDbType = NpgsqlDbType.Varchar });
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.R, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new NpgsqlParameter { Value = row.E, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(cmd);
        }
        await batch.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }
}
async Task SetWise()
{
    for (var p = 0; p < pages; p++)
    {
        var rows = Rows();
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand("insert into cc (id, data, mt_dotnet_type, recorded_at, effective_at) " +
            "select r.id, r.data::jsonb, $1, case when r.has_recorded then r.recorded end, case when r.has_effective then r.effective end " +
            "from unnest($2::varchar[], $3::text[], $4::timestamptz[], $5::boolean[], $6::timestamptz[], $7::boolean[]) " +
            "with ordinality as r(id, data, recorded, has_recorded, effective, has_effective, n) order by r.n", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = "EnrolmentCases.Coverage.CoverageChange" });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Data).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.R).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(_ => true).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.E).ToArray() });
        cmd.Parameters.Add(new NpgsqlParameter { Value = rows.Select(_ => true).ToArray() });
        await cmd.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }
}
async Task Copy()
{
    for (var p = 0; p < pages; p++)
    {
        var rows = Rows();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var w = await conn.BeginBinaryImportAsync("copy cc (id, data, mt_dotnet_type, mt_version, mt_last_modified, recorded_at, effective_at) from stdin (format binary)"))
        {
            foreach (var row in rows)
            {
                await w.StartRowAsync(); await w.WriteAsync(row.Id, NpgsqlDbType.Varchar); await w.WriteAsync(row.Data, NpgsqlDbType.Jsonb);
                await w.WriteAsync("EnrolmentCases.Coverage.CoverageChange", NpgsqlDbType.Varchar); await w.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid);
                await w.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
                await w.WriteAsync(row.R, NpgsqlDbType.TimestampTz); await w.WriteAsync(row.E, NpgsqlDbType.TimestampTz);
            }
            await w.CompleteAsync();
        }
        await tx.CommitAsync();
    }
}
foreach (var round in new[] { 1, 2, 3 })
foreach (var (name, run) in new (string, Func<Task>)[] { ("single", Single), ("setwise", SetWise), ("copy", Copy) })
{
    await Exec("truncate cc");
    var pg0 = BackendCpuMs(); var me0 = Process.GetCurrentProcess().TotalProcessorTime; var sw = Stopwatch.StartNew();
    await run();
    var rowsN = pages * perPage;
    var pgMs = BackendCpuMs() - pg0; var meMs = (Process.GetCurrentProcess().TotalProcessorTime - me0).TotalMilliseconds;
    Console.WriteLine($"round {round} {name,-8}: {rowsN} rows, PG backend CPU {pgMs / rowsN * 1000:F1} us/row, client CPU {meMs / rowsN * 1000:F1} us/row, wall {sw.ElapsedMilliseconds} ms");
}

static class EventsCopy
{
    public static async Task RunAsync(string cs, int chunks, int casesPerChunk)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        async Task Exec(string sql) { await using var c = new NpgsqlCommand(sql, conn); await c.ExecuteNonQueryAsync(); }
        int pid; await using (var c = new NpgsqlCommand("select pg_backend_pid()", conn)) pid = (int)(await c.ExecuteScalarAsync())!;
        double Cpu() { var f = File.ReadAllText($"/proc/{pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries); return (long.Parse(f[11]) + long.Parse(f[12])) * 10.0; }
        var rnd = new Random(1);
        string B64(int n) { var b = new byte[n]; rnd.NextBytes(b); return Convert.ToBase64String(b); }
        var variants = new (string Name, string Ddl)[]
        {
            ("marten", "fk,uniq,jsonb"), ("no-fk", "uniq,jsonb"), ("no-unique-idx", "fk,jsonb"), ("neither", "jsonb"), ("json-not-jsonb", "fk,uniq"),
            ("+type-index", "fk,uniq,jsonb,typeidx")
        };
        long seq = 0;
        foreach (var round in new[] { 1, 2 })
        foreach (var (name, ddl) in variants)
        {
            var flags = ddl.Split(',');
            var jsonType = flags.Contains("jsonb") ? "jsonb" : "json";
            await Exec($"""
drop table if exists ev; drop table if exists st;
create table st (id uuid primary key, type varchar, version bigint, timestamp timestamptz not null default now(), snapshot jsonb, snapshot_version int,
  created timestamptz not null default now(), tenant_id varchar default '*DEFAULT*', is_archived bool default false);
create table ev (seq_id bigint primary key, id uuid not null, stream_id uuid {(flags.Contains("fk") ? "references st(id) on delete cascade" : "")}, version bigint not null,
  data {jsonType} not null, bdata bytea, type varchar(500) not null, timestamp timestamptz not null default now(), tenant_id varchar default '*DEFAULT*',
  mt_dotnet_type varchar, correlation_id varchar, causation_id varchar, headers {jsonType}, user_name varchar, is_archived bool default false);
{(flags.Contains("uniq") ? "create unique index ev_sv on ev (stream_id, version);" : "")}
{(flags.Contains("typeidx") ? "create index ev_type on ev (type, seq_id);" : "")}
""");
            double copyMs = 0;
            for (var chunk = 0; chunk < chunks; chunk++)
            {
                var streams = Enumerable.Range(0, casesPerChunk).Select(_ => Guid.CreateVersion7()).ToList();
                await using var tx = await conn.BeginTransactionAsync();
                await using (var w = await conn.BeginBinaryImportAsync("copy st (id, type, version, timestamp, created, tenant_id) from stdin (format binary)"))
                {
                    foreach (var s in streams)
                    {
                        await w.StartRowAsync(); await w.WriteAsync(s, NpgsqlDbType.Uuid); await w.WriteAsync("case", NpgsqlDbType.Varchar);
                        await w.WriteAsync(2L, NpgsqlDbType.Bigint); await w.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
                        await w.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz); await w.WriteAsync("*DEFAULT*", NpgsqlDbType.Varchar);
                    }
                    await w.CompleteAsync();
                }
                var rows = new List<object[]>();
                foreach (var s in streams)
                {
                    var identified = $$"""{"caseId":"{{s}}","subject":"{{B64(32)}}","keyId":"{{B64(12)}}","nik":"{{B64(40)}}","fullName":"{{B64(40)}}","phone":"{{B64(30)}}","district":"{{B64(30)}}","village":"{{B64(30)}}","regencyCode":"17.02","occupation":"petani","source":"Dtsen","identifiedAt":"2026-11-29T22:00:00.1234567+00:00"}""";
                    var changed = $$"""{"caseId":"{{s}}","regencyCode":"17.02","from":null,"to":"Identified","recorded":[{"stage":"Identified","change":1,"at":"2026-11-29T22:00:00.1234567+00:00"}],"effective":[{"stage":"Identified","change":1,"at":"2026-11-29T22:00:00.1234567+00:00"}]}""";
                    var headers = $$"""{"listSource":"Village list Curup 2026","macKey":"k1","mac":"{{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}}"}""";
                    rows.Add([++seq, Guid.CreateVersion7(), s, 1L, identified, "worker_identified", headers]);
                    rows.Add([++seq, Guid.CreateVersion7(), s, 2L, changed, "case_stage_changed", headers]);
                }
                var before = Cpu();
                await using (var w = await conn.BeginBinaryImportAsync("copy ev (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, correlation_id, causation_id, headers, user_name) from stdin (format binary)"))
                {
                    var t = jsonType == "json" ? NpgsqlDbType.Json : NpgsqlDbType.Jsonb;
                    foreach (var r in rows)
                    {
                        await w.StartRowAsync();
                        await w.WriteAsync((long)r[0], NpgsqlDbType.Bigint); await w.WriteAsync((Guid)r[1], NpgsqlDbType.Uuid); await w.WriteAsync((Guid)r[2], NpgsqlDbType.Uuid);
                        await w.WriteAsync((long)r[3], NpgsqlDbType.Bigint); await w.WriteAsync((string)r[4], t); await w.WriteAsync((string)r[5], NpgsqlDbType.Varchar);
                        await w.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz); await w.WriteAsync("*DEFAULT*", NpgsqlDbType.Varchar);
                        await w.WriteAsync("EnrolmentCases.Cases.WorkerIdentified, EnrolmentCases.Api", NpgsqlDbType.Varchar);
                        await w.WriteAsync("0193abcd", NpgsqlDbType.Varchar); await w.WriteAsync("import chunk 3", NpgsqlDbType.Varchar);
                        await w.WriteAsync((string)r[6], t); await w.WriteAsync("caseworker-1", NpgsqlDbType.Varchar);
                    }
                    await w.CompleteAsync();
                }
                copyMs += Cpu() - before;
                await tx.CommitAsync();
            }
            Console.WriteLine($"round {round} {name,-15}: events COPY, PG backend CPU {copyMs / chunks:F1} ms per chunk of {casesPerChunk * 2} events ({copyMs / chunks / (casesPerChunk * 2) * 1000:F1} us/event)");
        }
    }
}

static class Tokens
{
    public static void Run()
    {
        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var prefixes = new List<string>();
        foreach (var w in new[] { "siti", "nurhaliza", "binti", "ahmad", "sukarami" })
            for (var n = 3; n <= w.Length; n++) prefixes.Add(w[..n]);
        long OneShot(string p)
        {
            Span<byte> mac = stackalloc byte[32];
            System.Security.Cryptography.HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes("prefix/" + p), mac);
            return System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(mac);
        }

        long Reused(System.Security.Cryptography.IncrementalHash h, string p)
        {
            Span<byte> mac = stackalloc byte[32];
            h.AppendData(System.Text.Encoding.UTF8.GetBytes("prefix/" + p));
            h.GetHashAndReset(mac);
            return System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(mac);
        }

        const int rows = 20_000;
        for (var round = 1; round <= 3; round++)
        {
            long check = 0;
            var t0 = Process.GetCurrentProcess().TotalProcessorTime;
            for (var r = 0; r < rows; r++) foreach (var p in prefixes) check += OneShot(p);
            var t1 = Process.GetCurrentProcess().TotalProcessorTime;
            for (var r = 0; r < rows; r++)
            {
                using var h = System.Security.Cryptography.IncrementalHash.CreateHMAC(System.Security.Cryptography.HashAlgorithmName.SHA256, key);
                foreach (var p in prefixes) check -= Reused(h, p);
            }

            var t2 = Process.GetCurrentProcess().TotalProcessorTime;
            Console.WriteLine($"round {round}: {prefixes.Count} tokens a case, one-shot {(t1 - t0).TotalMilliseconds * 1000 / rows:F1} us, " +
                              $"one keyed HMAC a case {(t2 - t1).TotalMilliseconds * 1000 / rows:F1} us (same tokens: {check == 0})");
        }
    }
}
