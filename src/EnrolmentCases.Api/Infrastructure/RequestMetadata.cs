using System.Diagnostics;
using EnrolmentCases.Identity;
using Marten;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Records on every event who acted, under which correlation (one user action, possibly several
/// requests) and as a consequence of which request.
/// </summary>
public static class RequestMetadata
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static string CorrelationId(HttpContext http)
    {
        var supplied = http.Request.Headers[CorrelationHeader].ToString();
        // Accept a caller's id only when it is short and plain, so it cannot smuggle content into the log.
        if (supplied.Length is > 0 and <= 64 && supplied.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return supplied;
        return Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
    }

    public static void Stamp(IDocumentSession session, HttpContext http)
    {
        var caller = Caller.From(http.User);
        session.CorrelationId = CorrelationId(http);
        session.CausationId = $"{http.Request.Method} {http.Request.Path} ({http.TraceIdentifier})";
        session.LastModifiedBy = caller.Id;
        session.SetHeader("userName", caller.Name);
        session.SetHeader("role", caller.Role);
    }
}
