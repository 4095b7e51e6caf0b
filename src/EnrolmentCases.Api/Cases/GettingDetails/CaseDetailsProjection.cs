using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using JasperFx.Events;
using JasperFx.Events.Aggregation;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using JasperFx.Events.Subscriptions;
using Marten.Events;
using Marten.Events.Aggregation;
using Marten.Storage;
using Npgsql;
using NpgsqlTypes;

namespace EnrolmentCases.Cases.GettingDetails;

/// <summary>
/// The case view's projection: Marten's own single-stream snapshot of CaseDetails (its Create and Apply methods), written
/// inline with the events, exactly as <c>Snapshot&lt;CaseDetails&gt;(Inline)</c> did. Only its rebuild differs (ADR 0041):
/// instead of Marten's pages of every event with all its metadata, written back row by row, it reads each case's events
/// in stream order (the data alone), folds them with Marten's own aggregator for the view (the one GET /api/cases/{id}?version=
/// uses), and writes the views with one binary COPY. Memory holds one stream's events at a time, PostgreSQL sorts one chunk's.
/// </summary>
public sealed class CaseDetailsProjection : SingleStreamProjection<CaseDetails, Guid>, ISubscriptionFactory<IDocumentOperations, IQuerySession>
{
    public const string ProjectionName = nameof(CaseDetails);

