using System.Diagnostics.Metrics;
using EnrolmentCases.Infrastructure;
using Npgsql;

namespace EnrolmentCases.Audit;

/// <summary>
/// enrolment.audit.unsealed: events below the high-water mark not yet sealed into the chain (the
/// readiness check's unsealedEvents, see SealerLag). Near zero while the sealer keeps up; it grows
/// when the sealer stops. Two index lookups, never a count of the events table.
/// </summary>
public sealed class SealerLagGauge : IInstruments
{
    private readonly IDocumentStore _store;

    public SealerLagGauge(IDocumentStore store, ApiMeter meter)
    {
        _store = store;
        meter.Meter.CreateObservableGauge("enrolment.audit.unsealed", Observe, "{event}",
            "Events below the high-water mark not yet sealed into the tamper-evidence chain.");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        var links = ((IReadOnlyStoreOptions)_store.Options).FindOrResolveDocumentType(typeof(AuditLink)).TableName.QualifiedName;
        try
        {
            using var connection = _store.Storage.Database.CreateConnection();
            connection.Open();
            using var command = new NpgsqlCommand($"""
                select coalesce((select last_seq_id from {_store.Options.Events.DatabaseSchemaName}.mt_event_progression
                                 where name = '{ProjectionLag.HighWaterMark}'), 0)
                     - coalesce((select max(id) from {links}), 0)
                """, connection);
            command.CommandTimeout = 5;
            return [new Measurement<long>(Math.Max(0, Convert.ToInt64(command.ExecuteScalar())))];
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return [];
        }
    }
}
