using System.Security.Cryptography;
using System.Text;
using JasperFx;
using JasperFx.CommandLine;
using Npgsql;
using Weasel.Core;
using Weasel.Core.Migrations;
using Wolverine.Persistence.Durability;

namespace EnrolmentCases.Infrastructure;

/// <summary>A document whose rows the runtime role may add and read but never change or remove (a chain, a ledger).</summary>
public sealed record AppendOnlyDocument(Type DocumentType);

/// <summary>
/// A plain table of the store's schema that the runtime role may only read: its rows are written by a function that runs
/// with the owner's rights (a counter a trigger keeps), so the API cannot set them back.
/// </summary>
public sealed record ReadOnlyTable(string Name);

/// <summary>
/// Two database roles: a migration role that owns the schema (Marten's tables, functions and sequences and
/// Wolverine's durability tables) and applies every change to it, and the runtime role the API serves with,
/// which may read and write data but change no table's shape, and only add to the event log and the
/// append-only documents (docs/adr/0016-least-privilege-database-roles.md). Configured by giving the migration
/// role a connection string of its own, <c>ConnectionStrings:MartenMigration</c>, beside the runtime role's
/// <c>ConnectionStrings:Marten</c>; without it, the one role does everything, as before. A node given only the
/// runtime role's connection sets <c>EventStore:ApplySchemaAtStart</c> to false and leaves the schema to `db-migrate`.
/// </summary>
public static class DatabaseRoles
{
    public const string MigrationConnectionName = "MartenMigration";

    public static string? MigrationConnectionString(IConfiguration configuration) => configuration.GetConnectionString(MigrationConnectionName);

    /// <summary>The schema owner's connection: the migration connection when the roles are separated, else the API's own.</summary>
    public static string OwnerConnectionString(IConfiguration configuration) =>
        MigrationConnectionString(configuration) ?? EventStore.ConnectionString(configuration);

    /// <summary>True when the schema has an owner of its own, which the API itself never serves as.</summary>
    public static bool Separated(IConfiguration configuration) => MigrationConnectionString(configuration) is not null;

    /// <summary>False on a node that may not change the schema: it serves only once `db-migrate` has applied it.</summary>
    public static bool AppliesSchemaAtStart(IConfiguration configuration) => configuration.GetValue("EventStore:ApplySchemaAtStart", true);

    /// <summary>Whether the role the store serves as creates and updates the schema itself (the one-role setup, as before).</summary>
    public static bool ServingRoleAppliesSchema(IConfiguration configuration) => !Separated(configuration) && AppliesSchemaAtStart(configuration);

    /// <summary>Rows of <typeparamref name="T"/> are inserted and read by the runtime role, never updated or deleted.</summary>
    public static IServiceCollection AddAppendOnlyDocument<T>(this IServiceCollection services) =>
        services.AddSingleton(new AppendOnlyDocument(typeof(T)));

    /// <summary>The table <paramref name="name"/> of the store's schema is read by the runtime role, never written.</summary>
    public static IServiceCollection AddReadOnlyTable(this IServiceCollection services, string name) =>
        services.AddSingleton(new ReadOnlyTable(name));

    /// <summary>
    /// The migration step, for `db-migrate` and `verify-projections`; also run at start (with one role or two) unless
    /// EventStore:ApplySchemaAtStart is false, before anything else touches the database (so register this before Marten and Wolverine).
    /// </summary>
    public static IServiceCollection AddDatabaseRoles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SchemaMigration>();
        services.AddSingleton<ColumnBackfill>();
        services.AddSingleton<CompositeProgress>();
        services.AddSettings<SchemaUpgradeOptions>(configuration, SchemaUpgradeOptions.Section, SchemaUpgradeOptions.Rules);
        // With one role too: an upgrade's new columns are filled in batches here before Marten's own apply at start sees them.
        var applies = AppliesSchemaAtStart(configuration);
        services.AddSingleton(new SchemaAtStart(applies));
        if (applies) services.AddHostedService<SchemaMigrationAtStart>();
        return services;
    }

    /// <summary>
    /// A store of the same modules on the owner's connection (the one role's, without a migration role), for the
    /// little that only the owner may do: pruning an append-only log, wiping the store in tests. Dispose it.
    /// </summary>
    public static DocumentStore OwnerStore(this IServiceProvider services, Action<StoreOptions>? configure = null)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        return DocumentStore.For(opts =>
        {
            EventStore.Configure(opts, OwnerConnectionString(configuration), EventStore.SchemaName(configuration));
            EventStore.ApplyModules(opts, services);
            configure?.Invoke(opts);
        });
    }

    /// <summary>
    /// Applies the schema, as at start, before JasperFx's `projections` command, which builds the host without starting it:
    /// a rebuild must write into the tables this release declares (ADR 0043). Other commands apply it themselves or need none.
    /// </summary>
    public static Task ApplySchemaBeforeCommandAsync(this IHost host, string[] args) =>
        args.FirstOrDefault() is { } command && command.Equals("projections", StringComparison.OrdinalIgnoreCase)
            ? host.Services.ApplySchemaAsync()
            : Task.CompletedTask;

    /// <summary>Creates or updates the schema as its owner and grants the runtime role, as at start (unless this node leaves that to `db-migrate`).</summary>
    public static Task ApplySchemaAsync(this IServiceProvider services, CancellationToken ct = default) =>
        AppliesSchemaAtStart(services.GetRequiredService<IConfiguration>())
            ? services.GetRequiredService<SchemaMigration>().ApplyAsync(ct)
            : Task.CompletedTask;
}

