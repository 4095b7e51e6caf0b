using System.Net.Sockets;
using Npgsql;

namespace EnrolmentCases.Infrastructure;

/// <summary>What a failure to talk to PostgreSQL means for the request or message that met it.</summary>
public enum DatabaseFailure
{
    /// <summary>Not an outage: a defect, a constraint, bad data. Trying again meets the same failure.</summary>
    None,

    /// <summary>
    /// No transaction committed: the server could not be reached or was starting up, or it rolled the
    /// transaction back (deadlock, serialization failure, statement cancelled). Running it again is safe.
    /// </summary>
    NothingWritten,

    /// <summary>
    /// The connection broke mid-conversation (server shut down or crashed, connection reset, read timed
    /// out). Had the commit already reached the server, it may have been saved.
    /// </summary>
    OutcomeUnknown
}

/// <summary>
/// Recognises database outages however Marten or Wolverine wrapped them (inner exceptions, aggregates), so
/// that the HTTP pipeline answers them with 503 and message handlers retry them.
/// </summary>
public static class DatabaseFailures
{
    public static bool IsTransient(Exception exception) => Classify(exception) != DatabaseFailure.None;

    public static DatabaseFailure Classify(Exception exception)
    {
        foreach (var e in Unwrapped(exception))
        {
            switch (e)
            {
                // The server answered: its SQLSTATE decides, also when the answer is "not an outage".
                case PostgresException postgres:
                    return OfSqlState(postgres.SqlState);
                case NpgsqlException npgsql:
                    var cause = OfCause(npgsql.InnerException);
                    if (cause != DatabaseFailure.None) return cause;
                    return npgsql.IsTransient ? DatabaseFailure.OutcomeUnknown : DatabaseFailure.None;
                case SocketException socket:
                    return OfSocket(socket);
            }
        }

        return DatabaseFailure.None;
    }

    /// <summary>PostgreSQL error codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).</summary>
    public static DatabaseFailure OfSqlState(string sqlState) => sqlState switch
    {
        "40001" => DatabaseFailure.NothingWritten, // serialization_failure: rolled back
        "40P01" => DatabaseFailure.NothingWritten, // deadlock_detected: rolled back
        "57014" => DatabaseFailure.NothingWritten, // query_canceled (statement timeout): rolled back
        "55P03" => DatabaseFailure.NothingWritten, // lock_not_available
        "57P03" => DatabaseFailure.NothingWritten, // cannot_connect_now: starting up or shutting down
        "53300" => DatabaseFailure.NothingWritten, // too_many_connections
        "08001" => DatabaseFailure.NothingWritten, // sqlclient_unable_to_establish_sqlconnection
        "08004" => DatabaseFailure.NothingWritten, // sqlserver_rejected_establishment_of_sqlconnection
        "57P01" => DatabaseFailure.OutcomeUnknown, // admin_shutdown: the session was terminated
        "57P02" => DatabaseFailure.OutcomeUnknown, // crash_shutdown: another server process crashed
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) => DatabaseFailure.OutcomeUnknown, // connection_exception
        _ => DatabaseFailure.None
    };

    private static DatabaseFailure OfCause(Exception? cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException socket:
                    return OfSocket(socket);
                case TimeoutException or IOException:
                    return DatabaseFailure.OutcomeUnknown;
            }
        }

        return DatabaseFailure.None;
    }

    /// <summary>Refused or unresolvable: no connection was ever made. Anything else broke one that was open.</summary>
    private static DatabaseFailure OfSocket(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable
            or SocketError.TryAgain or SocketError.AddressNotAvailable => DatabaseFailure.NothingWritten,
        _ => DatabaseFailure.OutcomeUnknown
    };

    /// <summary>The exception and everything it wraps, outermost first.</summary>
    public static IEnumerable<Exception> Unwrapped(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        for (var seen = 0; pending.Count > 0 && seen < 50; seen++)
        {
            var e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.Reverse()) pending.Push(inner);
            }
            else if (e.InnerException is not null)
            {
                pending.Push(e.InnerException);
            }
        }
    }
}
