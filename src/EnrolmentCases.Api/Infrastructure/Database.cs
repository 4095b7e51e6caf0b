using EnrolmentCases.Audit;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.Lapses;
using EnrolmentCases.Targets;
using JasperFx.Events.Daemon;
using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using Weasel.Core;
using Wolverine.Marten;

namespace EnrolmentCases.Infrastructure;

public static class Database
{
    public const string Schema = "enrolment";

    public static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Marten")
        ?? throw new InvalidOperationException(
            "Set ConnectionStrings__Marten (./run.sh and ./test.sh do it for their private PostgreSQL).");

    public static IServiceCollection AddEventStore(this IServiceCollection services, IConfiguration configuration)
    {
        var calendar = CalendarFrom(configuration);
        services.AddSingleton(calendar);
        services.AddMarten(opts =>
                Configure(opts, ConnectionString(configuration), configuration["EventStore:Schema"] ?? Schema, calendar))
            .AddAsyncDaemon(DaemonMode.Solo)
            .UseLightweightSessions()
            .IntegrateWithWolverine()
            .ApplyAllDatabaseChangesOnStartup();
        return services;
    }

    public static CoverageCalendar CalendarFrom(IConfiguration configuration) =>
        new(LapsePolicy.FindZone(configuration.GetSection(LapseOptions.Section).Get<LapseOptions>()?.TimeZone ?? "Asia/Jakarta"));

    /// <summary>The whole store configuration, shared by the application and the replay verification's scratch store.</summary>
    public static void Configure(StoreOptions opts, string connectionString, string schema, CoverageCalendar calendar)
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

        // The case snapshot is written in the same transaction as its events: the detail
        // view and the worklist are never behind a command the caller just made.
        opts.Projections.Snapshot<Case>(SnapshotLifecycle.Inline);
        opts.Schema.For<Case>()
            .Index(c => c.RegencyCode)
            .Index(c => c.OpenedAt)
            .Index(c => c.Nik)
            .Duplicate(c => c.Stage)
            .Duplicate(c => c.SettledThroughIndex);
        opts.Schema.For<OpenCaseClaim>();

        opts.Projections.Snapshot<Budget>(SnapshotLifecycle.Inline);
        opts.Schema.For<Budget>().Duplicate(b => b.Year);
        opts.Projections.Snapshot<RegencyTarget>(SnapshotLifecycle.Inline);
        opts.Schema.For<RegencyTarget>().Duplicate(t => t.Year);

        // Coverage read models follow the events in the background (async daemon).
        opts.Projections.Add(new CoverageMonthProjection(calendar), ProjectionLifecycle.Async);
        opts.Projections.Add(new CoverageDeltaProjection(calendar), ProjectionLifecycle.Async);
        opts.Schema.For<CoverageMonth>().Duplicate(m => m.MonthIndex);
        opts.Schema.For<CoverageDelta>().Index(d => d.MonthIndex).Index(d => d.At);

        // The tamper-evidence chain: one link per event, written by the audit sealer, never by a projection.
        opts.Schema.For<AuditLink>();
    }
}
