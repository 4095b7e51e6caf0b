using EnrolmentCases.Infrastructure;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Privacy;
using JasperFx;
using Marten;
using Marten.Events;
using Marten.Internal;
using Npgsql;
using NpgsqlTypes;

namespace EnrolmentCases.Imports;

/// <summary>One case a chunk opens: its claim, its events (already decided, as POST /api/cases decides them) and its seal.</summary>
public sealed record Opening(Guid CaseId, OpenCaseClaim Claim, IReadOnlyList<object> Events, PersonSeal Seal);

/// <summary>An event to append with the instant, user, correlation and headers its command would have given it.</summary>
public sealed record Recorded(object Data, DateTimeOffset At, string? User, string? Correlation, IReadOnlyDictionary<string, object> Headers);

/// <summary>Events to append to a stream now at Version (0: a new stream) whose last event's MAC is PreviousMac ("" for none).</summary>
public sealed record StreamAppend(Guid StreamId, Type Aggregate, long Version, string PreviousMac, IReadOnlyList<Recorded> Events);

/// <summary>
/// Writes many case openings in the chunk's own transaction with a handful of set-wise statements instead of
/// several statements a case (ADR 0027). It writes exactly what the command path writes for each case: the claim
/// on the NIK (whose primary key still decides races: a claim taken by anyone else, committed or not, makes the
/// row a duplicate), the person's data key, the stream and its events with their metadata and MAC chain, the
/// case's inline snapshot (CaseDetails) and its search entry.
/// </summary>
public sealed class BulkOpening(IEventSigner signer, SearchIndex search, ILogger<BulkOpening> logger)
{
    /// <summary>
    /// One line per chunk: its rows, its handler's time, the gap since the previous chunk of the same import ended (its
    /// commit and this chunk's delivery), and each stage's wall/thread-CPU milliseconds, for finding what to cut.
    /// </summary>
    public void Log(Guid importId, int index, int rows, ChunkTimings timings)
    {
        var ended = System.Diagnostics.Stopwatch.GetTimestamp();
        var previous = Interlocked.Exchange(ref _lastChunk, new LastChunk(importId, index, ended));
        var gap = previous is not null && previous.ImportId == importId && previous.Index == index - 1
            ? $"{System.Diagnostics.Stopwatch.GetElapsedTime(previous.Ended, ended).TotalMilliseconds - timings.TotalMs:F0} ms"
            : "-";
        logger.LogInformation("Import {ImportId} chunk {Index}: {Rows} rows in {Ms:F0} ms, {Gap} after the previous chunk; stages (wall/CPU ms): {Stages}",
            importId, index, rows, timings.TotalMs, gap, timings);
    }

    private sealed record LastChunk(Guid ImportId, int Index, long Ended);

    private LastChunk? _lastChunk;

    /// <summary>
    /// Inserts the claims of the openings, in primary key order (so two chunks never wait on each other in
    /// a circle); returns the subjects whose claim this transaction took. A claim held by a transaction
    /// still running makes this one wait for its outcome, as a single insert would.
    /// </summary>
    public async Task<HashSet<string>> ClaimAsync(IDocumentSession session, IReadOnlyList<OpenCaseClaim> claims, CancellationToken ct)
    {
        if (claims.Count == 0) return [];
        return await InsertNewAsync(session, "mt_doc_opencaseclaim", claims, c => c.Id, ct);
    }

    /// <summary>
    /// Inserts people's new data keys. The chunk holds their claims, so nobody else should be inserting a key
    /// for them; if someone did (a key written before its claim), the chunk is retried as a claim race.
    /// </summary>
    public async Task InsertKeysAsync(IDocumentSession session, IReadOnlyList<PersonKey> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return;
        var inserted = (await InsertNewAsync(session, "mt_doc_personkey", keys, k => k.Id, ct)).Count;
        if (inserted != keys.Count)
            throw new DocumentAlreadyExistsException(new InvalidOperationException("A person's data key was written by another transaction."),
                typeof(PersonKey), "(a person key)");
    }

