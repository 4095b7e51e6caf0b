using System.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace EnrolmentCases.Infrastructure;

public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>
    /// How long one computed readiness report answers every probe: a flood of probes costs at most
    /// one set of queries per period. 0 computes a report for every probe.
    /// </summary>
    public double CacheSeconds { get; set; } = 2;

    /// <summary>Events an async projection (or the high-water mark) may trail before readiness is degraded.</summary>
    public long MaxProjectionLag { get; set; } = 10_000;

    /// <summary>
    /// Seconds the high-water mark may stand still while newer events exist before readiness is degraded:
    /// the daemon's first sign of life, which a quiet province would otherwise not show for days.
    /// </summary>
    public int MaxHighWaterStallSeconds { get; set; } = 60;

    /// <summary>A check still running after this long counts as failed (a database that hangs instead of refusing).</summary>
    public int CheckTimeoutSeconds { get; set; } = 5;

    public static IEnumerable<string> Rules(HealthOptions o)
    {
        if (o.CacheSeconds is < 0 or > 60 || double.IsNaN(o.CacheSeconds)) yield return $"CacheSeconds must be between 0 and 60 (is {o.CacheSeconds})";
        if (o.MaxProjectionLag < 1) yield return $"MaxProjectionLag must be at least 1 event (is {o.MaxProjectionLag})";
        if (o.MaxHighWaterStallSeconds < 5) yield return $"MaxHighWaterStallSeconds must be at least 5 (is {o.MaxHighWaterStallSeconds})";
        if (o.CheckTimeoutSeconds is < 1 or > 60) yield return $"CheckTimeoutSeconds must be between 1 and 60 (is {o.CheckTimeoutSeconds})";
    }
}

/// <summary>Health probes, the OpenAPI document and the interactive API reference.</summary>
public static class Operations
{
    /// <summary>Readiness checks carry this tag; a feature adds its own with it (the audit sealer does).</summary>
    public const string Ready = "ready";

    /// <summary>
    /// The authorization policy whose holders see each check's detail on /health/ready (Identity
    /// defines it); everyone else sees only the status.
    /// </summary>
    public const string HealthDetailsPolicy = "health-details";

    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<HealthOptions>(configuration, HealthOptions.Section, HealthOptions.Rules);
        services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<ProjectionHealthCheck>("projections", tags: [Ready]);
        // Every readiness check, also those features add, gives up after the configured time.
        services.AddOptions<HealthCheckServiceOptions>().PostConfigure<IOptions<HealthOptions>>((checks, health) =>
        {
            foreach (var check in checks.Registrations.Where(r => r.Tags.Contains(Ready)))
                check.Timeout = TimeSpan.FromSeconds(health.Value.CheckTimeoutSeconds);
        });
        services.AddSingleton<HealthReports>();
        // A cold process warms itself before it calls itself ready (WarmUp).
        services.AddSettings<WarmUpOptions>(configuration, WarmUpOptions.Section, WarmUpOptions.Rules);
        services.AddSingleton<WarmUp>();
        services.AddHostedService(provider => provider.GetRequiredService<WarmUp>());
        services.AddTransient<IStartupFilter, FirstRequestTiming>();
        services.AddOpenApi("v1", options => options.AddDocumentTransformer<ApiDocument>()
            .AddOperationTransformer<ApiDocument>()
            .AddSchemaTransformer<ApiDocument>());
        return services;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        // Liveness answers from the process alone: a database outage must not get the node restarted.
        app.MapHealthChecks("/health/live", new HealthCheckOptions
            {
                Predicate = c => c.Tags.Contains("live"),
                ResponseWriter = (http, report) => http.Response.WriteAsJsonAsync(new { status = report.Status.ToString() })
            })
            .AllowAnonymous().DisableRateLimiting();
        // Not limited per client: probes come from a few addresses (load balancers, orchestrators) and a
        // refused probe takes the node out of rotation. The cached report bounds what a flood costs instead.
        app.MapGet("/health/ready", ReadyAsync).AllowAnonymous().DisableRateLimiting().ExcludeFromDescription();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options
                .WithTitle("Enrolment Cases API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        return app;
    }

