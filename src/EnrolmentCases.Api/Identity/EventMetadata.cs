using System.Diagnostics;

namespace EnrolmentCases.Identity;

/// <summary>
/// Who is acting and why, recorded on every event a request or job appends: the user, the
/// correlation (one user action, possibly several requests) and the causation (the request or job run).
/// Applied by policy to every HTTP command (see Program), before its handler runs.
/// </summary>
public static class EventMetadata
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static void Before(IDocumentSession session, HttpContext http) =>
        Stamp(session, Caller.From(http.User), CorrelationIdOf(http),
            $"{http.Request.Method} {http.Request.Path} ({http.TraceIdentifier})");

    public static void Stamp(IDocumentSession session, Caller caller, string correlationId, string causationId)
    {
        session.CorrelationId = correlationId;
        session.CausationId = causationId;
        session.LastModifiedBy = caller.Id;
        session.SetHeader("userName", caller.Name);
        session.SetHeader("role", caller.Role);
    }

    private static string CorrelationIdOf(HttpContext http)
    {
        var supplied = http.Request.Headers[CorrelationHeader].ToString();
        // Accept a caller's id only when it is short and plain, so it cannot smuggle content into the log.
        if (supplied.Length is > 0 and <= 64 && supplied.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return supplied;
        return Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
    }
}
