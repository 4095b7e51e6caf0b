using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.Options;
using System.Diagnostics;
using JasperFx.CommandLine;

namespace EnrolmentCases.DemoData;

public class GenerateInput : NetCoreInput
{
    [Description("Cases to generate (the demo's province spread and stories; about 17 events a case)")]
    [FlagAlias("cases")]
    public long CasesFlag { get; set; } = 100_000;

    [Description("Seed of the generated stories: the same seed and size give the same cases")]
    [FlagAlias("seed")]
    public int SeedFlag { get; set; } = 2024;

    [Description("Only these regencies (codes separated by commas), e.g. 17.04,17.07")]
    [FlagAlias("regencies")]
    public string? RegenciesFlag { get; set; }

    [Description("Cases written in one transaction")]
    [FlagAlias("batch")]
    public int BatchFlag { get; set; } = 2_000;

    [Description("Write the events only; rebuild the read models later with `projections rebuild`")]
    [FlagAlias("no-rebuild")]
    public bool NoRebuildFlag { get; set; }
}

[Description("Writes a large generated dataset straight into an empty event store (bulk COPY, MAC chain, encrypted personal data), then rebuilds the read models", Name = Name)]
public class GenerateCommand : JasperFxAsyncCommand<GenerateInput>
{
    public const string Name = "generate";

    public override async Task<bool> Execute(GenerateInput input)
    {
        if (input.CasesFlag is < 1 or > 100_000_000 || input.BatchFlag is < 1 or > 50_000)
        {
            Console.Error.WriteLine("--cases must be in [1, 100000000] and --batch in [1, 50000].");
            return false;
        }

        var regencies = input.RegenciesFlag?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var host = input.BuildHost();
        // As a start does: the schema is created or brought up to date first, by its owner, and granted to the runtime role
        // (with two roles, the store's own apply would create it as the runtime role, and the owner could not analyze it).
        await host.Services.GetRequiredService<Infrastructure.SchemaMigration>().ApplyAsync(CancellationToken.None);
        var generator = ActivatorUtilities.CreateInstance<DatasetGenerator>(host.Services);
        if (!await generator.StoreIsEmptyAsync(CancellationToken.None))
        {
            Console.Error.WriteLine("The event store already holds events: a dataset is generated only into an empty database (run db-reset or use a new one).");
            return false;
        }

        var report = DateTimeOffset.MinValue;
        var generated = await generator.WriteAsync(input.CasesFlag, input.SeedFlag, regencies, input.BatchFlag, line =>
        {
            if (DateTimeOffset.UtcNow - report < TimeSpan.FromSeconds(10)) return;
            report = DateTimeOffset.UtcNow;
            Console.Error.WriteLine(line);
        }, CancellationToken.None);
        Console.WriteLine($"Wrote {generated.Cases:N0} cases and {generated.Events:N0} events in {generated.Writing.TotalSeconds:N1} s " +
                          $"({generated.Events / generated.Writing.TotalSeconds:N0} events/s).");
        if (input.NoRebuildFlag) return true;

        var watch = Stopwatch.StartNew();
        var timeout = TimeSpan.FromMinutes(host.Services.GetRequiredService<IOptions<RebuildOptions>>().Value.TimeoutMinutes);
        await generator.RebuildAsync(timeout, false, Console.Error.WriteLine, CancellationToken.None);
        Console.WriteLine($"Rebuilt the read models in {watch.Elapsed.TotalSeconds:N1} s ({generated.Events / watch.Elapsed.TotalSeconds:N0} events/s).");
        return true;
    }
}
