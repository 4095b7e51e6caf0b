using EnrolmentCases.Audit;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Folding;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.DemoData;
using EnrolmentCases.Coverage;
using EnrolmentCases.Forecast;
using EnrolmentCases.Identity;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses.Risk;
using EnrolmentCases.Lapses.Sweeping;
using EnrolmentCases.Money;
using EnrolmentCases.Privacy;
using EnrolmentCases.Reconciliations;
using EnrolmentCases.Regencies;
using EnrolmentCases.Targets;
using EnrolmentCases.WebApp;
using JasperFx;
using Wolverine;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args).AddDemoHosting(args);

builder.Services
    .AddApiConventions(builder.Configuration)
    .AddIdentity(builder.Configuration, builder.Environment)
    .AddProvince(builder.Configuration)
    .AddEventStore(builder.Configuration)
    .AddMoney(builder.Configuration)
    .AddPrivacy(builder.Configuration)
    .AddCases()
    .AddCaseFold()
    .AddCaseDetails()
    .AddCaseSearch()
    .AddWorklist(builder.Configuration)
    .AddLapses(builder.Configuration)
    .AddDailyLapseRisk(builder.Configuration)
    .AddBudgets()
    .AddTargets()
    .AddCoverage()
    .AddForecast(builder.Configuration)
    .AddAudit(builder.Configuration)
    .AddWebApp(builder.Configuration)
    // After every feature: it tunes every projection the features above registered.
    .AddProjectionRebuilds(builder.Configuration)
    // After every feature: the warm-up's rehearsed commands stop at the store's last listener (ADR 44).
    .AddCommandRehearsals();
builder.AddTelemetry();

builder.Host.UseWolverine(opts =>
{
    opts.UseRuntimeCompilation();
    // Several nodes may serve one database; each background agent runs on exactly one of them.
    opts.AddCluster(builder.Configuration);
    opts.CodeGeneration.TypeLoadMode = GeneratedCode.Mode;
    opts.Policies.AutoApplyTransactions();
    opts.RetryDatabaseOutages(builder.Configuration);
    // Imports move chunk by chunk through a durable local queue: a crash resumes where it stopped.
    opts.Policies.UseDurableLocalQueues();
    opts.AddImports(builder.Configuration);
    opts.AddReconciliations(builder.Configuration);
});
builder.Services.AddWolverineHttp();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
// The web app's files and client routes are public: served before authentication (WebApp/Configuration.cs).
app.UseWebApp();
app.UseAuthentication();
app.UseRateLimiter();
app.UseAuthorization();
app.UseBodyLimits();
app.UseIdempotencyKeys();
app.MapOperations();
app.MapWolverineEndpoints(http =>
{
    http.RejectUnparseableQueryValues = true;
    // Every endpoint's handler is built at start rather than by its first request.
    http.WarmUpRoutes = Wolverine.Http.RouteWarmup.Eager;
    // Every command records who acted, under which correlation and why, on the events it appends.
    http.AddMiddleware(typeof(EventMetadata), EventMetadata.Writes);
    http.AddCaseCommandSteps();
});

// Command-line chatter (assembly scanning, help) goes to stderr, so a command's own output, such
// as the token from `token`, can be captured from stdout alone.
Spectre.Console.AnsiConsole.Console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
{
    Out = new Spectre.Console.AnsiConsoleOutput(Console.Error)
});
await app.ApplySchemaBeforeCommandAsync(args);
return await app.RunJasperFxCommands(ProjectionRebuilds.CommandLine(args, app.Services.GetRequiredService<IOptions<RebuildOptions>>().Value));

public partial class Program;