    /// <summary>
    /// Inserts the documents whose id is not taken yet in one statement, in id order (so two chunks never wait on
    /// each other in a circle), and returns the ids this statement inserted. A row held by a transaction still
    /// running makes this one wait for its outcome, as a single insert would.
    /// </summary>
    private static async Task<HashSet<string>> InsertNewAsync<T>(IDocumentSession session, string table, IReadOnlyList<T> documents,
        Func<T, string> id, CancellationToken ct) where T : notnull
    {
        var serializer = session.DocumentStore.Options.Serializer();
        var ordered = documents.OrderBy(id, StringComparer.Ordinal).ToList();
        await using var command = Command(session,
            $"insert into {DocumentSchema(session)}.{table} (id, data, mt_dotnet_type) " +
            "select d.id, d.data, @type from unnest(@ids, @data) with ordinality as d(id, data, n) order by d.n on conflict (id) do nothing returning id");
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = ordered.Select(id).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("data", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
            { Value = ordered.Select(d => serializer.ToJson(d)).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("type", NpgsqlDbType.Varchar) { Value = typeof(T).FullName! });
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) inserted.Add(reader.GetString(0));
        return inserted;
    }

    /// <summary>
    /// The streams, their events (sequence numbers drawn from the store's sequence, metadata and MAC as the
    /// session listener would write them), the CaseDetails snapshots and the search entries, each table in one COPY.
    /// </summary>
    public async Task WriteAsync(IDocumentSession session, IReadOnlyList<Opening> openings, DateTimeOffset at, CancellationToken ct,
        ChunkTimings? timings = null)
    {
        if (openings.Count == 0) return;
        var connection = session.Connection ?? throw new InvalidOperationException("The chunk's transaction has not begun.");
        var schema = Schema(session);
        var serializer = session.DocumentStore.Options.Serializer();
        var events = (EventGraph)session.DocumentStore.Options.Events;
        var metadata = (session as IMetadataContext)?.Headers ?? new Dictionary<string, object>();
        string? user = session.LastModifiedBy, correlation = session.CorrelationId, causation = session.CausationId;
        var tenant = session.TenantId;

        var count = openings.Sum(o => o.Events.Count);
        var sequence = new List<long>(count);
        await using (var next = Command(session, $"select nextval('{schema}.mt_events_sequence') from generate_series(1, @n)"))
        {
            next.Parameters.Add(new NpgsqlParameter("n", NpgsqlDbType.Integer) { Value = count });
            await using var reader = await next.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) sequence.Add(reader.GetInt64(0));
        }

        timings?.Lap("sequence");
        var streamType = events.AggregateAliasFor(typeof(Case));
        await using (var streams = await connection.BeginBinaryImportAsync(
                         $"copy {schema}.mt_streams (id, type, version, timestamp, created, tenant_id) from stdin (format binary)", ct))
        {
            foreach (var opening in openings)
            {
                await streams.StartRowAsync(ct);
                await streams.WriteAsync(opening.CaseId, NpgsqlDbType.Uuid, ct);
                await streams.WriteAsync(streamType, NpgsqlDbType.Varchar, ct);
                await streams.WriteAsync((long)opening.Events.Count, NpgsqlDbType.Bigint, ct);
                await streams.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                await streams.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                await streams.WriteAsync(tenant, NpgsqlDbType.Varchar, ct);
            }

            await streams.CompleteAsync(ct);
        }

