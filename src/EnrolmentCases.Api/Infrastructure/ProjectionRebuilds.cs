using JasperFx.Events.Projections;
using Marten;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Infrastructure;

/// <summary>How the projection daemon pages and writes, above all when it rebuilds a read model (ADR 0032).</summary>
public sealed class RebuildOptions
{
    public const string Section = "Rebuild";

    /// <summary>
    /// Events a projection shard fetches and applies at a time (Marten's AsyncOptions.BatchSize; its default is 500). At 5,000
    /// PostgreSQL sorted far more than a page for each page of a rebuild (6.5 GB of temporary files over 350,000 events);
    /// at 20,000 PostgreSQL's CPU in a rebuild fell by about two thirds (ADR 38). A live daemon's pages are as small as its lag.
    /// </summary>
    public int BatchSize { get; set; } = 20_000;

    /// <summary>
    /// During a rebuild, the aggregates (case views, budgets, targets) held in memory before they are written, each once
    /// (AsyncOptions.RebuildFlushThreshold; 0 writes every page as it is applied).
    /// </summary>
    public int FlushThreshold { get; set; } = 20_000;

    /// <summary>Whether a rebuild writes pure inserts with binary COPY (Marten's experimental ProjectionOptions.RebuildWithBulkCopy).</summary>
    public bool BulkCopy { get; set; } = true;

    /// <summary>
    /// How long `projections rebuild` lets one read model's rebuild run before it fails (its --shard-timeout when the
    /// command line gives none). The command's own default, 5 minutes, fails every large read model of 1,000,000
    /// generated cases (17.6 million events) on two cores; `generate` rebuilds with the same bound.
    /// </summary>
    public int TimeoutMinutes { get; set; } = 360;

    public static IEnumerable<string> Rules(RebuildOptions o)
    {
        if (o.BatchSize is < 100 or > 100_000) yield return $"BatchSize must be between 100 and 100000 (is {o.BatchSize})";
        if (o.FlushThreshold is < 0 or > 1_000_000) yield return $"FlushThreshold must be between 0 and 1000000 (is {o.FlushThreshold})";
        if (o.TimeoutMinutes is < 1 or > 7 * 24 * 60) yield return $"TimeoutMinutes must be between 1 and 10080 (is {o.TimeoutMinutes})";
    }
}

public static class ProjectionRebuilds
{
    /// <summary>
    /// Applies the settings to every projection registered so far: call it after every feature has added its own.
    /// </summary>
    public static IServiceCollection AddProjectionRebuilds(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<RebuildOptions>(configuration, RebuildOptions.Section, RebuildOptions.Rules);
        return services.ConfigureMarten((sp, opts) => Apply(opts, sp.GetRequiredService<IOptions<RebuildOptions>>().Value));
    }

    /// <summary>
    /// The command line with `Rebuild:TimeoutMinutes` as the `projections` command's --shard-timeout, unless it names one.
    /// Any other command's arguments are returned as they are.
    /// </summary>
    public static string[] CommandLine(string[] args, RebuildOptions settings) =>
        args is [var command, ..] && command.Equals("projections", StringComparison.OrdinalIgnoreCase)
        && !args.Any(a => a.StartsWith("--shard-timeout", StringComparison.OrdinalIgnoreCase))
            ? [..args, "--shard-timeout", $"{settings.TimeoutMinutes}m"]
            : args;

    public static void Apply(StoreOptions opts, RebuildOptions settings)
    {
        opts.Projections.RebuildWithBulkCopy = settings.BulkCopy;
        // A composite's members (ADR 0055) page with the composite and keep their own flush thresholds: both get the settings.
        var projections = opts.Projections.All.OfType<ProjectionBase>()
            .Concat(opts.Projections.All.OfType<Marten.Events.Projections.CompositeProjection>().SelectMany(c => c.AllProjections()).OfType<ProjectionBase>());
        foreach (var projection in projections)
        {
            projection.Options.BatchSize = settings.BatchSize;
            projection.Options.RebuildFlushThreshold = settings.FlushThreshold;
        }
    }
}