    private static async Task ReadyAsync(HttpContext http, HealthReports reports, IAuthorizationService authorization,
        IAuthorizationPolicyProvider policies, WarmUp warmUp, IOptions<WarmUpOptions> warmUpOptions)
    {
        // Not ready while still warming up or settling (ADR 49): a probe waits a little for it, then is told to come back.
        if (!warmUp.Settled.IsCompleted)
            await Task.WhenAny(warmUp.Settled, Task.Delay(TimeSpan.FromSeconds(warmUpOptions.Value.ReadinessWaitSeconds), http.RequestAborted));
        if (!warmUp.Settled.IsCompleted)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.CacheControl = "no-store";
            await http.Response.WriteAsJsonAsync(new { status = HealthStatus.Unhealthy.ToString(), description = "warming up" });
            return;
        }

        var report = await reports.ReadinessAsync();
        http.Response.StatusCode = report.Report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        http.Response.Headers.CacheControl = "no-store";
        var status = report.Report.Status.ToString();
        if (!await SeesDetailAsync(http, authorization, policies))
        {
            await http.Response.WriteAsJsonAsync(new { status });
            return;
        }

        await http.Response.WriteAsJsonAsync(new
        {
            status,
            computedAt = report.ComputedAt,
            tookMs = Math.Round(report.Report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                error = e.Value.Exception?.Message,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data
            })
        });
    }

    private static async Task<bool> SeesDetailAsync(HttpContext http, IAuthorizationService authorization, IAuthorizationPolicyProvider policies)
    {
        if (http.User.Identity?.IsAuthenticated != true) return false;
        var policy = await policies.GetPolicyAsync(HealthDetailsPolicy);
        return policy is not null && (await authorization.AuthorizeAsync(http.User, policy)).Succeeded;
    }

    private sealed class DatabaseHealthCheck(IDocumentStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                await using var connection = store.Storage.Database.CreateConnection();
                await connection.OpenAsync(ct);
                await using var command = connection.CreateCommand();
                command.CommandText = "select 1";
                await command.ExecuteScalarAsync(ct);
                return HealthCheckResult.Healthy("PostgreSQL answers");
            }
            catch (Exception e)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL is not reachable", e);
            }
        }
    }

    /// <summary>
    /// The async projections, read from the rows the daemon keeps in mt_event_progression (one per
    /// projection, and the high-water mark below which events can no longer appear out of order) and
    /// from the event sequence's current value: no query touches the events table, however large it grows.
    /// These rows are written wherever the projections run, so the check holds for one node or many.
    /// </summary>
    private sealed class ProjectionHealthCheck(IDocumentStore store, IOptions<HealthOptions> options) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            var expected = ProjectionLag.Projections(store);
            ProjectionLag.Progress progress;
            try
            {
                progress = await ProjectionLag.ReadAsync(store, ct);
            }
            catch (Exception e)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, "projection progress could not be read", e);
            }

            var assessment = ProjectionLag.Assess(expected, progress.Rows, progress.Head, options.Value.MaxProjectionLag,
                progress.HighWaterAgeSeconds, options.Value.MaxHighWaterStallSeconds);
            return new HealthCheckResult(assessment.Degraded ? HealthStatus.Degraded : HealthStatus.Healthy, assessment.Description, null, assessment.Data);
        }
    }
}

/// <summary>How far each async projection trails the events, from the daemon's progression rows alone.</summary>
public static class ProjectionLag
{
    public const string HighWaterMark = "HighWaterMark";

    /// <summary>mt_event_progression (name to last sequence), how long ago the high-water mark moved, and the sequence's head.</summary>
    public sealed record Progress(IReadOnlyDictionary<string, long> Rows, long Head, double? HighWaterAgeSeconds);

    /// <summary>The async projections (shard names) the store has.</summary>
    public static IReadOnlyList<string> Projections(IDocumentStore store) =>
        ((StoreOptions)store.Options).Projections.AllShards().Select(s => s.Name.Identity).ToList();

