using System.Text.Json;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Imports;
using Marten.Events.Daemon.Coordination;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A host on a schema of its own that exports its traces and metrics to memory and captures every
/// log entry at every level. Meters and ActivitySources are process-wide, named alike in every host,
/// so its collection runs alone, after the others, and its meter provider keeps only this host's
/// instruments (see <see cref="OwnInstruments"/>): the numbers it reads are this host's.
/// </summary>
public sealed class TelemetryFixture() : HostFixture("telemetry_check", new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    private readonly Recorded<MetricSnapshot> _metrics = new();

    public Recorded<Activity> Spans { get; } = new();

    public LogCapture Logs { get; } = new();

    // The sealer runs only when a test calls it, so that unsealed events can be counted exactly.
    protected override void Configure(IDictionary<string, string> settings) => settings["Audit:SealIntervalSeconds"] = "0";

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
        // Exported only when a test reads (ReadMetrics): a periodic export racing a read would hand it an older snapshot.
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics,
            reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = Timeout.Infinite));
        OwnInstruments(services);
        services.AddSingleton<ILoggerProvider>(Logs);
        services.Configure<LoggerFilterOptions>(filters => filters.AddFilter<LogCapture>(null, LogLevel.Trace));
    }

    /// <summary>
    /// Drops every instrument another host of this process published. The meter provider shares one metric
    /// between instruments of the same meter name, instrument name and unit, whichever meter object they
    /// are on: without this, this host's counters and gauges would share their metrics with those of the
    /// hosts the earlier collections left behind (Marten's and Wolverine's meters are never disposed), a
    /// gauge would report whichever host answered last, and when such an instrument completes, the provider
    /// retires the shared metric, after which nothing this host records is exported. This host's meters are
    /// those of its own meter factory, and those of no factory (Marten's, Npgsql's) created once it began.
    /// </summary>
    private static void OwnInstruments(IServiceCollection services)
    {
        var others = new HashSet<Instrument>();
        using (var listener = new MeterListener { InstrumentPublished = (instrument, _) => others.Add(instrument) })
            listener.Start();
        services.ConfigureOpenTelemetryMeterProvider((provider, metrics) =>
        {
            var factory = provider.GetRequiredService<IMeterFactory>();
            metrics.AddView(instrument =>
            {
                var own = instrument.Meter.Scope is IMeterFactory scope ? ReferenceEquals(scope, factory) : !others.Contains(instrument);
                return own ? null : MetricStreamConfiguration.Drop;
            });
        });
    }

    /// <summary>Reads every instrument now (gauges run their queries) and answers with what was exported.</summary>
    public MetricsRead ReadMetrics()
    {
        lock (_metrics)
        {
            _metrics.Clear();
            Assert.True(Host.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));
            return new MetricsRead(_metrics.Snapshot());
        }
    }

    /// <summary>The spans of one trace once the one matching the condition has ended (the server span ends after the answer).</summary>
    public async Task<IReadOnlyList<Activity>> TraceOnceItHas(ActivityTraceId trace, Func<Activity, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var spans = Spans.Snapshot().Where(s => s.TraceId == trace).ToList();
            if (spans.Any(condition)) return spans;
            if (DateTime.UtcNow > deadline) Assert.Fail($"no such span in trace {trace} within 15 s: {string.Join(", ", spans.Select(s => s.DisplayName))}");
            await Task.Delay(50);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection : ICollectionFixture<TelemetryFixture>
{
    public const string Name = "telemetry";
}

/// <summary>A collection exporters and loggers may add to from any thread.</summary>
public sealed class Recorded<T> : Collection<T>
{
    private readonly Lock _lock = new();

    protected override void InsertItem(int index, T item)
    {
        lock (_lock) base.InsertItem(index, item);
    }

    protected override void ClearItems()
    {
        lock (_lock) base.ClearItems();
    }

    public IReadOnlyList<T> Snapshot()
    {
        lock (_lock) return this.ToList();
    }
}

/// <summary>One reading of every instrument: sums of counters and last values of gauges, by tags.</summary>
public sealed class MetricsRead(IReadOnlyList<MetricSnapshot> snapshots)
{
    public IReadOnlyList<(Dictionary<string, string> Tags, long Value)> Points(string instrument)
    {
        var points = new List<(Dictionary<string, string>, long)>();
        foreach (var metric in snapshots.Where(m => m.Name == instrument))
        {
            foreach (var point in metric.MetricPoints)
            {
                var tags = new Dictionary<string, string>();
                foreach (var tag in point.Tags) tags[tag.Key] = tag.Value?.ToString() ?? "";
                var value = metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                    MetricType.LongGauge => point.GetGaugeLastValueLong(),
                    _ => throw new InvalidOperationException($"{instrument} is a {metric.MetricType}")
                };
                points.Add((tags, value));
            }
        }

        return points;
    }

    /// <summary>How many values a histogram recorded, and their sum, over all its points (0 and 0 when it has none).</summary>
    public (long Count, double Sum) Histogram(string instrument)
    {
        var (count, sum) = (0L, 0.0);
        foreach (var metric in snapshots.Where(m => m.Name == instrument))
        {
            if (metric.MetricType != MetricType.Histogram) throw new InvalidOperationException($"{instrument} is a {metric.MetricType}");
            foreach (var point in metric.MetricPoints)
            {
                count += point.GetHistogramCount();
                sum += point.GetHistogramSum();
            }
        }

        return (count, sum);
    }

    /// <summary>The value over every point carrying these tags (0 when there is none).</summary>
    public long Value(string instrument, params (string Key, object Value)[] tags) =>
        Points(instrument).Where(p => tags.All(t => p.Tags.GetValueOrDefault(t.Key) == t.Value.ToString())).Sum(p => p.Value);
}

