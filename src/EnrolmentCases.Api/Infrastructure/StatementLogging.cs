using Marten.Services;
using Npgsql;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Marten's own logger writes every parameter value beside a failed statement (and, at debug level,
/// beside every statement): the NIKs, names and phones of the workers a command touched. This one
/// writes the statement text and the exception only, never a parameter's value; the exception's
/// message carries no row data either, since the connection never asks the server for error detail
/// (EventStore.ConnectionString). Log lines are masked for NIKs on top of that (LogRedaction).
/// </summary>
public sealed class StatementLogging(ILogger logger) : IMartenLogger, IMartenSessionLogger
{
    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql) => logger.LogInformation("Executed schema update SQL:\n{Sql}", sql);

    public void LogSuccess(NpgsqlCommand command) => logger.LogDebug("{Sql}", command.CommandText);

    public void LogSuccess(NpgsqlBatch batch)
    {
        if (logger.IsEnabled(LogLevel.Debug)) logger.LogDebug("{Sql}", Text(batch));
    }

    public void LogFailure(NpgsqlCommand command, Exception ex) =>
        logger.LogError(ex, "Statement failed ({Parameters} parameters, values not logged):\n{Sql}", command.Parameters.Count, command.CommandText);

    public void LogFailure(NpgsqlBatch batch, Exception ex) =>
        logger.LogError(ex, "Batch failed ({Statements} statements, values not logged):\n{Sql}", batch.BatchCommands.Count, Text(batch));

    public void LogFailure(Exception ex, string message) => logger.LogError(ex, "{Message}", message);

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }

    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }

    private static string Text(NpgsqlBatch batch) => string.Join(";\n", batch.BatchCommands.Cast<NpgsqlBatchCommand>().Select(c => c.CommandText));
}
