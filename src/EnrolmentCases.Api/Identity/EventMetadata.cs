using EnrolmentCases.Infrastructure;
using Wolverine.Marten;

namespace EnrolmentCases.Identity;

/// <summary>
/// Who is acting and why, recorded on every event a request or job appends: the user, the
/// correlation (one user action, possibly several requests) and the causation (the request or job run).
/// Applied by policy to every endpoint that writes (see Program), before its handler runs.
/// </summary>
public static class EventMetadata
{
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>Endpoints that write through a Marten session: they take one, load an aggregate to change, or start a stream.</summary>
    public static bool Writes(HttpChain chain) =>
        chain.Method.Method.GetParameters().Any(p =>
            p.ParameterType == typeof(IDocumentSession) || p.IsDefined(typeof(WriteAggregateAttribute), true))
        || chain.Method.Method.ReturnType.GenericTypeArguments.Contains(typeof(IStartStream));

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

    public static string CorrelationIdOf(HttpContext http)
    {
        var supplied = http.Request.Headers[CorrelationHeader].ToString();
        // Accept a caller's id only when it is short and plain, so it cannot smuggle content into the log.
        if (supplied.Length is > 0 and <= 64 && supplied.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return supplied;
        return Telemetry.TraceId(http);
    }
}