    /// <summary>
    /// The daemon's progression rows and the event sequence's current value, in one round trip; what
    /// readiness and the lag gauge both read. The events table is never touched.
    /// </summary>
    public static async Task<Progress> ReadAsync(IDocumentStore store, CancellationToken ct)
    {
        var schema = store.Options.Events.DatabaseSchemaName;
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 5;
        command.CommandText = $"""
            select name, coalesce(last_seq_id, 0), extract(epoch from now() - last_updated)::float8 from {schema}.mt_event_progression;
            select case when is_called then last_value else 0 end from {schema}.mt_events_sequence;
            """;
        var rows = new Dictionary<string, long>();
        double? highWaterAge = null;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows[reader.GetString(0)] = reader.GetInt64(1);
            if (reader.GetString(0) == HighWaterMark && !reader.IsDBNull(2)) highWaterAge = reader.GetDouble(2);
        }

        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return new Progress(rows, reader.GetInt64(0), highWaterAge);
    }

    public sealed record Assessment(bool Degraded, string Description, IReadOnlyDictionary<string, object> Data);

    /// <param name="projections">The async projections (shard names) the store has.</param>
    /// <param name="progression">mt_event_progression: name to last sequence processed.</param>
    /// <param name="head">The event sequence's current value: the newest event appended, or being appended.</param>
    /// <param name="highWaterAgeSeconds">How long ago the high-water mark last moved, when known.</param>
    public static Assessment Assess(IReadOnlyList<string> projections, IReadOnlyDictionary<string, long> progression, long head, long maxLag,
        double? highWaterAgeSeconds = null, double maxStallSeconds = double.PositiveInfinity)
    {
        var highWater = progression.GetValueOrDefault(HighWaterMark);
        var lags = projections.ToDictionary(p => p, p => Math.Max(0, highWater - progression.GetValueOrDefault(p)));
        var problems = new List<string>();
        foreach (var (name, lag) in lags.Where(l => l.Value > maxLag))
            problems.Add($"{name} is {lag} events behind the high-water mark");
        // A stalled high-water mark makes every projection look current: compare it with the sequence too.
        var highWaterLag = Math.Max(0, head - highWater);
        if (highWaterLag > maxLag) problems.Add($"the high-water mark trails the newest event by {highWaterLag}: is the projection daemon running?");
        // Or it trails by a little but has stood still: on a quiet day no daemon may be running anywhere.
        else if (highWaterLag > 0 && highWaterAgeSeconds > maxStallSeconds)
            problems.Add($"the high-water mark has not moved for {highWaterAgeSeconds:0} s with {highWaterLag} newer events: is the projection daemon running?");

        var data = new Dictionary<string, object>
        {
            ["highWaterMark"] = highWater,
            ["newestSequence"] = head,
            ["maxLag"] = maxLag,
            ["projections"] = lags.ToDictionary(l => l.Key, l => (object)new { sequence = progression.GetValueOrDefault(l.Key), lag = l.Value })
        };
        if (highWaterAgeSeconds is { } age) data["highWaterMarkMovedSecondsAgo"] = Math.Round(age, 1);
        var description = problems.Count > 0
            ? string.Join("; ", problems)
            : $"{projections.Count} async projections at most {lags.Values.DefaultIfEmpty(0).Max()} events behind the high-water mark";
        return new Assessment(problems.Count > 0, description, data);
    }
}

/// <summary>
/// Readiness computed at most once per HealthOptions.CacheSeconds: concurrent probes share the
/// computation under way, later ones the finished report until it expires.
/// </summary>
public sealed class HealthReports(HealthCheckService checks, IOptions<HealthOptions> options)
{
    public sealed record Computed(HealthReport Report, DateTimeOffset ComputedAt);

    private readonly Lock _gate = new();
    private Task<Computed>? _current;
    private long _startedAt;

    public Task<Computed> ReadinessAsync()
    {
        lock (_gate)
        {
            var fresh = _current is not null &&
                        (!_current.IsCompleted || Stopwatch.GetElapsedTime(_startedAt).TotalSeconds < options.Value.CacheSeconds);
            if (fresh) return _current!;
            _startedAt = Stopwatch.GetTimestamp();
            _current = ComputeAsync();
            return _current;
        }
    }

    private async Task<Computed> ComputeAsync()
    {
        // Not the probe's own cancellation: other probes wait on the same report. Each check has a timeout.
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(Operations.Ready), CancellationToken.None);
        return new Computed(report, DateTimeOffset.UtcNow);
    }
}