        timings?.Lap("streams");
        long jsonTicks = 0, macTicks = 0;
        var s = 0;
        // Every event of the chunk carries the same headers beside its own MAC: what the MAC covers of them is computed once.
        var headers = new Dictionary<string, object>(metadata) { [signer.Key.Header] = signer.Key.KeyId };
        var canonicalHeaders = signer.CanonicalHeaders(serializer.ToJson(headers));
        await using (var rows = await connection.BeginBinaryImportAsync(
                         $"copy {schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, " +
                         "correlation_id, causation_id, headers, user_name) from stdin (format binary)", ct))
        {
            foreach (var opening in openings)
            {
                var previous = "";
                for (var v = 0; v < opening.Events.Count; v++)
                {
                    var data = opening.Events[v];
                    var mapping = events.EventMappingFor(data.GetType());
                    var id = Guid.CreateVersion7(at);
                    var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    var dataJson = serializer.ToJson(data);
                    var t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                    var mac = signer.Sign(opening.CaseId, v + 1, id, mapping.EventTypeName, user, correlation, causation,
                        canonicalHeaders, dataJson, previous);
                    headers[signer.MacHeader] = mac;
                    previous = mac;
                    var t2 = System.Diagnostics.Stopwatch.GetTimestamp();
                    var signedHeaders = serializer.ToJson(headers);
                    jsonTicks += t1 - t0 + System.Diagnostics.Stopwatch.GetTimestamp() - t2;
                    macTicks += t2 - t1;

                    await rows.StartRowAsync(ct);
                    await rows.WriteAsync(sequence[s++], NpgsqlDbType.Bigint, ct);
                    await rows.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                    await rows.WriteAsync(opening.CaseId, NpgsqlDbType.Uuid, ct);
                    await rows.WriteAsync((long)(v + 1), NpgsqlDbType.Bigint, ct);
                    await rows.WriteAsync(dataJson, NpgsqlDbType.Jsonb, ct);
                    await rows.WriteAsync(mapping.EventTypeName, NpgsqlDbType.Varchar, ct);
                    await rows.WriteAsync(at, NpgsqlDbType.TimestampTz, ct);
                    await rows.WriteAsync(tenant, NpgsqlDbType.Varchar, ct);
                    await rows.WriteAsync(mapping.DotNetTypeName, NpgsqlDbType.Varchar, ct);
                    await WriteNullable(rows, correlation, ct);
                    await WriteNullable(rows, causation, ct);
                    await rows.WriteAsync(signedHeaders, NpgsqlDbType.Jsonb, ct);
                    await WriteNullable(rows, user, ct);
                }
            }

            await rows.CompleteAsync(ct);
        }

        // Wall time only: a CPU clock read per event (a system call) would weigh on what it measures.
        timings?.Add("events.json", jsonTicks);
        timings?.Add("events.mac", macTicks);
        timings?.Lap("events");

        // The inline snapshot, as Marten's projection builds it from the same events (CaseDetails.Create / Apply),
        // with every column Marten duplicates from it (ADR 0028).
        await using (var details = await CaseDetailsCopy.StartAsync(connection, (StoreOptions)session.DocumentStore.Options, ct))
        {
            foreach (var opening in openings) await details.WriteAsync(Snapshot(opening), ct);
            await details.CompleteAsync(ct);
        }

        timings?.Lap("details");

