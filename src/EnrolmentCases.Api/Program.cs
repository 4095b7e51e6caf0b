using System.Text.Json.Serialization;
using EnrolmentCases.Audit;
using EnrolmentCases.Cases;
using EnrolmentCases.Forecast;
using EnrolmentCases.Identity;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using JasperFx;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Http;

var builder = WebApplication.CreateBuilder(args);

builder.Services.Configure<ReferenceData>(builder.Configuration.GetSection(ReferenceData.Section));
builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ReferenceData>>().Value);
builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.Configure<TariffOptions>(builder.Configuration.GetSection(TariffOptions.Section));
builder.Services.Configure<LapseOptions>(builder.Configuration.GetSection(LapseOptions.Section));
builder.Services.Configure<ForecastOptions>(builder.Configuration.GetSection(ForecastOptions.Section));
builder.Services.AddSingleton<LapsePolicy>();
builder.Services.AddSingleton<CaseCommand>();
builder.Services.AddSingleton<CaseSweep>();
builder.Services.AddHostedService<CaseSweepService>();
builder.Services.Configure<AuditOptions>(builder.Configuration.GetSection(AuditOptions.Section));
builder.Services.AddSingleton<AuditSealer>();
builder.Services.AddHostedService<AuditSealerService>();
builder.Services.AddSingleton<ReplayVerification>();

builder.Services.ConfigureHttpJsonOptions(json =>
{
    json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
    json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
});
builder.Services.AddProblemResponses();
builder.Services.AddCaseworkerIdentity(builder.Configuration, builder.Environment);
builder.Services.AddEventStore(builder.Configuration);
builder.Services.AddOperations();
builder.Services.AddClientRateLimits(builder.Configuration);

builder.Host.UseWolverine(opts =>
{
    opts.UseRuntimeCompilation();
    opts.Policies.AutoApplyTransactions();
    // Imports move chunk by chunk through a durable local queue: a crash resumes where it stopped.
    opts.Policies.UseDurableLocalQueues();
    // Two imports claiming the same workers at once: the loser retries and finds them taken.
    opts.Policies.OnException(e => e is JasperFx.DocumentAlreadyExistsException ||
                                   e is AggregateException { InnerExceptions: var inner } && inner.All(x => x is JasperFx.DocumentAlreadyExistsException),
            "a worker was claimed by a concurrent import")
        .RetryWithCooldown(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500),
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
});
builder.Services.AddWolverineHttp();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.MapOperations();
app.MapWolverineEndpoints(http => http.RejectUnparseableQueryValues = true);

// Command-line chatter (assembly scanning, help) goes to stderr, so a command's own output, such
// as the token from `token`, can be captured from stdout alone.
Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
{
    Out = new Spectre.Console.AnsiConsoleOutput(Console.Error)
});
return await app.RunJasperFxCommands(args);

public partial class Program;
