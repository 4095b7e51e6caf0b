using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Npgsql;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Carries projections that an earlier release ran one shard each over into the composite that now runs them as one
/// (ADR 0055), at the schema step, before any daemon starts. A composite starts from its own progression row alone: without
/// one it replays every event, and its members, whose rows an earlier release left, would add every stage change a second
/// time (and its first page would fail on their rows). So:
/// <list type="bullet">
/// <item>every member has a row and all stand at the same sequence (the daemon had caught up when the earlier release
/// stopped): the composite's row is written at that sequence, and the composite goes on from there;</item>
/// <item>the members stand apart, at 0, or some have no row (a member new in this release): their rows and read models
/// are cleared, and the composite builds them again from the first event, as a new read model builds itself (ADR 0043);
/// readiness reports its lag meanwhile.</item>
/// </list>
/// A composite that has its row, or whose members have none (a new database), is left as it is. The earlier release's
/// nodes must be stopped first: a daemon of theirs that moved a member on after this step would stop the composite at its
/// first page (its progress no longer matches), and then only `projections rebuild -p Coverage` mends it.
/// </summary>
public sealed class CompositeProgress(ILogger<CompositeProgress> logger)
{
    public async Task CarryOverAsync(NpgsqlConnection owner, IDocumentStore store, CancellationToken ct)
    {
        var options = (StoreOptions)store.Options;
        var progression = $"{SchemaMigration.Quote(options.Events.DatabaseSchemaName)}.mt_event_progression";
        foreach (var composite in options.Projections.All.OfType<CompositeProjection>())
        {
            var shard = new ShardName(composite.Name, ShardName.All, composite.Version);
            var members = composite.ConstituentShardNames(shard).Select(s => s.Identity).Distinct().ToArray();
            var rows = await RowsAsync(owner, progression, [shard.Identity, .. members], ct);
            if (rows.ContainsKey(shard.Identity) || !members.Any(rows.ContainsKey)) continue;

            var sequences = members.Select(m => rows.GetValueOrDefault(m, -1)).Distinct().ToArray();
            await using var transaction = await owner.BeginTransactionAsync(ct);
            if (sequences is [var sequence and > 0])
            {
                await ExecuteAsync(owner, $"insert into {progression} (name, last_seq_id, last_updated) values (@name, @sequence, now())", ct,
                    ("name", shard.Identity), ("sequence", sequence));
                logger.LogInformation("Projection {Composite} carries on from sequence {Sequence}, where its members {Members} stood",
                    shard.Identity, sequence, string.Join(", ", members));
            }
            else
            {
                var tables = composite.AllProjections().SelectMany(p => p.PublishedTypes()).Distinct()
                    .Select(t => ((IReadOnlyStoreOptions)options).FindOrResolveDocumentType(t).TableName.QualifiedName).ToArray();
                // The rows first: a daemon of the earlier release still running would then fail to move them on and roll its
                // page back, rather than commit read-model rows after the tables were cleared.
                await ExecuteAsync(owner, $"delete from {progression} where name = any(@names)", ct, ("names", members));
                await ExecuteAsync(owner, $"truncate {string.Join(", ", tables)}", ct);
                logger.LogWarning(
                    "Projection {Composite} is built again from the first event: its members did not all stand at one sequence past 0 " +
                    "({Sequences}), so their read models ({Tables}) were cleared. Readiness reports its lag until it has caught up",
                    shard.Identity, string.Join(", ", members.Select(m => $"{m} {(rows.TryGetValue(m, out var s) ? s : "none")}")),
                    string.Join(", ", tables));
            }

            await transaction.CommitAsync(ct);
        }
    }

    private static async Task<Dictionary<string, long>> RowsAsync(NpgsqlConnection owner, string progression, string[] names, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select name, coalesce(last_seq_id, 0) from {progression} where name = any(@names)", owner);
        command.Parameters.AddWithValue("names", names);
        var rows = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows[reader.GetString(0)] = reader.GetInt64(1);
        return rows;
    }

    private static async Task ExecuteAsync(NpgsqlConnection owner, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, owner);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(ct);
    }
}
