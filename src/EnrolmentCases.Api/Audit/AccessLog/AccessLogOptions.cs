namespace EnrolmentCases.Audit.AccessLog;

/// <summary>How long the access log is kept (appsettings.json, section AccessLog).</summary>
public sealed class AccessLogOptions
{
    public const string Section = "AccessLog";

    /// <summary>
    /// Entries older than this many days are removed by `prune-access-log`, which runs as the schema
    /// owner: the API's own database role may add entries and read them, never remove them.
    /// </summary>
    public int RetentionDays { get; set; } = 730;

    public static IEnumerable<string> Rules(AccessLogOptions o)
    {
        if (o.RetentionDays is < 30 or > 36_500) yield return "RetentionDays must be between 30 and 36500";
    }
}
