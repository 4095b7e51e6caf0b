using JasperFx;
using JasperFx.Events;
using Marten;
using JasperFx.Events.Projections;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

// The framework's floor: one Marten + Wolverine endpoint that starts a stream, one that appends one event to it
// through Wolverine's aggregate workflow (optimistic version check), and one that reads the inline snapshot.
// No authentication, validation, metadata, MAC or read models beyond the snapshot: what the product's commands
// cost above this is the product's own work. The benchmark drives it with the same open-model harness.
var builder = WebApplication.CreateBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddMarten(opts =>
    {
        opts.Connection(builder.Configuration.GetConnectionString("Marten")
                        ?? throw new InvalidOperationException("ConnectionStrings__Marten is required"));
        opts.DatabaseSchemaName = "floor";
        opts.Events.AppendMode = EventAppendMode.Quick;
        opts.Projections.Snapshot<Counter>(SnapshotLifecycle.Inline);
    })
    .ApplyAllDatabaseChangesOnStartup()
    .IntegrateWithWolverine();
builder.Host.UseWolverine(opts =>
{
    opts.Policies.AutoApplyTransactions();
    opts.Durability.Mode = DurabilityMode.Solo;
});
builder.Services.AddWolverineHttp();

var app = builder.Build();
app.MapGet("/health/live", () => Results.Ok());
app.MapWolverineEndpoints();
return await app.RunJasperFxCommands(args);

public sealed record Started(Guid Id, string Note);

public sealed record Ticked(DateTimeOffset At, string Note);

public sealed class Counter
{
    public Guid Id { get; set; }
    public int Version { get; set; }
    public int Ticks { get; set; }
    public DateTimeOffset? LastAt { get; set; }

    public static Counter Create(Started e) => new() { Id = e.Id };

    public void Apply(Ticked e)
    {
        Ticks++;
        LastAt = e.At;
    }
}

public sealed record Tick(string Note);

public static class FloorEndpoints
{
    [WolverinePost("/floor")]
    public static IResult Start(Tick command, IDocumentSession session)
    {
        var id = Guid.CreateVersion7();
        session.Events.StartStream<Counter>(id, new Started(id, command.Note));
        return Results.Created($"/floor/{id}", new { id });
    }

    [WolverinePost("/floor/{id}")]
    public static (IResult, Events) Append(Tick command, [WriteAggregate] Counter counter) =>
        (Results.Ok(new { version = counter.Version + 1 }), [new Ticked(DateTimeOffset.UtcNow, command.Note)]);

    [WolverineGet("/floor/{id}")]
    public static Task<Counter?> Read(Guid id, IQuerySession session) => session.LoadAsync<Counter>(id);
}