/// <summary>
/// Creates or updates the schema with the owner's connection (a store of the same modules, as the replay
/// verification builds one, and Wolverine's message store), then grants the runtime role what it needs, all
/// under one advisory lock so that nodes starting together apply it once and the others wait.
/// Grants are given again after every apply, over whatever tables exist then, so a table a module adds later
/// is covered without being named here: the runtime role may read, write and truncate every table but the
/// event log, whose streams it may not delete (a stream's events go with it), the append-only documents,
/// to which it may only add, and the read-only tables, which only the owner's functions write.
/// </summary>
public sealed class SchemaMigration(IConfiguration configuration, IServiceProvider services, IEnumerable<AppendOnlyDocument> appendOnly,
    IEnumerable<ReadOnlyTable> readOnly,
    ColumnBackfill backfill, CompositeProgress composites, ILogger<SchemaMigration> logger)
{
    public async Task ApplyAsync(CancellationToken ct)
    {
        var runtimeConnection = EventStore.ConnectionString(configuration);
        var ownerConnection = DatabaseRoles.OwnerConnectionString(configuration);
        var schema = EventStore.SchemaName(configuration);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        await using var owner = new NpgsqlConnection(ownerConnection);
        await owner.OpenAsync(ct);
        var key = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"enrolment-cases:schema-migration:{schema}")), 0);
        await ExecuteAsync(owner, $"select pg_advisory_lock({key})", ct);
        try
        {
            // Wolverine's tables (the same objects its message store would create) go in with Marten's.
            var messages = ((IFeatureSchema)services.GetRequiredService<IMessageStore>()).Objects;
            using var store = services.OwnerStore(opts => opts.Storage.ExtendedSchemaObjects.AddRange(messages));
            // First the columns an earlier release's populated tables lack, filled in batches (ADR 0043); then the rest,
            // including those columns' indexes, built once over filled columns.
            await backfill.UpgradeAsync(owner, store, ct);
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            // Projections an earlier release ran apart and this one runs as a composite go on where they stood (ADR 0055).
            await composites.CarryOverAsync(owner, store, ct);
            await AnalyzeUnmeasuredExpressionsAsync(owner, schema, ct);

            if (ownerConnection == runtimeConnection) return;

            var ownerRole = await CurrentUserAsync(owner, ct);
            var runtimeRole = await RuntimeRoleAsync(runtimeConnection, ct);
            if (ownerRole == runtimeRole)
                throw new InvalidOperationException(
                    $"ConnectionStrings:{DatabaseRoles.MigrationConnectionName} and ConnectionStrings:Marten log in as the same role ({ownerRole}): " +
                    "the API must serve as another role, or leave the migration connection unset.");

            var options = (IReadOnlyStoreOptions)store.Options;
            var addOnly = appendOnly.Select(d => options.FindOrResolveDocumentType(d.DocumentType).TableName.QualifiedName)
                .Prepend($"{Quote(store.Options.Events.DatabaseSchemaName)}.mt_events");
            var schemas = messages.Select(o => o.Identifier.Schema).Append(schema);
            var readOnlyTables = readOnly.Select(t => $"{Quote(store.Options.DatabaseSchemaName)}.{Quote(t.Name)}");
            await ExecuteAsync(owner, Grants(schemas, store.Options.Events.DatabaseSchemaName, addOnly, readOnlyTables, Quote(runtimeRole)), ct);
            logger.LogInformation("Schema {Schema} applied as {Owner} and granted to {Runtime} in {Milliseconds:F0} ms", schema, ownerRole, runtimeRole,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            await ExecuteAsync(owner, $"select pg_advisory_unlock({key})", CancellationToken.None);
        }
    }

    /// <summary>
    /// Analyzes each table that has an index over an expression without statistics yet, as after that index was just
    /// created over existing rows (ADR 0052). Only ANALYZE measures an expression, and autovacuum analyzes a table only once
    /// enough of its rows change; until then the planner guesses a third of the table for any range over it and scans the
    /// whole table instead of the index. ANALYZE reads a sample (749 ms at 1,000,000 case views). An empty table gets no
    /// statistics, so it is analyzed at each start while it stays empty, in about a millisecond.
    /// </summary>
    private async Task AnalyzeUnmeasuredExpressionsAsync(NpgsqlConnection owner, string schema, CancellationToken ct)
    {
        var tables = await UnmeasuredAsync(owner, schema, ct);
        foreach (var table in tables)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await ExecuteAsync(owner, $"analyze {table}", ct);
            // Still without statistics: the table is empty, nothing worth a line at every start.
            var level = (await UnmeasuredAsync(owner, schema, ct)).Contains(table) ? LogLevel.Debug : LogLevel.Information;
            logger.Log(level, "Analyzed {Table}, which has an expression index without statistics, in {Milliseconds:F0} ms", table,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>The schema's tables with an index over an expression that has no statistics.</summary>
    private static async Task<IReadOnlyList<string>> UnmeasuredAsync(NpgsqlConnection owner, string schema, CancellationToken ct)
    {
        var tables = new List<string>();
        await using var command = new NpgsqlCommand("""
            select distinct format('%I.%I', n.nspname, t.relname)
            from pg_index i
            join pg_class ic on ic.oid = i.indexrelid
            join pg_class t on t.oid = i.indrelid
            join pg_namespace n on n.oid = t.relnamespace
            where n.nspname = $1 and i.indexprs is not null
              and not exists (select 1 from pg_stats s where s.schemaname = n.nspname and s.tablename = ic.relname)
            """, owner);
        command.Parameters.AddWithValue(schema);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) tables.Add(reader.GetString(0));
        return tables;
    }

    /// <summary>What the runtime role may do in the owned schemas, in one transaction.</summary>
    private static string Grants(IEnumerable<string> schemas, string eventSchema, IEnumerable<string> appendOnlyTables,
        IEnumerable<string> readOnlyTables, string role)
    {
        var sql = new StringBuilder("begin;\n");
        foreach (var schema in schemas.Distinct().Select(Quote))
        {
            sql.AppendLine($"""
                grant usage on schema {schema} to {role};
                revoke create on schema {schema} from {role};
                revoke execute on all functions in schema {schema} from public;
                grant execute on all functions in schema {schema} to {role};
                grant select, insert, update, delete, truncate on all tables in schema {schema} to {role};
                revoke references, trigger on all tables in schema {schema} from {role};
                grant usage, select on all sequences in schema {schema} to {role};
                revoke update on all sequences in schema {schema} from {role};
                """);
        }

        // Deleting a stream row deletes its events with it (on delete cascade, done with the table owner's rights).
        sql.AppendLine($"revoke delete, truncate on {Quote(eventSchema)}.mt_streams from {role};");
        foreach (var table in appendOnlyTables) sql.AppendLine($"revoke update, delete, truncate on {table} from {role};");
        foreach (var table in readOnlyTables) sql.AppendLine($"revoke insert, update, delete, truncate on {table} from {role};");
        return sql.AppendLine("commit;").ToString();
    }

    private static async Task<string> RuntimeRoleAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        return await CurrentUserAsync(connection, ct);
    }

    private static async Task<string> CurrentUserAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("select current_user::text", connection);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Runs statements on the owner's connection (also the upgrade's backfill, <see cref="ColumnBackfill"/>).</summary>
    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>An identifier quoted for SQL.</summary>
    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}

/// <summary>
/// Whether this node's schema step at start has run: work started beside the hosted services (the warm-up) waits for
/// it, or it would read a schema that is still being created or upgraded. Done at once when the node applies none.
/// </summary>
public sealed class SchemaAtStart
{
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SchemaAtStart(bool applies)
    {
        if (!applies) _applied.TrySetResult();
    }

    public Task Applied => _applied.Task;

    internal void Finished() => _applied.TrySetResult();
}

/// <summary>The schema applied as its owner (with one role, as that role) before the store or Wolverine is used.</summary>
internal sealed class SchemaMigrationAtStart(SchemaMigration migration, SchemaAtStart schema) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await migration.ApplyAsync(cancellationToken);
        }
        finally
        {
            // A failed step stops the host; the waiters are cancelled with it.
            schema.Finished();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

[Description("Creates or updates the schema as the migration role (ConnectionStrings:MartenMigration) and grants the runtime role, then exits",
    Name = "db-migrate")]
public class MigrateDatabaseCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        await host.Services.GetRequiredService<SchemaMigration>().ApplyAsync(CancellationToken.None);
        Console.Error.WriteLine($"Schema {EventStore.SchemaName(host.Services.GetRequiredService<IConfiguration>())} is up to date.");
        return true;
    }
}
