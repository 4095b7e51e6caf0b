using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Domain;

/// <summary>When a started process counts as settled (ADR 49): the JIT and the node's agents still for a whole window.</summary>
public class SettlingRules
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void nothing_compiled_and_the_same_agents_for_the_whole_window_is_settled()
    {
        var settling = new Settling(Quiet);
        Assert.False(settling.Observe(Ms(0), 1_000, 5));
        Assert.False(settling.Observe(Ms(250), 1_000, 5));
        Assert.True(settling.Observe(Ms(300), 1_000, 5));
    }

    [Fact]
    public void a_method_compiled_starts_the_window_again()
    {
        var settling = new Settling(Quiet);
        settling.Observe(Ms(0), 1_000, 5);
        Assert.False(settling.Observe(Ms(200), 1_001, 5));
        Assert.False(settling.Observe(Ms(450), 1_001, 5));
        Assert.True(settling.Observe(Ms(500), 1_001, 5));
    }

    [Fact]
    public void an_agent_started_starts_the_window_again()
    {
        var settling = new Settling(Quiet);
        settling.Observe(Ms(0), 1_000, 4);
        Assert.False(settling.Observe(Ms(300), 1_000, 5));
        Assert.True(settling.Observe(Ms(600), 1_000, 5));
    }

    [Fact]
    public void a_node_before_its_agents_are_assigned_is_not_settled_however_quiet()
    {
        var settling = new Settling(Quiet);
        settling.Observe(Ms(0), 1_000, 0);
        Assert.False(settling.Observe(Ms(5_000), 1_000, 0));
    }
}
