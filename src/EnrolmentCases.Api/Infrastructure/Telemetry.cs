using System.Diagnostics;
using System.Diagnostics.Metrics;
using JasperFx.OpenTelemetry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Traces, metrics and logs. Instrumentation is always on, so the W3C trace id exists for every
/// request; it leaves the process over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Log lines
/// never carry a full NIK (LogRedaction), and are JSON with Logging__Console__FormatterName=json.
/// </summary>
public static class Telemetry
{
    /// <summary>The API's own meter: commands here, and the instruments features add (see <see cref="IInstruments"/>).</summary>
    public const string MeterName = "EnrolmentCases";

    public const string ServiceName = "enrolment-cases";

    /// <summary>Wolverine's ActivitySource (message handling; its HTTP endpoints add none) and Marten's (connections, daemon).</summary>
    private static readonly string[] FrameworkSources = ["Wolverine", "Marten"];

    /// <summary>Marten's meter (daemon progress and marten.event.append) and Wolverine's, named "Wolverine:{service name}".</summary>
    private static readonly string[] FrameworkMeters = ["Marten", "Wolverine:*"];

    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.Logging.RedactNiks();
        // JSON lines carry their scopes (the request's path and its TraceId/SpanId) and a UTC timestamp;
        // Logging:Console:FormatterOptions still overrides each of these.
        services.Configure<JsonConsoleFormatterOptions>(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        services.Configure<JsonConsoleFormatterOptions>(builder.Configuration.GetSection("Logging:Console:FormatterOptions"));

        services.AddInstruments<CommandMetrics>();
        services.AddInstruments<ProjectionLagGauge>();
        services.AddTransient<IStartupFilter, CommandCounting>();
        services.PostConfigure<ProblemDetailsOptions>(options =>
        {
            var customise = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                customise?.Invoke(context);
                CommandMetrics.RememberProblem(context.HttpContext, context.ProblemDetails);
            };
        });
        // Failed statements are logged without their parameters' values (names, phones, NIKs).
        services.ConfigureMarten((sp, opts) => opts.Logger(new StatementLogging(sp.GetRequiredService<ILoggerFactory>().CreateLogger("Marten"))));
        services.ConfigureMarten(opts =>
        {
            // A span per connection a session uses (with Npgsql's per command beneath it), and marten.event.append.
            opts.OpenTelemetry.TrackConnections = TrackLevel.Normal;
            opts.OpenTelemetry.TrackEventCounters();
        });

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? ServiceName))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddNpgsql()
                .AddSource(FrameworkSources))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(FrameworkMeters)
                .AddMeter(MeterName)
                // Creates every feature's instruments as metrics start.
                .AddInstrumentation(sp => sp.GetServices<IInstruments>().ToList()));
        // The exporter reads the endpoint (and OTEL_EXPORTER_OTLP_PROTOCOL, _HEADERS, ...) itself.
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable])) otel.UseOtlpExporter();
        return builder;
    }

    /// <summary>
    /// The request's W3C trace id (32 hex characters): the caller's, when it sent a traceparent header.
    /// Problem details quote it as traceId, and events take it as correlation id unless the caller sent its own.
    /// </summary>
    public static string TraceId(HttpContext http) =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : http.TraceIdentifier;

    /// <summary>Registers a feature's instruments; they are created on the API's meter when metrics start.</summary>
    public static IServiceCollection AddInstruments<T>(this IServiceCollection services) where T : class, IInstruments
    {
        services.TryAddSingleton<ApiMeter>();
        services.TryAddSingleton<T>();
        services.AddSingleton<IInstruments>(sp => sp.GetRequiredService<T>());
        return services;
    }
}

/// <summary>The API's own meter, one per host (from the host's IMeterFactory).</summary>
public sealed class ApiMeter(IMeterFactory factory)
{
    public Meter Meter { get; } = factory.Create(Telemetry.MeterName);
}

/// <summary>A set of instruments on <see cref="ApiMeter"/>, created in its constructor; register it with AddInstruments.</summary>
public interface IInstruments;

/// <summary>
/// enrolment.commands: every command (a POST, PUT, PATCH or DELETE on an endpoint of the API) by its
/// operation id and outcome: accepted (2xx/3xx), refused (4xx) or failed (5xx), with the problem's slug.
/// </summary>
public sealed class CommandMetrics(ApiMeter meter) : IInstruments
{
    private static readonly object ProblemKey = new();

    private readonly Counter<long> _commands = meter.Meter.CreateCounter<long>("enrolment.commands", "{command}",
        "Commands by operation id (command) and outcome (accepted, refused, failed), with the problem slug (problem) when not accepted.");

    internal static void RememberProblem(HttpContext http, ProblemDetails problem)
    {
        if (problem.Type is { } type && type.StartsWith(Problems.TypeBase, StringComparison.Ordinal))
            http.Items[ProblemKey] = type[Problems.TypeBase.Length..];
    }

    internal void Count(HttpContext http, bool threw)
    {
        var method = http.Request.Method;
        if (!(HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method))) return;
        // The exception handler takes the endpoint off the request; it keeps it in its feature.
        var endpoint = http.GetEndpoint() ?? http.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        if (endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName is not { } command) return;

        var status = threw ? StatusCodes.Status500InternalServerError : http.Response.StatusCode;
        var tags = new TagList { { "command", command } };
        if (status < 400)
        {
            tags.Add("outcome", "accepted");
        }
        else
        {
            tags.Add("outcome", status < 500 ? "refused" : "failed");
            tags.Add("problem", http.Items[ProblemKey] as string ?? Problems.ForStatus(status).Slug);
        }

        _commands.Add(1, tags);
    }
}

/// <summary>Counts each command once its answer is complete, whatever answered it (the endpoint, authorisation, the rate limiter, the exception handler).</summary>
internal sealed class CommandCounting(CommandMetrics metrics) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (http, following) =>
        {
            var threw = true;
            try
            {
                await following(http);
                threw = false;
            }
            finally
            {
                metrics.Count(http, threw);
            }
        });
        next(app);
    };
}

/// <summary>
/// enrolment.projection.lag: how many events each async projection is behind the high-water mark,
/// and the high-water mark behind the newest event (projection "HighWaterMark": it grows when the
/// daemon stops). Read as the readiness check reads it (ProjectionLag), from Marten's progress rows
/// and the event sequence; the events table is never counted.
/// </summary>
public sealed class ProjectionLagGauge : IInstruments
{
    private readonly IDocumentStore _store;

    public ProjectionLagGauge(IDocumentStore store, ApiMeter meter)
    {
        _store = store;
        meter.Meter.CreateObservableGauge("enrolment.projection.lag", Observe, "{event}",
            "Events between the high-water mark and each async projection's progress (projection), and between the newest event and the high-water mark (projection=HighWaterMark).");
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        ProjectionLag.Progress progress;
        try
        {
            // Observable instruments are read synchronously, on the metric reader's own thread.
            progress = ProjectionLag.ReadAsync(_store, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return [];
        }

        var highWater = progress.Rows.GetValueOrDefault(ProjectionLag.HighWaterMark);
        return ProjectionLag.Projections(_store)
            .Select(projection => Lag(projection, highWater - progress.Rows.GetValueOrDefault(projection)))
            .Append(Lag(ProjectionLag.HighWaterMark, progress.Head - highWater));
    }

    private static Measurement<long> Lag(string projection, long events) =>
        new(Math.Max(0, events), new KeyValuePair<string, object?>("projection", projection));
}
