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
        using (var store = host.Services.OwnerStore()) await store.Advanced.ResetAllData();

        if (coordinator is not null) await coordinator.ResumeAsync();
    }
}
