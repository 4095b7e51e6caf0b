using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EnrolmentCases.Audit;

/// <summary>
/// The sealer's heartbeat: rewritten with every batch it seals and at the end of every run, also when
/// there was nothing to seal.
/// Its mt_last_modified is the database's clock, so every node reads the same age.
/// </summary>
public sealed class AuditSealerRun
{
    public const string TheSealer = "sealer";

    public string Id { get; set; } = TheSealer;

    /// <summary>The last event sealed when the heartbeat was written.</summary>
    public long SealedThrough { get; set; }

    /// <summary>The event the sealer refused to seal on its last run, because its MAC did not verify; null when it refused none.</summary>
    public long? RefusedSequence { get; set; }

    public string? RefusedProblem { get; set; }
}

/// <summary>
/// Ready while every event below the high-water mark is sealed, or the sealer has run within
/// Audit:MaxSealLagSeconds (it seals every SealIntervalSeconds, so a few events waiting for the next
/// run is normal). Degraded when events wait and no run has finished for longer than that.
/// </summary>
public sealed class AuditSealerHealthCheck(IDocumentStore store, IOptions<AuditOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var settings = options.Value;
        SealerLag.Progress progress;
        try
        {
            progress = await SealerLag.ReadAsync(store, ct);
        }
        catch (Exception e)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "the audit chain's progress could not be read", e);
        }

        var assessment = SealerLag.Assess(settings, progress.HighWater, progress.SealedThrough, progress.LastRunSecondsAgo, progress.RefusedSequence);
        return new HealthCheckResult(assessment.Degraded ? HealthStatus.Degraded : HealthStatus.Healthy, assessment.Description, null, assessment.Data);
    }

}

public static class SealerLag
{
    /// <summary>The high-water mark, the last sealed event, and how long ago the sealer's heartbeat was written.</summary>
    public sealed record Progress(long HighWater, long SealedThrough, double? LastRunSecondsAgo, long? RefusedSequence = null)
    {
        public long Unsealed => Math.Max(0, HighWater - SealedThrough);
    }

    /// <summary>One round trip over index lookups (never a count of the events table); what readiness and the gauge read.</summary>
    public static async Task<Progress> ReadAsync(IDocumentStore store, CancellationToken ct)
    {
        string Table<T>() => ((IReadOnlyStoreOptions)store.Options).FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"""
            select coalesce((select last_seq_id from {store.Options.Events.DatabaseSchemaName}.mt_event_progression where name = '{ProjectionLag.HighWaterMark}'), 0),
                   coalesce((select max(id) from {Table<AuditLink>()}), 0),
                   (select extract(epoch from now() - mt_last_modified)::float8 from {Table<AuditSealerRun>()} where id = @sealer),
                   (select (data->>'refusedSequence')::bigint from {Table<AuditSealerRun>()} where id = @sealer)
            """, connection);
        command.CommandTimeout = 5;
        command.Parameters.AddWithValue("sealer", AuditSealerRun.TheSealer);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new Progress(reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetDouble(2),
            reader.IsDBNull(3) ? null : reader.GetInt64(3));
    }

    public sealed record Assessment(bool Degraded, string Description, IReadOnlyDictionary<string, object> Data);

    public static Assessment Assess(AuditOptions settings, long highWater, long sealedThrough, double? lastRunSecondsAgo, long? refusedSequence = null)
    {
        var waiting = Math.Max(0, highWater - sealedThrough);
        var data = new Dictionary<string, object>
        {
            ["enabled"] = settings.SealIntervalSeconds > 0,
            ["highWaterMark"] = highWater,
            ["sealedThrough"] = sealedThrough,
            ["unsealedEvents"] = waiting,
            ["maxLagSeconds"] = settings.MaxSealLagSeconds
        };
        if (lastRunSecondsAgo is { } ago) data["lastRunSecondsAgo"] = Math.Round(Math.Max(0, ago), 1);

        if (refusedSequence is { } refused)
        {
            data["refusedSequence"] = refused;
            return new(true, $"the sealer refuses to seal event {refused}, whose MAC does not verify (GET /api/audit/verify reports it); " +
                             $"{waiting} events unsealed", data);
        }

        if (settings.SealIntervalSeconds <= 0)
            return new(false, $"the sealer is disabled by configuration on this node (Audit:SealIntervalSeconds = 0); {waiting} events unsealed", data);
        if (waiting == 0)
            return new(false, $"every event up to the high-water mark ({highWater}) is sealed", data);
        if (lastRunSecondsAgo is { } last && last <= settings.MaxSealLagSeconds)
            return new(false, $"{waiting} events wait for the next run; the last ended {last:0} s ago", data);
        return new(true, lastRunSecondsAgo is { } stale
            ? $"{waiting} events wait and the sealer last finished a run {stale:0} s ago (allowed: {settings.MaxSealLagSeconds} s)"
            : $"{waiting} events wait and the sealer has not finished a run yet", data);
    }
}