    public CaseDetailsProjection() => Name = ProjectionName;

    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILoggerFactory loggerFactory, ShardName shardName) =>
        Execution(store, database, loggerFactory.CreateLogger<CaseDetailsProjection>(), shardName);

    ISubscriptionExecution ISubscriptionFactory<IDocumentOperations, IQuerySession>.BuildExecution(
        IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILogger logger, ShardName shardName) =>
        Execution(store, database, logger, shardName);

    /// <summary>What Marten's aggregation builds for a shard, with the set-wise rebuild as its replay.</summary>
    private ISubscriptionExecution Execution(IEventStore<IDocumentOperations, IQuerySession> store, IEventDatabase database, ILogger logger,
        ShardName shardName)
    {
        var session = store.OpenSession(database);
        var runner = new AggregationRunner<CaseDetails, Guid, IDocumentOperations, IQuerySession>(store, database, this, SliceBehavior.Preprocess,
            BuildSlicer(session), logger);
        var inner = new GroupedProjectionExecution(shardName, runner, logger) { Disposables = [session] };
        return new SetWiseReplayExecution(inner, new CaseDetailsReplay((DocumentStore)store, (IMartenDatabase)database, logger));
    }

    /// <summary>Marten's execution in every respect but one: a rebuild is replayed set-wise.</summary>
    private sealed class SetWiseReplayExecution(ISubscriptionExecution inner, IReplayExecutor replay) : ISubscriptionExecution
    {
        public ShardName ShardName => inner.ShardName;

        public ShardExecutionMode Mode
        {
            get => inner.Mode;
            set => inner.Mode = value;
        }

        public ValueTask EnqueueAsync(EventPage page, ISubscriptionAgent subscriptionAgent) => inner.EnqueueAsync(page, subscriptionAgent);

        public Task StopAndDrainAsync(CancellationToken token) => inner.StopAndDrainAsync(token);

        public Task HardStopAsync() => inner.HardStopAsync();

        /// <summary>Only a rebuild: a shard starting from nothing outside a rebuild runs Marten's way.</summary>
        public bool TryBuildReplayExecutor([NotNullWhen(true)] out IReplayExecutor? executor)
        {
            executor = inner.Mode == ShardExecutionMode.Rebuild ? replay : null;
            return executor is not null;
        }

        public Task ProcessImmediatelyAsync(SubscriptionAgent subscriptionAgent, EventPage events, CancellationToken cancellation) =>
            inner.ProcessImmediatelyAsync(subscriptionAgent, events, cancellation);

        public Task ProcessRangeAsync(EventRange range) => inner.ProcessRangeAsync(range);

        public bool TryGetAggregateCache<TId, TDoc>([NotNullWhen(true)] out IAggregateCaching<TId, TDoc>? caching) =>
            inner.TryGetAggregateCache(out caching);

        public Task CompactCachesAsync() => inner.CompactCachesAsync();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

/// <summary>
/// Rebuilds mt_doc_casedetails (emptied by the daemon before a rebuild) from the events up to the rebuild's ceiling, one case
/// stream at a time, in one transaction: a failed rebuild leaves the table empty, as Marten's would leave it part-written.
/// </summary>
public sealed class CaseDetailsReplay(DocumentStore store, IMartenDatabase database, ILogger logger) : IReplayExecutor
{
    /// <summary>Streams read at a time: about 17.6 events each in the generated data, so a chunk's sort stays in memory.</summary>
    public const int StreamsPerChunk = 250;

    /// <summary>The events CaseDetails has a Create or Apply for, by the name the store records them under.</summary>
    public static IReadOnlyDictionary<string, Type> EventTypes(EventGraph events) =>
        typeof(CaseDetails).GetMethods(BindingFlags.Public | BindingFlags.Static)
            .Where(m => m.Name is "Create" or "Apply" && m.ReturnType == typeof(CaseDetails))
            .Select(m => m.GetParameters()[0].ParameterType)
            .Distinct()
            .ToDictionary(t => events.EventMappingFor(t).EventTypeName);

    public async Task StartAsync(SubscriptionExecutionRequest request, ISubscriptionController controller, CancellationToken cancellation)
    {
        var ceiling = request.StartingHighWater ?? await database.FetchHighestEventSequenceNumber(cancellation);
        var written = await RebuildAsync(request.Floor, ceiling, cancellation);
        logger.LogInformation("Rebuilt {Count} case views set-wise from events {Floor} to {Ceiling}", written, request.Floor, ceiling);
        await controller.MarkSuccessAsync(ceiling);
    }

    /// <summary>Writes the view of every case with events in (floor, ceiling]; returns how many.</summary>
    public async Task<long> RebuildAsync(long floor, long ceiling, CancellationToken ct)
    {
        var options = store.Options;
        var events = (EventGraph)options.Events;
        var types = EventTypes(events);
        var serializer = options.Serializer();
        var aggregator = options.Projections.AggregatorFor<CaseDetails>()
                         ?? throw new InvalidOperationException("Marten has no aggregator for CaseDetails.");
        await using var query = store.QuerySession();

        await using var reading = database.CreateConnection();
        await reading.OpenAsync(ct);
        await using var writing = database.CreateConnection();
        await writing.OpenAsync(ct);
        await using var transaction = await writing.BeginTransactionAsync(ct);

        long written;
        await using (var copy = await CaseDetailsCopy.StartAsync(writing, options, ct))
        {
            var schema = events.DatabaseSchemaName;
            var stream = new List<IEvent>();
            var after = Guid.Empty;
            while (true)
            {
                // A chunk of streams by id, then their events by the (stream_id, version) key: each chunk sorts a few
                // thousand rows in memory, however large the store. The sequence bounds filter, never lead (`+ 0`): an
                // index scan of the whole range for every chunk would grow with the store.
                var ids = new List<Guid>(StreamsPerChunk);
                await using (var chunk = new NpgsqlCommand($"select id from {schema}.mt_streams where id > @after order by id limit @limit", reading))
                {
                    chunk.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Uuid) { Value = after });
                    chunk.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Integer) { Value = StreamsPerChunk });
                    await using var reader = await chunk.ExecuteReaderAsync(ct);
                    while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
                }

                if (ids.Count == 0) break;
                after = ids[^1];

                await using var command = new NpgsqlCommand(
                    $"select stream_id, version, seq_id, type, timestamp, data from {schema}.mt_events " +
                    "where stream_id between @first and @last and seq_id + 0 > @floor and seq_id + 0 <= @ceiling and type = any(@types) " +
                    "and not is_archived order by stream_id, version", reading);
                command.Parameters.Add(new NpgsqlParameter("first", NpgsqlDbType.Uuid) { Value = ids[0] });
                command.Parameters.Add(new NpgsqlParameter("last", NpgsqlDbType.Uuid) { Value = ids[^1] });
                command.Parameters.Add(new NpgsqlParameter("floor", NpgsqlDbType.Bigint) { Value = floor });
                command.Parameters.Add(new NpgsqlParameter("ceiling", NpgsqlDbType.Bigint) { Value = ceiling });
                command.Parameters.Add(new NpgsqlParameter("types", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { Value = types.Keys.ToArray() });
                await using (var reader = await command.ExecuteReaderAsync(ct))
                {
                    var current = Guid.Empty;
                    while (await reader.ReadAsync(ct))
                    {
                        var streamId = reader.GetGuid(0);
                        if (streamId != current && stream.Count > 0)
                        {
                            await WriteAsync(copy, aggregator, query, stream, ct);
                            stream.Clear();
                        }

                        current = streamId;
                        var data = serializer.FromJson(types[reader.GetString(3)], reader, 5);
                        var e = events.BuildEvent(data);
                        e.StreamId = streamId;
                        e.Version = reader.GetInt64(1);
                        e.Sequence = reader.GetInt64(2);
                        e.Timestamp = reader.GetFieldValue<DateTimeOffset>(4);
                        stream.Add(e);
                    }
                }

                if (stream.Count > 0) await WriteAsync(copy, aggregator, query, stream, ct);
                stream.Clear();
            }

            await copy.CompleteAsync(ct);
            written = copy.Written;
        }

        await transaction.CommitAsync(ct);
        return written;
    }

    private static async Task WriteAsync(CaseDetailsCopy copy, IAggregator<CaseDetails, IQuerySession> aggregator, IQuerySession query,
        List<IEvent> stream, CancellationToken ct)
    {
        if (await aggregator.BuildAsync(stream, query, null, ct) is { } view) await copy.WriteAsync(view, ct);
    }
}
