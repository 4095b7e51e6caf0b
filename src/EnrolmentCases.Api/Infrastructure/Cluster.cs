using Wolverine;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// How the API processes sharing one database divide the background work between them. Every node
/// serves requests; the async projections, the audit sealer and the lapse sweep are agents that the
/// cluster's leader assigns to exactly one node each and reassigns when that node stops answering.
/// </summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>
    /// Balanced: several nodes share the agents (the production setting). Solo: this process is the
    /// only node and starts every agent itself at once (a developer's machine, the in-process tests).
    /// </summary>
    public DurabilityMode Mode { get; set; } = DurabilityMode.Balanced;

    /// <summary>How often each node reports that it is alive and the leader reviews the assignments.</summary>
    public double HeartbeatSeconds { get; set; } = 2;

    /// <summary>
    /// How long a node may stay silent before the others treat it as dead and take over its agents.
    /// Failover takes about this plus a heartbeat or two; shorter reacts faster but risks taking work
    /// from a node that is only paused (a long garbage collection, a saturated machine).
    /// </summary>
    public double StaleNodeSeconds { get; set; } = 15;

    public static IEnumerable<string> Rules(ClusterOptions o)
    {
        if (o.Mode is not (DurabilityMode.Balanced or DurabilityMode.Solo)) yield return $"Mode must be Balanced or Solo (is {o.Mode})";
        if (o.HeartbeatSeconds is < 0.1 or > 300) yield return $"HeartbeatSeconds must be between 0.1 and 300 (is {o.HeartbeatSeconds})";
        if (o.StaleNodeSeconds < 2 * o.HeartbeatSeconds)
            yield return $"StaleNodeSeconds must be at least twice HeartbeatSeconds (is {o.StaleNodeSeconds})";
    }
}

public static class Cluster
{
    /// <summary>The settings, checked at start like every other section.</summary>
    public static IServiceCollection AddCluster(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<ClusterOptions>(configuration, ClusterOptions.Section, ClusterOptions.Rules);
        return services;
    }

    /// <summary>Wolverine's durability agent: the node's heartbeat, the leader's reviews, when a silent node counts as dead.</summary>
    public static WolverineOptions AddCluster(this WolverineOptions opts, IConfiguration configuration)
    {
        // Wolverine is configured before the host validates settings: the same rules, checked here first.
        var options = configuration.GetSection(ClusterOptions.Section).Get<ClusterOptions>() ?? new ClusterOptions();
        var problems = ClusterOptions.Rules(options).Select(p => $"{ClusterOptions.Section}:{p}").ToList();
        if (problems.Count > 0) throw new InvalidOperationException(string.Join("; ", problems));

        opts.Durability.Mode = options.Mode;
        var heartbeat = TimeSpan.FromSeconds(options.HeartbeatSeconds);
        opts.Durability.HealthCheckPollingTime = heartbeat;
        opts.Durability.FirstHealthCheckExecution = heartbeat;
        opts.Durability.CheckAssignmentPeriod = heartbeat;
        opts.Durability.StaleNodeTimeout = TimeSpan.FromSeconds(options.StaleNodeSeconds);
        return opts;
    }
}
