using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.RateLimiting;
using Scalar.AspNetCore;

namespace EnrolmentCases.Infrastructure;

/// <summary>Health probes, the OpenAPI document and the interactive API reference.</summary>
public static class Operations
{
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), tags: ["live"])
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<ProjectionHealthCheck>("projections", tags: ["ready"]);
        services.AddOpenApi("v1", options => options.AddDocumentTransformer<ApiDocument>()
            .AddOperationTransformer<ApiDocument>()
            .AddSchemaTransformer<ApiDocument>());
        return services;
    }

    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = c => c.Tags.Contains("live"), ResponseWriter = WriteReport })
            .AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteReport })
            .AllowAnonymous().DisableRateLimiting();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options
                .WithTitle("Enrolment Cases API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json"))
            .AllowAnonymous();
        return app;
    }

    private static Task WriteReport(HttpContext http, HealthReport report) =>
        http.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new
            {
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                data = e.Value.Data.Count == 0 ? null : e.Value.Data
            })
        });

    /// <summary>
    /// The coverage read models are fed by the async daemon: ready while every projection is within
    /// a bounded distance of the newest event, degraded when one falls far behind.
    /// </summary>
    private sealed class ProjectionHealthCheck(IDocumentStore store) : IHealthCheck
    {
        private const long MaxLag = 10_000;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                var statistics = await store.Advanced.FetchEventStoreStatistics(token: ct);
                var progress = await store.Advanced.AllProjectionProgress(token: ct);
                var behind = progress.Where(p => !p.ShardName.Contains("HighWaterMark"))
                    .ToDictionary(p => p.ShardName, p => statistics.EventSequenceNumber - p.Sequence);
                var data = behind.ToDictionary(x => x.Key, x => (object)x.Value);
                var worst = behind.Values.DefaultIfEmpty(0).Max();
                return worst <= MaxLag
                    ? HealthCheckResult.Healthy($"projections at most {worst} events behind", data)
                    : HealthCheckResult.Degraded($"a projection is {worst} events behind", data: data);
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("projection progress could not be read", e);
            }
        }
    }

    private sealed class DatabaseHealthCheck(IDocumentStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                await using var session = store.QuerySession();
                await session.QueryAsync<int>("select 1", ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL is not reachable", e);
            }
        }
    }
}