/// <summary>Every log entry the host writes, as any provider would print it: message, values, exception and scopes.</summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    public sealed record Entry(string Category, LogLevel Level, string Text, IReadOnlyList<string> TraceIds);

    private readonly Recorded<Entry> _entries = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<Entry> Entries => _entries.Snapshot();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => capture._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder(formatter(state, exception));
            var traceIds = new List<string>();
            void Values(object? values)
            {
                if (values is not IEnumerable<KeyValuePair<string, object?>> pairs) return;
                foreach (var (key, value) in pairs)
                {
                    text.Append(' ').Append(key).Append('=').Append(value);
                    if (key == "TraceId") traceIds.Add(value?.ToString() ?? "");
                }
            }

            Values(state);
            if (exception is not null) text.AppendLine().Append(exception);
            capture._scopes?.ForEachScope((scope, _) =>
            {
                text.Append(" => ").Append(scope);
                Values(scope);
            }, (object?)null);
            capture._entries.Add(new Entry(category, logLevel, text.ToString(), traceIds));
        }
    }
}

[Collection(TelemetryCollection.Name)]
public class Observability(TelemetryFixture telemetry)
{
    private IAlbaHost Host => telemetry.Host;

    private static (ActivityTraceId Trace, string Header) NewTraceParent()
    {
        var trace = ActivityTraceId.CreateRandom();
        return (trace, $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
    }

    private async Task<IScenarioResult> Identify(string token, object worker, int status, string? traceParent = null) =>
        await Host.Scenario(s =>
        {
            s.Post.Json(worker).ToUrl("/api/cases");
            s.WithBearerToken(token);
            if (traceParent is not null) s.WithRequestHeader("traceparent", traceParent);
            s.StatusCodeShouldBe(status);
        });

    private static bool DescendsFrom(Activity span, Activity ancestor, IReadOnlyList<Activity> trace)
    {
        for (var parent = span.ParentSpanId; parent != default;)
        {
            if (parent == ancestor.SpanId) return true;
            parent = trace.FirstOrDefault(s => s.SpanId == parent)?.ParentSpanId ?? default;
        }

        return false;
    }

    [Fact]
    public async Task a_command_is_one_trace_from_the_callers_traceparent_down_to_the_database()
    {
        var (trace, header) = NewTraceParent();
        var nik = Niks.Next();
        var token = telemetry.Token("caseworker", "17.04");
        var opened = await Identify(token, Scenarios.NewWorker(nik), 201, header);

        var spans = await telemetry.TraceOnceItHas(trace, s => s.Kind == ActivityKind.Server);
        var request = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
        Assert.Equal("POST /api/cases", request.DisplayName);
        Assert.Equal("/api/cases", request.GetTagItem("http.route"));
        Assert.Equal(201, Convert.ToInt32(request.GetTagItem("http.response.status_code")));
        Assert.Equal(header.Split('-')[2], request.ParentSpanId.ToHexString());

        // Beneath it: Npgsql's statements, the insert into the events among them.
        var statements = spans.Where(s => s.Source.Name == "Npgsql" && DescendsFrom(s, request, spans)).ToList();
        Assert.NotEmpty(statements);
        Assert.Contains(statements, s => s.GetTagItem("db.query.text")?.ToString()?.Contains("mt_quick_append_events") == true);

        // Traces carry no personal data: no NIK in any name, tag or event.
        Assert.All(spans, s => Assert.DoesNotContain(nik, string.Join(" ", s.TagObjects.Select(t => $"{t.Key}={t.Value}")
            .Concat(s.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}"))).Append(s.DisplayName))));

        // So does a command on the case, whose session starts its transaction to lock the stream.
        var caseId = (await opened.ReadAsJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var (next, nextHeader) = NewTraceParent();
        await Host.Scenario(s =>
        {
            s.Post.Json(new { channel = "visit", outcome = "reached" }).ToUrl($"/api/cases/{caseId}/contact-attempts");
            s.WithBearerToken(token);
            s.WithRequestHeader("traceparent", nextHeader);
            s.StatusCodeShouldBe(200);
        });
        var commandSpans = await telemetry.TraceOnceItHas(next, s => s.Kind == ActivityKind.Server);
        var command = Assert.Single(commandSpans, s => s.Kind == ActivityKind.Server);
        Assert.Contains(commandSpans, s => s.Source.Name == "Npgsql" && DescendsFrom(s, command, commandSpans)
            && s.GetTagItem("db.query.text")?.ToString()?.Contains("mt_quick_append_events") == true);
        Assert.All(commandSpans.Where(s => s.Source.Name == "Npgsql"), s => Assert.True(DescendsFrom(s, command, commandSpans),
            $"statement span {s.DisplayName} is not beneath the request"));
    }

    [Fact]
    public async Task a_refusal_quotes_the_trace_id_the_caller_sent_and_a_fresh_one_otherwise()
    {
        var token = telemetry.Token("caseworker", "17.04");
        var (trace, header) = NewTraceParent();
        var refused = await Identify(token, new { fullName = "Siti Aminah" }, 400, header);
        Assert.Equal(trace.ToHexString(), (await refused.Problem()).GetProperty("traceId").GetString());

        var unannounced = await Identify(token, new { fullName = "Siti Aminah" }, 400);
        var fresh = (await unannounced.Problem()).GetProperty("traceId").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", fresh);
        Assert.NotEqual(trace.ToHexString(), fresh);
        // The id quoted is the one the request's spans were exported under.
        await telemetry.TraceOnceItHas(ActivityTraceId.CreateFromString(fresh), s => s.Kind == ActivityKind.Server);
    }

    [Fact]
    public async Task commands_are_counted_by_operation_and_outcome_and_events_by_type()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        var before = telemetry.ReadMetrics();

        var nik = Niks.Next();
        await Identify(caseworker, Scenarios.NewWorker(nik), 201);
        await Identify(caseworker, Scenarios.NewWorker(nik), 409);
        await Identify(caseworker, new { fullName = "Siti Aminah" }, 400);
        await Identify(telemetry.Token("caseworker", "17.01"), Scenarios.NewWorker(), 403);
        await Host.Command(caseworker, Guid.NewGuid(), "closure", new { reason = "declined" }, 404);
        await Host.Scenario(s =>
        {
            s.Get.Url("/api/regencies");
            s.WithBearerToken(caseworker);
        });

        var after = telemetry.ReadMetrics();
        long Commands(params (string, object)[] tags) =>
            after.Value("enrolment.commands", tags) - before.Value("enrolment.commands", tags);
        Assert.Equal(1, Commands(("command", "IdentifyWorker"), ("outcome", "accepted")));
        Assert.Equal(1, Commands(("command", "IdentifyWorker"), ("outcome", "refused"), ("problem", "duplicate-case")));
        Assert.Equal(1, Commands(("command", "IdentifyWorker"), ("outcome", "refused"), ("problem", "validation")));
        Assert.Equal(1, Commands(("command", "IdentifyWorker"), ("outcome", "refused"), ("problem", "forbidden")));
        Assert.Equal(1, Commands(("command", "CloseCase"), ("outcome", "refused"), ("problem", "not-found")));
        // Five commands, and the read is none of them.
        Assert.Equal(5, Commands());
        Assert.All(after.Points("enrolment.commands"), p => Assert.Equal(p.Tags["outcome"] == "accepted", !p.Tags.ContainsKey("problem")));

        // One case opened: two events, counted by Marten as they commit; the refused commands appended nothing.
        long Appended(string type) => after.Value("marten.event.append", ("event.type", type)) - before.Value("marten.event.append", ("event.type", type));
        Assert.Equal(1, Appended("worker_identified"));
        Assert.Equal(1, Appended("case_stage_changed"));
        Assert.Equal(2, after.Value("marten.event.append") - before.Value("marten.event.append"));
    }

    [Fact]
    public async Task money_commands_report_how_long_they_waited_for_their_budgets_locks_and_held_them()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        // This collection's schema is its own, so its 2026 budgets are this test's. A payment is booked on a budget
        // only for a month the subsidy covers, and may be at most a year ahead of the clock (March 2026).
        await Host.Allocate("APBD_REGENCY", "17.04", 2026, 1_000_000);
        await Host.Allocate("APBD_PROVINCE", null, 2026, 100_000);
        var (funded, refused) = (await Host.EnrolledCase(caseworker), await Host.EnrolledCase(caseworker));
        var before = telemetry.ReadMetrics();

        // A grant and a payment of a subsidised month each lock their budget once and commit.
        await Host.Command(caseworker, funded, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", 2026, "2026-03", 10));
        await Host.Command(caseworker, funded, "premium-payments", new { month = "2026-03", amount = 16_800, paidOn = "2026-03-01" });
        // A grant its budget refuses locked it too, but commits nothing: it is not recorded.
        await Host.Command(caseworker, refused, "subsidy", MoneyScenarios.Grant("APBD_PROVINCE", 2026, "2026-03", 10), 409);
        // A command that moves no money takes no budget's lock.
        await Host.Command(caseworker, await Host.IdentifyWorker(caseworker), "contact-attempts", new { channel = "visit", outcome = "reached" });

        var after = telemetry.ReadMetrics();
        foreach (var instrument in new[] { "enrolment.budget.lock.wait", "enrolment.budget.lock.held" })
        {
            var (count, sum) = (after.Histogram(instrument).Count - before.Histogram(instrument).Count,
                after.Histogram(instrument).Sum - before.Histogram(instrument).Sum);
            Assert.Equal(2, count);
            // Both are measured around a real round trip to the database, so neither is zero.
            Assert.InRange(sum, 0.01, 60_000);
        }
    }

    [Fact]
    public async Task another_host_stopping_in_the_same_process_takes_none_of_this_hosts_metrics_with_it()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        // Another host's twin of enrolment.commands: the same meter name, instrument name, unit and description,
        // on a meter of another host's factory; it counts, then its host stops (its factory disposes its meters).
        Instrument? ours = null;
        using (var listener = new MeterListener
               {
                   InstrumentPublished = (instrument, _) =>
                   {
                       if (instrument.Meter.Name == EnrolmentCases.Infrastructure.Telemetry.MeterName && instrument.Name == "enrolment.commands") ours = instrument;
                   }
               })
            listener.Start();
        Assert.NotNull(ours);
        using (var otherHost = new ServiceCollection().AddMetrics().BuildServiceProvider())
        {
            var twin = otherHost.GetRequiredService<IMeterFactory>().Create(ours.Meter.Name).CreateCounter<long>(ours.Name, ours.Unit, ours.Description);
            twin.Add(1, new KeyValuePair<string, object?>("command", "IdentifyWorker"), new KeyValuePair<string, object?>("outcome", "accepted"));
        }

        var before = telemetry.ReadMetrics();
        await Identify(caseworker, Scenarios.NewWorker(), 201);
        var after = telemetry.ReadMetrics();
        Assert.Equal(1, after.Value("enrolment.commands", ("command", "IdentifyWorker"), ("outcome", "accepted"))
                        - before.Value("enrolment.commands", ("command", "IdentifyWorker"), ("outcome", "accepted")));
    }

    [Fact]
    public async Task projection_lag_is_reported_for_every_async_projection()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        await Host.IdentifyWorker(caseworker);
        await Host.ProjectionsCaughtUp();
        await HighWaterMarkReachesTheLastEvent();

        // Every async projection, and the high-water mark itself against the newest event.
        var caughtUp = telemetry.ReadMetrics().Points("enrolment.projection.lag").ToDictionary(p => p.Tags["projection"], p => p.Value);
        // The async projections as the daemon runs them: a composite's members (ADR 0055) keep rows of their own, written with
        // the composite's, but are reported as the composite.
        var shards = telemetry.Store.AsyncProjections().ToList();
        Assert.NotEmpty(shards);
        var rows = (await telemetry.Store.Advanced.AllProjectionProgress()).Select(p => p.ShardName).ToList();
        Assert.All(shards, s => Assert.Contains(s, rows));
        Assert.Equal(shards.Append("HighWaterMark").Order(), caughtUp.Keys.Order());
        Assert.All(caughtUp.Values, lag => Assert.Equal(0, lag));

        // The daemon is held still by locks on its progress rows (it waits to write them; readers do not): the
        // next case's two events are past the high-water mark, which cannot move, and the projections are level with it.
        Dictionary<string, long> Lags() =>
            telemetry.ReadMetrics().Points("enrolment.projection.lag").ToDictionary(p => p.Tags["projection"], p => p.Value);
        await using (var shardsHeld = await HoldProgress("name not like 'HighWater%'"))
        {
            await using (await HoldProgress("name = 'HighWaterMark'"))
            {
                await Host.IdentifyWorker(caseworker);
                var stalled = Lags();
                Assert.Equal(2, stalled["HighWaterMark"]);
                Assert.All(shards, s => Assert.Equal(0, stalled[s]));
            }

            // The mark moves on, the projections cannot: every projection is two behind.
            await HighWaterMarkReachesTheLastEvent();
            var behind = Lags();
            Assert.Equal(0, behind["HighWaterMark"]);
            Assert.All(shards, s => Assert.Equal(2, behind[s]));
        }

        await Host.ProjectionsCaughtUp();
        Assert.All(Lags().Values, lag => Assert.Equal(0, lag));
    }

    /// <summary>Locks the daemon's progress rows that match, until disposed: whoever would update them waits.</summary>
    private async Task<IAsyncDisposable> HoldProgress(string rows)
    {
        var connection = telemetry.Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new Npgsql.NpgsqlCommand(
                         $"select name from {telemetry.Store.Options.Events.DatabaseSchemaName}.mt_event_progression where {rows} for update",
                         connection, transaction))
        {
            await command.ExecuteNonQueryAsync();
        }

        return new Held(async () =>
        {
            await transaction.RollbackAsync();
            await connection.DisposeAsync();
        });
    }

    private sealed class Held(Func<Task> release) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await release();
    }

