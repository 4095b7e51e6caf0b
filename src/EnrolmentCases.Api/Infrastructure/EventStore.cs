using JasperFx;
using Weasel.Core;
using Wolverine.Marten;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// The event store every module registers its projections and documents with (each in its own
/// Configuration through ConfigureMarten), so adding a read model never means editing this file.
/// </summary>
public static class EventStore
{
    public const string DefaultSchema = "enrolment";

    /// <summary>
    /// The configured connection, never asking the server for error detail: PostgreSQL's detail quotes the
    /// offending row ("Key (id)=(...) already exists", "Failing row contains (...)"), and exception messages
    /// reach logs and Wolverine's dead letters. Pooled connections keep their session between uses (no
    /// <c>DISCARD ALL</c> on every return to the pool, so PL/pgSQL's cached plans and Npgsql's prepared statements
    /// survive) and are replaced after <see cref="DefaultConnectionLifetimeSeconds"/>, which bounds any session state
    /// a library leaves behind (docs/adr/0033-command-path-connections.md). A setting the connection string names
    /// itself wins over these defaults.
    /// </summary>
    public static string ConnectionString(IConfiguration configuration) => WithDefaults(configuration.GetConnectionString("Marten")
        ?? throw new InvalidOperationException(
            "No PostgreSQL to use: set ConnectionStrings__Marten, e.g. " +
            "ConnectionStrings__Marten='Host=127.0.0.1;Port=5432;Database=enrolment;Username=enrolment;Password=...' " +
            "dotnet run --project src/EnrolmentCases.Api (./run.sh and ./test.sh start a private PostgreSQL and set it themselves)."));

    /// <summary>Statements Npgsql prepares on each connection once they have run a few times (its own default is 0: none).</summary>
    public const int DefaultMaxAutoPrepare = 100;

    /// <summary>A pooled connection's lifetime: session state never outlives it.</summary>
    public const int DefaultConnectionLifetimeSeconds = 600;

    public static string WithDefaults(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Names(params string[] keys) => keys.Any(given.ContainsKey);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { IncludeErrorDetail = false };
        if (!Names("No Reset On Close", "NoResetOnClose")) builder.NoResetOnClose = true;
        if (!Names("Max Auto Prepare", "MaxAutoPrepare")) builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        if (!Names("Connection Lifetime", "ConnectionLifetime", "Load Balance Timeout")) builder.ConnectionLifetime = DefaultConnectionLifetimeSeconds;
        return builder.ConnectionString;
    }

    public static string SchemaName(IConfiguration configuration) => configuration["EventStore:Schema"] ?? DefaultSchema;

    public static IServiceCollection AddEventStore(this IServiceCollection services, IConfiguration configuration)
    {
        // First: with a migration role, the schema is applied as its owner before anything else starts (DatabaseRoles).
        services.AddDatabaseRoles(configuration);
        // Read here as well, before the host validates settings: the store is configured from them.
        var daemon = ProjectionDaemonOptions.From(configuration);
        services.AddSettings<ProjectionDaemonOptions>(configuration, ProjectionDaemonOptions.Section, ProjectionDaemonOptions.Rules);
        var marten = services.AddMarten(opts =>
            {
                Configure(opts, ConnectionString(configuration), SchemaName(configuration));
                ProjectionDaemon.Configure(opts, daemon);
                if (!DatabaseRoles.ServingRoleAppliesSchema(configuration)) opts.AutoCreateSchemaObjects = AutoCreate.None;
            })
            .UseLightweightSessions()
            // The async projections run as Wolverine agents: each on exactly one node of the cluster, moved to
            // another when its node dies (see Cluster). No AddAsyncDaemon: the two do not mix.
            .IntegrateWithWolverine(wolverine => wolverine.UseWolverineManagedEventSubscriptionDistribution = true);
        // Serialised by an advisory lock, so nodes starting together never race on the schema.
        if (DatabaseRoles.ServingRoleAppliesSchema(configuration)) marten.ApplyAllDatabaseChangesOnStartup();
        return services.AddCluster(configuration);
    }

    /// <summary>
    /// The store's own settings. A second store over the same modules (the replay verification's
    /// scratch copy) starts here and then applies every module's IConfigureMarten.
    /// </summary>
    public static void Configure(StoreOptions opts, string connectionString, string schema)
    {
        opts.Connection(connectionString);
        opts.DatabaseSchemaName = schema;
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        // Who, under which correlation and as a consequence of what: on every event.
        opts.Events.MetadataConfig.CorrelationIdEnabled = true;
        opts.Events.MetadataConfig.CausationIdEnabled = true;
        opts.Events.MetadataConfig.HeadersEnabled = true;
        opts.Events.MetadataConfig.UserNameEnabled = true;

        // An index on (type, seq_id) (ADR 0052): the erasure check reads every erasure order at each start and every five
        // minutes, which without it was a scan of the whole event table (8.4 s at 17.6 million events); the async shards
        // that take a few event types fetch their ranges through it too.
        opts.Events.EnableEventTypeIndex = true;
    }

    public static void ApplyModules(StoreOptions opts, IServiceProvider services)
    {
        foreach (var module in services.GetServices<IConfigureMarten>()) module.Configure(services, opts);
    }
}
