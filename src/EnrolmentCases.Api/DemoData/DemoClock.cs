namespace EnrolmentCases.DemoData;

/// <summary>
/// The demo's simulated time. Each lane of the demo plays its workers' stories at their own
/// instants of 2025-2026: the instant set here flows with the lane's calls into the in-memory API
/// (and from there to the province calendar), so lanes run side by side on clocks of their own.
/// </summary>
public sealed class DemoClock : TimeProvider
{
    private readonly AsyncLocal<DateTimeOffset?> _now = new();

    /// <summary>The time outside the lanes' calls (the real one unless set).</summary>
    public DateTimeOffset? Default { get; set; }

    public override DateTimeOffset GetUtcNow() => (_now.Value ?? Default ?? DateTimeOffset.UtcNow).ToUniversalTime();

    public void Set(DateTimeOffset now) => _now.Value = now;
}
