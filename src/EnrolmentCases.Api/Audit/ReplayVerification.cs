using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using JasperFx.Events.Projections;
using JasperFx.CommandLine;
using Marten.Events;
using Npgsql;

namespace EnrolmentCases.Audit;

public sealed record ReadModelComparison(string ReadModel, long LiveRows, long ReplayedRows, long Differences, IReadOnlyList<string> FirstDifferentIds);

public sealed record ReplayReport(bool Valid, long EventsReplayed, TimeSpan Took, IReadOnlyList<ReadModelComparison> ReadModels);

/// <summary>
/// Rebuilds every read model from a copy of the events in a scratch schema and compares it, row by
/// row, with the live read models: proof that what the API shows is what the events say.
/// </summary>
public sealed class ReplayVerification(IDocumentStore live, IConfiguration configuration, IServiceProvider services)
{
    public async Task<ReplayReport> RunAsync(CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var liveSchema = live.Options.Events.DatabaseSchemaName;
        var scratch = $"{liveSchema}_replay";
        await ExecuteAsync($"drop schema if exists {scratch} cascade", ct);
        try
        {
            // The same modules over a scratch schema: every projection the application has, and nothing else.
            using var replay = DocumentStore.For(opts =>
            {
                EventStore.Configure(opts, EventStore.ConnectionString(configuration), scratch);
                EventStore.ApplyModules(opts, services);
            });
            await replay.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            // The copy's sequence stands where the live one does: a gap a crashed transaction left in the
            // sequence then reads as abandoned, and the rebuild passes it instead of waiting for it forever.
            await ExecuteAsync($"""
                insert into {scratch}.mt_streams select * from {liveSchema}.mt_streams;
                insert into {scratch}.mt_events select * from {liveSchema}.mt_events;
                select setval('{scratch}.mt_events_sequence', (select last_value from {liveSchema}.mt_events_sequence));
                """, ct);
            var events = await ScalarAsync($"select count(*) from {scratch}.mt_events", ct);

            var projections = replay.Options.Projections.All.Where(p => p.Lifecycle != ProjectionLifecycle.Live).ToList();
            using (var daemon = await replay.BuildProjectionDaemonAsync())
            {
                foreach (var projection in projections) await daemon.RebuildProjectionAsync(projection.Name, ct);
            }

            var comparisons = new List<ReadModelComparison>();
            foreach (var type in projections.SelectMany(p => p.PublishedTypes()).Distinct().OrderBy(t => t.Name))
                comparisons.Add(await CompareAsync(((IReadOnlyStoreOptions)replay.Options).FindOrResolveDocumentType(type).TableName.Name, type.Name, liveSchema, scratch, ct));
            return new ReplayReport(comparisons.All(c => c.Differences == 0), events, DateTimeOffset.UtcNow - started, comparisons);
        }
        finally
        {
            await ExecuteAsync($"drop schema if exists {scratch} cascade", CancellationToken.None);
        }
    }

    private async Task<ReadModelComparison> CompareAsync(string table, string name, string liveSchema, string scratch, CancellationToken ct)
    {
        var differing = $"""
            (select id::text, data from {liveSchema}.{table} except select id::text, data from {scratch}.{table})
            union
            (select id::text, data from {scratch}.{table} except select id::text, data from {liveSchema}.{table})
            """;
        await using var connection = live.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var ids = new List<string>();
        await using (var command = new NpgsqlCommand($"select distinct id from ({differing}) d order by id limit 20", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));

        return new ReadModelComparison(name,
            await ScalarAsync($"select count(*) from {liveSchema}.{table}", ct),
            await ScalarAsync($"select count(*) from {scratch}.{table}", ct),
            await ScalarAsync($"select count(distinct id) from ({differing}) d", ct),
            ids);
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var connection = live.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<long> ScalarAsync(string sql, CancellationToken ct)
    {
        await using var connection = live.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct));
    }
}

public static class ReplayVerificationEndpoint
{
    /// <summary>Runs the replay verification now (it takes about as long as a full projection rebuild).</summary>
    [WolverinePost("/api/audit/replay-verification", OperationId = "VerifyReadModels", Summary = "Verify the read models",
        Description = "Rebuilds every read model from the events in a scratch schema and compares it with the live one.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType<ReplayReport>(200)]
    public static async Task<ReplayReport> Post(ReplayVerification verification, HttpContext http) =>
        await verification.RunAsync(http.RequestAborted);
}

[Description("Rebuilds every read model from the events in a scratch schema and reports differences from the live ones", Name = "verify-projections")]
public class VerifyProjectionsCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        // The API may never have started on this database: its schema comes first.
        await host.Services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var report = await ActivatorUtilities.CreateInstance<ReplayVerification>(host.Services).RunAsync(CancellationToken.None);
        foreach (var model in report.ReadModels)
        {
            Console.WriteLine($"{model.ReadModel,-16} live {model.LiveRows,8}  replayed {model.ReplayedRows,8}  differences {model.Differences}" +
                              (model.FirstDifferentIds.Count > 0 ? $"  e.g. {string.Join(", ", model.FirstDifferentIds.Take(5))}" : ""));
        }

        Console.WriteLine(report.Valid
            ? $"Read models match a fresh replay of {report.EventsReplayed} events ({report.Took.TotalSeconds:N1} s)."
            : "Read models DIFFER from a fresh replay of the events.");
        return report.Valid;
    }
}
