using EnrolmentCases.Infrastructure;
using Marten;
using Marten.Events.Daemon.Coordination;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EnrolmentCases.Tests.Api;

public static class OwnerReset
{
    /// <summary>
    /// Marten's ResetAllMartenDataAsync (pause the projections, wipe events and documents, resume), with the wipe
    /// done as the schema's owner: the runtime role a host serves as may not delete events.
    /// </summary>
    public static async Task ResetAllDataAsOwnerAsync(this IHost host)
    {
        // Not while the host is still warming up (its first reads of every table would race the wipe's locks).
        if (host.Services.GetService<WarmUp>() is { } warmUp) await warmUp.Done.WaitAsync(TimeSpan.FromSeconds(60));
        var coordinator = host.Services.GetService<IProjectionCoordinator>();
        if (coordinator is not null) await coordinator.PauseAsync();
        using (var store = host.Services.OwnerStore())
        {
            // The wipe takes each table's exclusive lock in turn while the host's own background work (message
            // durability, a chunk finishing) may hold a share lock on one and want the next: PostgreSQL then
            // cancels one side as a deadlock. The wipe is all-or-nothing, so it is simply tried again.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await store.Advanced.ResetAllData();
                    break;
                }
                catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.DeadlockDetected && attempt < 5)
                {
                    await Task.Delay(100 * attempt);
                }
            }
        }

        if (coordinator is not null) await coordinator.ResumeAsync();
    }
}
