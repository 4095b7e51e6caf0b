using Marten.Schema;
using Npgsql;
using NpgsqlTypes;

namespace EnrolmentCases.Cases.GettingDetails;

/// <summary>
/// Writes case views into mt_doc_casedetails with one binary COPY, every column Marten duplicates from the view filled as
/// Marten fills it (ADR 0028): the import's bulk opening (ADR 0027) and the set-wise rebuild (ADR 0041) both write through it.
/// </summary>
public sealed class CaseDetailsCopy : IAsyncDisposable
{
    private readonly NpgsqlBinaryImporter _rows;
    private readonly IReadOnlyList<string> _columns;
    private readonly Marten.ISerializer _serializer;

    private CaseDetailsCopy(NpgsqlBinaryImporter rows, IReadOnlyList<string> columns, Marten.ISerializer serializer)
    {
        _rows = rows;
        _columns = columns;
        _serializer = serializer;
    }

    public long Written { get; private set; }

    /// <summary>Starts the COPY on the connection (inside the caller's transaction, if it has one).</summary>
    public static async Task<CaseDetailsCopy> StartAsync(NpgsqlConnection connection, StoreOptions options, CancellationToken ct)
    {
        var columns = DuplicatedColumns(options, typeof(CaseDetails), Columns);
        var rows = await connection.BeginBinaryImportAsync(
            $"copy {options.DatabaseSchemaName}.mt_doc_casedetails (id, data, mt_dotnet_type, mt_version, {string.Join(", ", columns)}) from stdin (format binary)", ct);
        return new CaseDetailsCopy(rows, columns, options.Serializer());
    }

    /// <summary>One view; its Version is the version of its stream's last event, as Marten's snapshot records it.</summary>
    public async Task WriteAsync(CaseDetails view, CancellationToken ct)
    {
        await _rows.StartRowAsync(ct);
        await _rows.WriteAsync(view.Id, NpgsqlDbType.Uuid, ct);
        await _rows.WriteAsync(_serializer.ToJson(view), NpgsqlDbType.Jsonb, ct);
        await _rows.WriteAsync(typeof(CaseDetails).FullName!, NpgsqlDbType.Varchar, ct);
        await _rows.WriteAsync(view.Version, NpgsqlDbType.Bigint, ct);
        foreach (var column in _columns) await WriteColumnAsync(_rows, Columns[column](view), ct);
        Written++;
    }

    public async Task CompleteAsync(CancellationToken ct) => await _rows.CompleteAsync(ct);

    public ValueTask DisposeAsync() => _rows.DisposeAsync();

    /// <summary>How each column Marten duplicates from a case's view is written (null values write null).</summary>
    private static readonly Dictionary<string, Func<CaseDetails, (object? Value, NpgsqlDbType Type)>> Columns = new()
    {
        ["regency_code"] = v => (v.RegencyCode, NpgsqlDbType.Varchar),
        ["opened_at"] = v => (v.OpenedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz),
        ["stage"] = v => (v.Stage.ToString(), NpgsqlDbType.Varchar),
        ["settled_through_index"] = v => (v.SettledThroughIndex, NpgsqlDbType.Integer),
        ["insurer_status"] = v => (v.InsurerStatus?.ToString(), NpgsqlDbType.Varchar),
        ["insurer_drifting"] = v => (v.InsurerDrifting, NpgsqlDbType.Boolean),
    };

    /// <summary>
    /// The columns Marten's mapping duplicates from a document, each of which the writer must know how to fill:
    /// a column added to the mapping but not to the writer fails loudly instead of leaving the column empty.
    /// </summary>
    public static IReadOnlyList<string> DuplicatedColumns<T>(StoreOptions options, Type documentType, IReadOnlyDictionary<string, T> known)
    {
        var mapping = (DocumentMapping)((IReadOnlyStoreOptions)options).FindOrResolveDocumentType(documentType);
        var columns = mapping.DuplicatedFields.Select(f => f.ColumnName).ToList();
        var unknown = columns.Where(c => !known.ContainsKey(c)).ToList();
        if (unknown.Count > 0)
            throw new InvalidOperationException(
                $"The bulk writer does not know how to fill the column(s) {string.Join(", ", unknown)} of {documentType.Name}.");
        return columns;
    }

    public static async Task WriteColumnAsync(NpgsqlBinaryImporter row, (object? Value, NpgsqlDbType Type) column, CancellationToken ct)
    {
        if (column.Value is null) await row.WriteNullAsync(ct);
        else await row.WriteAsync(column.Value, column.Type, ct);
    }
}
