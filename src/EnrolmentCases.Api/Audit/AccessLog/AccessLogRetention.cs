using EnrolmentCases.Infrastructure;
using JasperFx.CommandLine;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Audit.AccessLog;

public static class AccessLogRetention
{
    /// <summary>Deletes the entries read before the cutoff: the schema owner's job, not the API's (see AccessLogOptions).</summary>
    public static async Task PruneAsync(IDocumentStore store, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        session.DeleteWhere<AccessLogEntry>(e => e.ReadAt < cutoff);
        await session.SaveChangesAsync(ct);
    }

    public static DateTimeOffset CutoffAt(DateTimeOffset now, AccessLogOptions options) => now.AddDays(-options.RetentionDays);
}

[Description("Deletes access-log entries older than AccessLog:RetentionDays, as the schema owner (ConnectionStrings:MartenMigration)", Name = Name)]
public class PruneAccessLogCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public const string Name = "prune-access-log";

    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var cutoff = AccessLogRetention.CutoffAt(host.Services.GetRequiredService<TimeProvider>().GetUtcNow(),
            host.Services.GetRequiredService<IOptions<AccessLogOptions>>().Value);
        // The owner's store (ConnectionStrings:MartenMigration): the runtime role may not delete entries.
        using var owner = host.Services.OwnerStore();
        await AccessLogRetention.PruneAsync(owner, cutoff, CancellationToken.None);
        Console.Error.WriteLine($"Removed the access-log entries read before {cutoff:O}.");
        return true;
    }
}
