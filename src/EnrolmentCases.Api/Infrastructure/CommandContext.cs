using System.Diagnostics;
using EnrolmentCases.Identity;
using Marten;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Who is acting and why, recorded on every event a command appends: the user, the correlation
/// (one user action, possibly several requests) and the causation (the request or job run).
/// </summary>
public sealed record CommandContext(Caller Caller, string CorrelationId, string CausationId, CancellationToken Cancellation)
{
    public const string CorrelationHeader = "X-Correlation-Id";

    public static CommandContext From(HttpContext http) => new(
        Caller.From(http.User),
        CorrelationIdOf(http),
        $"{http.Request.Method} {http.Request.Path} ({http.TraceIdentifier})",
        http.RequestAborted);

    /// <summary>For scheduled work: acts as the system, on every regency.</summary>
    public static CommandContext ForJob(string job, CancellationToken cancellation) => new(
        Caller.System(job), Guid.NewGuid().ToString("N"), $"job {job}", cancellation);

    public void Stamp(IDocumentSession session)
    {
        session.CorrelationId = CorrelationId;
        session.CausationId = CausationId;
        session.LastModifiedBy = Caller.Id;
        session.SetHeader("userName", Caller.Name);
        session.SetHeader("role", Caller.Role);
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
