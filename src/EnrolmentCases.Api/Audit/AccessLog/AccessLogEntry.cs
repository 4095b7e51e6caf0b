namespace EnrolmentCases.Audit.AccessLog;

/// <summary>
/// One response that carried personal data (a NIK, a name or a phone): who received it, when, through
/// which route, and about which cases. It names the cases by id only and the reader by their own
/// identity: it holds no worker's NIK, name or phone, so the log itself needs no erasure.
/// </summary>
public sealed class AccessLogEntry
{
    /// <summary>Time-ordered (UUID v7).</summary>
    public Guid Id { get; init; }

    public DateTimeOffset ReadAt { get; init; }

    /// <summary>The reader's `sub` claim.</summary>
    public string UserId { get; init; } = "";

    public string UserName { get; init; } = "";

    public string[] Roles { get; init; } = [];

    /// <summary>Method and route template, e.g. "GET /api/cases/{id}".</summary>
    public string Route { get; init; } = "";

    /// <summary>The cases whose personal data the response carried (for an export, every stream in its range).</summary>
    public Guid[] CaseIds { get; init; } = [];

    /// <summary>What was asked, in terms that carry no personal data (a version, a page, a sequence range).</summary>
    public string? Detail { get; init; }

    /// <summary>Why, where the route asks for a reason (an admin's export).</summary>
    public string? Reason { get; init; }

    public string? TraceId { get; init; }

    public string? CorrelationId { get; init; }
}
