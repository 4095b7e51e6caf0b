using EnrolmentCases.Budgets;
using EnrolmentCases.Cases.GettingDetails;
using Npgsql;

namespace EnrolmentCases.Audit;

/// <summary>
/// The stored documents that decisions read instead of the events, checked against their (MAC-verified)
/// events. Money: every grant reads its budget's inline snapshot for the remaining allocation; each
/// stored Budget must equal its stream folded again. Access: reads of a case (details, history) decide
/// by the regency of the CaseDetails document; it must be the regency its worker was identified in.
/// Commands on a case fold the case from its events (a live aggregate, no snapshot), so they need no check.
/// </summary>
public static class SnapshotChecks
{
    /// <summary>Adds a break for each stored snapshot that differs; answers how many snapshots it compared.</summary>
    public static async Task<int> CheckAsync(IDocumentStore store, ChainBreaks breaks, CancellationToken ct)
    {
        var compared = 0;
        await using var session = store.QuerySession();

        // A budget per payer, regency and year: hundreds, not more.
        foreach (var id in await session.Query<Budget>().OrderBy(b => b.Year).Select(b => b.Id).ToListAsync(ct))
        {
            var stored = await session.Json.FindByIdAsync<Budget>(id, ct);
            var folded = await session.Events.AggregateStreamAsync<Budget>(id, token: ct);
            compared++;
            if (stored is null) continue;
            if (folded is not null && CanonicalJson.Of(stored) == CanonicalJson.Of(session.DocumentStore.Options.Serializer().ToJson(folded))) continue;
            var last = await LastSequenceOfAsync(store, id, ct);
            breaks.Add(new ChainBreak(last, ChainProblems.SnapshotDiffers,
                $"the stored Budget {id} differs from its events folded again (allocated, committed or paid altered)"));
        }

        compared += await CaseRegenciesAsync(store, breaks, ct);
        return compared;
    }

    private static async Task<int> CaseRegenciesAsync(IDocumentStore store, ChainBreaks breaks, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        var table = ((IReadOnlyStoreOptions)store.Options).FindOrResolveDocumentType(typeof(CaseDetails)).TableName.QualifiedName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"""
             select d.id, e.seq_id, d.data->>'regencyCode', e.data->>'regencyCode',
                    d.data->>'regencyCode' is distinct from e.data->>'regencyCode', count(*) over ()
             from {table} d
             join {schema}.mt_events e on e.stream_id = d.id and e.version = 1
             order by 5 desc, e.seq_id
             """, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var count = 0;
        while (await reader.ReadAsync(ct))
        {
            count = (int)reader.GetInt64(5);
            if (!reader.GetBoolean(4)) break;
            breaks.Add(new ChainBreak(reader.GetInt64(1), ChainProblems.SnapshotDiffers,
                $"the stored details of case {reader.GetGuid(0)} name regency {Text(reader, 2)}, its events {Text(reader, 3)} (read access altered)"));
        }

        return count;
    }

    private static string Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? "none" : reader.GetString(column);

    private static async Task<long> LastSequenceOfAsync(IDocumentStore store, Guid streamId, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            $"select coalesce(max(seq_id), 0) from {store.Options.Events.DatabaseSchemaName}.mt_events where stream_id = @id", connection);
        command.Parameters.AddWithValue("id", streamId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }
}