    private async Task HighWaterMarkReachesTheLastEvent()
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var last = (await telemetry.Store.Advanced.FetchEventStoreStatistics()).EventSequenceNumber;
            var mark = (await telemetry.Store.Advanced.AllProjectionProgress()).Single(p => p.ShardName == "HighWaterMark").Sequence;
            if (mark >= last) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"the high-water mark stayed at {mark}, below {last}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task unsealed_events_are_reported_until_the_sealer_seals_them()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        var sealer = Host.Services.GetRequiredService<AuditSealer>();
        await Host.IdentifyWorker(caseworker);
        await Host.ProjectionsCaughtUp();
        await sealer.SealAsync(CancellationToken.None);
        Assert.Equal(0, telemetry.ReadMetrics().Value("enrolment.audit.unsealed"));

        await Host.IdentifyWorker(caseworker);
        await HighWaterMarkReachesTheLastEvent();
        Assert.Equal(2, telemetry.ReadMetrics().Value("enrolment.audit.unsealed"));

        await Host.ProjectionsCaughtUp();
        await sealer.SealAsync(CancellationToken.None);
        Assert.Equal(0, telemetry.ReadMetrics().Value("enrolment.audit.unsealed"));
    }

    [Fact]
    public async Task import_rows_are_counted_by_outcome()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        var existing = Niks.Next();
        await Host.IdentifyWorker(caseworker, Scenarios.NewWorker(existing));
        var before = telemetry.ReadMetrics();

        const string header = "nik,fullName,regencyCode,district,village,occupation,phone,source";
        string Row(string nik) => $"{nik},Dewi Lestari,17.04,Kaur Selatan,Padang Petron,coffee farmer,0812-3333-4444,DTSEN";
        var csv = string.Join("\n", header, Row(Niks.Next()), Row(existing), Row("12345"), Row(Niks.Next()));
        var (trace, traceParent) = NewTraceParent();
        using var client = Host.Client(caseworker);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/imports") { Content = new StringContent(csv, Encoding.UTF8, "text/csv") };
        request.Headers.Add("traceparent", traceParent);
        var response = await client.SendAsync(request);
        Assert.Equal(202, (int)response.StatusCode);
        var import = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<ImportAccepted>(response.Content))!.Id;
        var view = await Host.FinishedImport(telemetry.Token("auditor"), import);
        Assert.Equal((2, 1, 1), (view.Counts.Created, view.Counts.Duplicate, view.Counts.Invalid));

        var after = telemetry.ReadMetrics();
        long Rows(string outcome) => after.Value("enrolment.import.rows", ("outcome", outcome)) - before.Value("enrolment.import.rows", ("outcome", outcome));
        Assert.Equal((2, 1, 1), (Rows("created"), Rows("duplicate"), Rows("invalid")));

        // The chunk is handled by Wolverine in the background, in the trace of the request that queued it.
        await telemetry.TraceOnceItHas(trace, s => s.Source.Name == "Wolverine");
    }

    [Fact]
    public async Task budget_headroom_is_reported_per_budget_of_this_year_and_later()
    {
        var planner = telemetry.Token("planner");
        async Task Allocate(object allocation) => await Host.Scenario(s =>
        {
            s.Post.Json(allocation).ToUrl("/api/budgets");
            s.WithBearerToken(planner);
            s.StatusCodeShouldBe(201);
        });
        // The host's clock stands in 2026.
        await Allocate(new { payer = "APBD_REGENCY", regencyCode = "17.07", year = 2026, amount = 1_000_000, kind = "APBD" });
        await Allocate(new { payer = "APBD_REGENCY", regencyCode = "17.07", year = 2026, amount = 250_000, kind = "APBD_P" });
        await Allocate(new { payer = "APBD_PROVINCE", year = 2027, amount = 2_500_000, kind = "APBD" });
        await Allocate(new { payer = "APBD_REGENCY", regencyCode = "17.07", year = 2025, amount = 900_000, kind = "APBD" });

        var remaining = telemetry.ReadMetrics().Points("enrolment.budget.remaining");
        Assert.Equal(1_250_000, Assert.Single(remaining, p => p.Tags.GetValueOrDefault("regency") == "17.07").Value);
        Assert.Equal(new Dictionary<string, string> { ["payer"] = "APBD_REGENCY", ["regency"] = "17.07", ["year"] = "2026" },
            Assert.Single(remaining, p => p.Tags.GetValueOrDefault("regency") == "17.07").Tags);
        var province = Assert.Single(remaining, p => p.Tags["payer"] == "APBD_PROVINCE" && p.Tags["year"] == "2027");
        Assert.Equal(2_500_000, province.Value);
        Assert.DoesNotContain(remaining, p => p.Tags["year"] == "2025");
    }

    [Fact]
    public async Task no_log_entry_carries_a_full_nik_even_at_the_most_verbose_level()
    {
        var caseworker = telemetry.Token("caseworker", "17.04");
        var nik = Niks.Next();
        var (trace, header) = NewTraceParent();
        await Identify(caseworker, Scenarios.NewWorker(nik), 201, header);
        // The duplicate fails on the claim whose key is the NIK itself: PostgreSQL's error names it.
        await Identify(caseworker, Scenarios.NewWorker(nik), 409);
        const string columns = "nik,fullName,regencyCode,district,village,occupation,phone,source";
        var (fresh, badProvince) = (Niks.Next(), "99" + Niks.Next()[2..]);
        var csv = string.Join("\n", columns,
            $"{fresh},Dewi Lestari,17.04,Kaur Selatan,Padang Petron,coffee farmer,0812-3333-4444,DTSEN",
            $"{nik},Siti Aminah,17.04,Kaur Selatan,Padang Petron,rubber tapper,,DTSEN",
            $"{badProvince},Rina Wati,17.04,Kaur Selatan,Padang Petron,,,DTSEN");
        var view = await Host.FinishedImport(telemetry.Token("auditor"), await Host.StartImport(caseworker, csv));
        Assert.Equal((1, 1, 1), (view.Counts.Created, view.Counts.Duplicate, view.Counts.Invalid));
        await Host.Read<System.Text.Json.JsonElement>(caseworker, $"/api/cases?q={nik}");
        // What a racing duplicate leaves for a framework to log: the driver's error naming the key, inside another exception.
        var detail = new InvalidOperationException($"23505: duplicate key value violates unique constraint. DETAIL: Key (id)=({nik}) already exists.");
        Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Probe")
            .LogError(new AggregateException($"Document already exists with id {nik}", detail), "Retrying chunk for {Worker}", long.Parse(nik));

        var entries = telemetry.Logs.Entries;
        Assert.All(entries, e => Assert.All(new[] { nik, fresh, badProvince }, full => Assert.DoesNotContain(full, e.Text)));
        // The NIKs did reach the log, in the masked form that keeps the region of registration.
        Assert.Contains(entries, e => e.Text.Contains(nik[..6] + "**********"));
        Assert.Contains(entries, e => e.Text.Contains(fresh[..6] + "**********"));
        // Entries written while serving a request carry its trace id.
        Assert.Contains(entries, e => e.TraceIds.Contains(trace.ToHexString()));
    }
}
