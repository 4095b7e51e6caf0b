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
        try
        {
            // Observable instruments are read synchronously, on the metric reader's own thread.
            return [new Measurement<long>(SealerLag.ReadAsync(_store, CancellationToken.None).GetAwaiter().GetResult().Unsealed)];
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return [];
        }
    }
}
