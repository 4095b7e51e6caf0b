using System.Net.Sockets;
using Npgsql;

namespace EnrolmentCases.Infrastructure;

/// <summary>What a failure to talk to PostgreSQL means for the request or message that met it.</summary>
public enum DatabaseFailure
{
    /// <summary>Not an outage: a defect, a constraint, bad data. Trying again meets the same failure.</summary>
    None,

    /// <summary>
    /// No transaction committed: no connection could be obtained (server unreachable, starting up, out of
    /// connections, the pool exhausted), or the server rolled the transaction back (deadlock, serialization
    /// failure, statement timeout, out of resources, read-only after a failover). Running it again is safe.
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
                case PostgresException postgres when StalePreparedStatement(postgres):
                    return DatabaseFailure.NothingWritten;
                case PostgresException postgres:
                    return OfSqlState(postgres.SqlState);
                case NpgsqlException npgsql when NeverConnected(npgsql):
                    return DatabaseFailure.NothingWritten;
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
        // query_canceled: a statement_timeout (or an operator's pg_cancel_backend) aborted the transaction, so
        // its COMMIT cannot succeed. The same code raised because the client aborted its request is not an
        // outage: ErrorHandling.AbortedByClient recognises it first.
        "57014" => DatabaseFailure.NothingWritten,
        "55P03" => DatabaseFailure.NothingWritten, // lock_not_available
        "57P03" => DatabaseFailure.NothingWritten, // cannot_connect_now: starting up or shutting down
        "25006" => DatabaseFailure.NothingWritten, // read_only_sql_transaction: a demoted primary after a failover
        "53000" => DatabaseFailure.NothingWritten, // insufficient_resources
        "53100" => DatabaseFailure.NothingWritten, // disk_full
        "53200" => DatabaseFailure.NothingWritten, // out_of_memory
        "53300" => DatabaseFailure.NothingWritten, // too_many_connections
        // 53400 configuration_limit_exceeded (e.g. temp_file_limit) is not listed: the statement itself
        // exceeds a limit, and running it again exceeds it again.
        "08001" => DatabaseFailure.NothingWritten, // sqlclient_unable_to_establish_sqlconnection
        "08004" => DatabaseFailure.NothingWritten, // sqlserver_rejected_establishment_of_sqlconnection
        "57P01" => DatabaseFailure.OutcomeUnknown, // admin_shutdown: the session was terminated
        "57P02" => DatabaseFailure.OutcomeUnknown, // crash_shutdown: another server process crashed
        _ when sqlState.StartsWith("08", StringComparison.Ordinal) => DatabaseFailure.OutcomeUnknown, // connection_exception
        _ => DatabaseFailure.None
    };

    /// <summary>
    /// A statement prepared on a pooled connection (ADR 33) whose result columns a schema change altered since:
    /// the server refuses it once and rolls the transaction back, and Npgsql prepares it afresh on its next
    /// use, so running the work again succeeds. Other feature_not_supported errors stay defects.
    /// </summary>
    public static bool StalePreparedStatement(PostgresException postgres) =>
        postgres.SqlState == PostgresErrorCodes.FeatureNotSupported &&
        postgres.MessageText.StartsWith("cached plan must not change result type", StringComparison.Ordinal);

    /// <summary>
    /// Npgsql's own words when no connection was obtained: it could not open one ("Failed to connect to
    /// host:port", also after a connect timeout), or every connection of the pool stayed busy for the whole
    /// Timeout ("The connection pool has been exhausted", wrapping a TimeoutException). Nothing was sent, so
    /// nothing was written, unlike a TimeoutException while reading an open connection ("Exception while
    /// reading from stream"), which may come after the commit was sent. Npgsql's messages are not localised.
    /// </summary>
    private static bool NeverConnected(NpgsqlException npgsql) =>
        npgsql.Message.StartsWith("Failed to connect to", StringComparison.Ordinal) ||
        npgsql.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal);

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
