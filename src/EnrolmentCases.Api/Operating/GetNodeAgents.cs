using EnrolmentCases.Identity;
using Wolverine.Runtime;

namespace EnrolmentCases.Operating;

/// <summary>This process's place in the cluster and the background agents it runs right now.</summary>
public sealed record NodeAgents(Guid NodeId, int NodeNumber, IReadOnlyList<string> Agents);

public static class GetNodeAgentsEndpoint
{
    [WolverineGet("/api/operations/agents", OperationId = "GetNodeAgents", Summary = "Background agents on this node",
        Description = "Which of the background agents (each async projection, the audit sealer, the lapse sweep) this API process " +
                      "runs at the moment. Every agent runs on exactly one node of the cluster; ask each node, or read the log, " +
                      "to see where one went after a failover.")]
    [Tags("Operations"), Authorize(Roles = Roles.Admin)]
    public static NodeAgents Get(IWolverineRuntime runtime)
    {
        // Wolverine's own agents (its message store's durability agent) are left out: they are not ours to watch.
        var agents = runtime.Agents.AllRunningAgentUris().Select(u => u.ToString())
            .Where(a => !a.StartsWith("wolverinedb://", StringComparison.Ordinal) && !a.StartsWith("wolverine://", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToList();
        return new NodeAgents(runtime.Options.UniqueNodeId, runtime.Options.Durability.AssignedNodeNumber, agents);
    }
}