        // The search entry SearchIndexListener writes for a WorkerIdentified, from the same seal.
        await WriteSearchEntriesAsync(session, openings.Select(opening =>
        {
            var identified = opening.Events.OfType<WorkerIdentified>().Single();
            return search.EntryOf(opening.CaseId, identified.RegencyCode, identified.IdentifiedAt, opening.Seal, identified.FullName, identified.Village);
        }), ct);
        timings?.Lap("search");
    }

    /// <summary>Search entries (as SearchIndexListener writes them for new cases) in one COPY, every duplicated column filled.</summary>
    public async Task WriteSearchEntriesAsync(IDocumentSession session, IEnumerable<CaseSearchEntry> toWrite, CancellationToken ct)
    {
        var connection = session.Connection ?? throw new InvalidOperationException("The chunk's transaction has not begun.");
        var serializer = session.DocumentStore.Options.Serializer();
        var entryColumns = CaseDetailsCopy.DuplicatedColumns((StoreOptions)session.DocumentStore.Options, typeof(CaseSearchEntry), EntryColumns);
        await using var entries = await connection.BeginBinaryImportAsync(
            $"copy {DocumentSchema(session)}.mt_doc_casesearchentry (id, data, mt_dotnet_type, {string.Join(", ", entryColumns)}) from stdin (format binary)", ct);
        foreach (var entry in toWrite)
        {
            await entries.StartRowAsync(ct);
            await entries.WriteAsync(entry.Id, NpgsqlDbType.Uuid, ct);
            await entries.WriteAsync(serializer.ToJson(entry), NpgsqlDbType.Jsonb, ct);
            await entries.WriteAsync(typeof(CaseSearchEntry).FullName!, NpgsqlDbType.Varchar, ct);
            foreach (var column in entryColumns) await CaseDetailsCopy.WriteColumnAsync(entries, EntryColumns[column](entry), ct);
        }

        await entries.CompleteAsync(ct);
    }

    /// <summary>
    /// Appends events to many streams at once, each table in one COPY: new streams (Version 0) get their mt_streams row,
    /// existing ones their version moved on. Every event carries its own instant, user and correlation, the MAC header
    /// chained to the stream's previous event exactly as EventMacListener writes it (ADR 15), and a sequence number drawn
    /// from the store's sequence in the order given (so a stream's versions follow the log). Nothing is projected:
    /// the caller rebuilds the read models afterwards, or writes them itself. Returns each stream's last MAC.
    /// </summary>
    public async Task<IReadOnlyList<string>> AppendAsync(IDocumentSession session, IReadOnlyList<StreamAppend> appends, CancellationToken ct)
    {
        var connection = session.Connection ?? throw new InvalidOperationException("The transaction has not begun.");
        var schema = Schema(session);
        var serializer = session.DocumentStore.Options.Serializer();
        var events = (EventGraph)session.DocumentStore.Options.Events;
        var tenant = session.TenantId;
        var count = appends.Sum(a => a.Events.Count);
        var lastMacs = new List<string>(appends.Count);
        if (count == 0) return appends.Select(a => a.PreviousMac).ToList();

        var sequence = new List<long>(count);
        await using (var next = Command(session, $"select nextval('{schema}.mt_events_sequence') from generate_series(1, @n)"))
        {
            next.Parameters.Add(new NpgsqlParameter("n", NpgsqlDbType.Integer) { Value = count });
            await using var reader = await next.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) sequence.Add(reader.GetInt64(0));
        }

        var created = appends.Where(a => a.Version == 0 && a.Events.Count > 0).ToList();
        if (created.Count > 0)
        {
            await using var streams = await connection.BeginBinaryImportAsync(
                $"copy {schema}.mt_streams (id, type, version, timestamp, created, tenant_id) from stdin (format binary)", ct);
            foreach (var append in created)
            {
                await streams.StartRowAsync(ct);
                await streams.WriteAsync(append.StreamId, NpgsqlDbType.Uuid, ct);
                await streams.WriteAsync(events.AggregateAliasFor(append.Aggregate), NpgsqlDbType.Varchar, ct);
                await streams.WriteAsync((long)append.Events.Count, NpgsqlDbType.Bigint, ct);
                await streams.WriteAsync(append.Events[^1].At.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                await streams.WriteAsync(append.Events[0].At.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                await streams.WriteAsync(tenant, NpgsqlDbType.Varchar, ct);
            }

            await streams.CompleteAsync(ct);
        }

        foreach (var append in appends.Where(a => a.Version > 0 && a.Events.Count > 0))
        {
            await using var moved = Command(session, $"update {schema}.mt_streams set version = @version, timestamp = @at where id = @id and version = @from");
            moved.Parameters.Add(new NpgsqlParameter("version", NpgsqlDbType.Bigint) { Value = append.Version + append.Events.Count });
            moved.Parameters.Add(new NpgsqlParameter("at", NpgsqlDbType.TimestampTz) { Value = append.Events[^1].At.ToUniversalTime() });
            moved.Parameters.Add(new NpgsqlParameter("id", NpgsqlDbType.Uuid) { Value = append.StreamId });
            moved.Parameters.Add(new NpgsqlParameter("from", NpgsqlDbType.Bigint) { Value = append.Version });
            if (await moved.ExecuteNonQueryAsync(ct) != 1)
                throw new InvalidOperationException($"Stream {append.StreamId} is not at version {append.Version}: something else appended to it.");
        }

        var s = 0;
        await using (var rows = await connection.BeginBinaryImportAsync(
                         $"copy {schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, " +
                         "correlation_id, causation_id, headers, user_name) from stdin (format binary)", ct))
        {
            foreach (var append in appends)
            {
                var previous = append.PreviousMac;
                for (var v = 0; v < append.Events.Count; v++)
                {
                    var recorded = append.Events[v];
                    var mapping = events.EventMappingFor(recorded.Data.GetType());
                    var id = Guid.CreateVersion7(recorded.At);
                    var version = append.Version + v + 1;
                    var headers = new Dictionary<string, object>(recorded.Headers) { [signer.Key.Header] = signer.Key.KeyId };
                    var dataJson = serializer.ToJson(recorded.Data);
                    var mac = signer.Sign(append.StreamId, version, id, mapping.EventTypeName, recorded.User, recorded.Correlation, null,
                        signer.CanonicalHeaders(serializer.ToJson(headers)), dataJson, previous);
                    headers[signer.MacHeader] = mac;
                    previous = mac;

                    await rows.StartRowAsync(ct);
                    await rows.WriteAsync(sequence[s++], NpgsqlDbType.Bigint, ct);
                    await rows.WriteAsync(id, NpgsqlDbType.Uuid, ct);
                    await rows.WriteAsync(append.StreamId, NpgsqlDbType.Uuid, ct);
                    await rows.WriteAsync(version, NpgsqlDbType.Bigint, ct);
                    await rows.WriteAsync(dataJson, NpgsqlDbType.Jsonb, ct);
                    await rows.WriteAsync(mapping.EventTypeName, NpgsqlDbType.Varchar, ct);
                    await rows.WriteAsync(recorded.At.ToUniversalTime(), NpgsqlDbType.TimestampTz, ct);
                    await rows.WriteAsync(tenant, NpgsqlDbType.Varchar, ct);
                    await rows.WriteAsync(mapping.DotNetTypeName, NpgsqlDbType.Varchar, ct);
                    await WriteNullable(rows, recorded.Correlation, ct);
                    await rows.WriteNullAsync(ct);
                    await rows.WriteAsync(serializer.ToJson(headers), NpgsqlDbType.Jsonb, ct);
                    await WriteNullable(rows, recorded.User, ct);
                }

                lastMacs.Add(previous);
            }

            await rows.CompleteAsync(ct);
        }

        return lastMacs;
    }

    /// <summary>How each column Marten duplicates from a search entry is written.</summary>
    private static readonly Dictionary<string, Func<CaseSearchEntry, (object? Value, NpgsqlDbType Type)>> EntryColumns = new()
    {
        ["tokens"] = e => (e.Tokens, NpgsqlDbType.Array | NpgsqlDbType.Bigint),
        ["opened_at"] = e => (e.OpenedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz),
        ["regency_code"] = e => (e.RegencyCode, NpgsqlDbType.Varchar),
        ["tokens_in_regency"] = e => (e.TokensInRegency, NpgsqlDbType.Array | NpgsqlDbType.Bigint),
    };

    /// <summary>The case's view after its opening events, with the version Marten gives a snapshot (its stream's version).</summary>
    public static CaseDetails Snapshot(Opening opening)
    {
        CaseDetails? view = null;
        foreach (var e in opening.Events)
            view = e switch
            {
                WorkerIdentified identified => CaseDetails.Create(identified),
                Coverage.CaseStageChanged changed when view is not null => CaseDetails.Apply(changed, view),
                _ => throw new InvalidOperationException($"An opening has an event its bulk writer does not project: {e.GetType().Name}.")
            };
        return view! with { Version = opening.Events.Count };
    }

    private static async Task WriteNullable(NpgsqlBinaryImporter row, string? value, CancellationToken ct)
    {
        if (value is null) await row.WriteNullAsync(ct);
        else await row.WriteAsync(value, NpgsqlDbType.Varchar, ct);
    }

    private static string Schema(IDocumentSession session) => session.DocumentStore.Options.Events.DatabaseSchemaName;

    private static string DocumentSchema(IDocumentSession session) => session.DocumentStore.Options.DatabaseSchemaName;

    private static NpgsqlCommand Command(IDocumentSession session, string sql) =>
        new(sql, session.Connection ?? throw new InvalidOperationException("The chunk's transaction has not begun."));
}
