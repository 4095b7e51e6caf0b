using EnrolmentCases.Infrastructure;
using Npgsql;
using Wolverine;
using Wolverine.Runtime;

namespace EnrolmentCases.Imports;

/// <summary>
/// The end of an import whose chunk could not be written, even after its retries: the import is `failed` with
/// the reason, beside the chunk's message in Wolverine's dead letters. Replaying that message once the cause
/// is gone resumes the import where it stopped.
/// </summary>
public static class ImportFailure
{
    public static async ValueTask MarkFailedAsync(IWolverineRuntime runtime, IEnvelopeLifecycle lifecycle, Exception exception)
    {
        if (lifecycle.Envelope?.Message is not ProcessImportChunk message) return;

        await using var session = runtime.Services.GetRequiredService<IDocumentStore>().LightweightSession();
        var import = await session.LoadAsync<Import>(message.ImportId);
        if (import is null || import.Status is ImportStatus.Completed or ImportStatus.Failed) return;
        var chunk = await session.LoadAsync<ImportChunk>(ImportChunk.IdFor(message.ImportId, message.Index));

        import.Status = ImportStatus.Failed;
        import.Failure = Reason(import, chunk, message.Index, lifecycle.Envelope.Attempts, exception);
        import.FailedAt = runtime.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        session.Store(import);
        await session.SaveChangesAsync();
        runtime.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ImportFailure))
            .LogError(exception, "Import {ImportId} failed at chunk {Chunk}: {Failure}", import.Id, message.Index, import.Failure);
    }

    public static string Reason(Import import, ImportChunk? chunk, int index, int attempts, Exception exception)
    {
        var rows = chunk is { Rows.Count: > 0 } ? $"Rows {chunk.Rows[0].Row}-{chunk.Rows[^1].Row}" : $"Chunk {index + 1}";
        var tries = attempts > 1 ? $" after {attempts} attempts" : "";
        return $"{rows} of the file (chunk {index + 1} of {import.Chunks}) could not be imported{tries}: {Cause(exception)}. " +
               "The rows before them were imported, these and the rows after them were not. Once the cause is fixed, " +
               "import the file again (the workers already imported come back as duplicates).";
    }

    /// <summary>
    /// What users read: the SQLSTATE and a fixed text for its class, never the server's message, which can
    /// quote a row's values (22P02 `invalid input syntax for type ...: "..."`), nor an exception's message.
    /// The whole exception goes to the log.
    /// </summary>
    public static string Cause(Exception exception)
    {
        if (exception is JasperFx.DocumentAlreadyExistsException or AggregateException { InnerExceptions: [JasperFx.DocumentAlreadyExistsException, ..] })
            return "their workers kept being claimed by imports running at the same time";
        if (DatabaseFailures.Unwrapped(exception).OfType<PostgresException>().FirstOrDefault() is { } refused)
        {
            return DatabaseFailures.OfSqlState(refused.SqlState) == DatabaseFailure.None
                ? $"the database refused them (SQLSTATE {refused.SqlState}: {ClassOf(refused.SqlState)})"
                : $"the database was unavailable (SQLSTATE {refused.SqlState}: {ClassOf(refused.SqlState)})";
        }

        if (DatabaseFailures.IsTransient(exception)) return "the database could not be reached";
        return $"an unexpected error ({exception.GetType().Name}; the log has the details)";
    }

    /// <summary>The class of a SQLSTATE as PostgreSQL's error code appendix names it.</summary>
    private static string ClassOf(string sqlState) => sqlState[..Math.Min(2, sqlState.Length)] switch
    {
        "08" => "connection exception",
        "22" => "a value the database cannot store",
        "23" => "a constraint of the database rejected a row",
        "25" => "invalid transaction state",
        "40" => "transaction rolled back",
        "42" => "syntax error or access rule violation",
        "53" => "insufficient resources",
        "54" => "program limit exceeded",
        "55" => "object not in prerequisite state",
        "57" => "operator intervention",
        "58" => "system error",
        "XX" => "internal error",
        _ => "an error of the database"
    };
}

/// <summary>What a dead-lettered chunk records as its failure: the exception's type and its cause in fixed words (ImportFailure.Cause).</summary>
public sealed class ImportChunkFailedException(Exception exception)
    : Exception($"{exception.GetType().Name}: {ImportFailure.Cause(exception)}");
