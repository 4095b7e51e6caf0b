using System.Security.Cryptography;
using System.Text;

namespace EnrolmentCases.Infrastructure.Tables;

// Uploaded tables, format-neutral. A route that takes a list (workers, insurer status rows...) calls
// `TableReader.ReceiveAsync(request, fileName)` to get the uploaded file (a raw text/csv body, a raw .xlsx
// body, or the one file of a multipart form; .xlsx is recognised by content type, ZIP signature or file
// name) or a 415/400 problem to answer; then `TableReader.Read(file, limits)` turns it into a `Table`:
// the header's column names as written (trimmed, row 1) and the non-blank data rows, each with its row
// number as the spreadsheet shows it and one `TableCell` per column: its text and whether the workbook
// stored it as a number (a NIK or KPJ in a numeric cell has lost digits; `DigitIdentifiers.Mangling`
// says what happened). A file that cannot be read (corrupt, a zip bomb, too many rows or columns, NUL
// characters) throws `TableFormatException`, whose `Errors` go into a validation problem. The reader
// knows no feature: which columns a list must have, their aliases and what a cell means stay with the caller.

public enum TableFormat
{
    Csv,
    Xlsx
}

/// <summary>A cell as the file holds it: its text (numbers without exponent, dates as ISO 8601) and whether it was a number.</summary>
public readonly record struct TableCell(string Text, bool IsNumber = false)
{
    public static readonly TableCell Empty = new("");
}

/// <summary>One non-blank data row; Row is its number in the spreadsheet (the header is row 1).</summary>
public sealed record TableRow(int Row, IReadOnlyList<TableCell> Cells);

public sealed record Table(TableFormat Format, IReadOnlyList<string> Columns, IReadOnlyList<TableRow> Rows);

/// <summary>An uploaded file before it is read: its name, the format it was recognised as, its bytes and their SHA-256.</summary>
public sealed record TableFile(string Name, TableFormat Format, byte[] Bytes)
{
    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Bytes));
}

/// <summary>
/// What a route accepts. MaxRows counts data rows; MaxRowNumber bounds the sheet's last row number (blank rows
/// included); MaxUncompressedBytes bounds what a workbook may expand to (all its parts together).
/// </summary>
public sealed record TableLimits(int MaxRows, int MaxColumns = Inputs.MaxTableColumns, long MaxUncompressedBytes = Inputs.MaxWorkbookUncompressedBytes)
{
    public int MaxRowNumber => Math.Min(1_048_576, MaxRows * 2 + 1_000);
}

public sealed class TableFormatException(IDictionary<string, string[]> errors) : Exception("The file is not a table this endpoint can read")
{
    public IDictionary<string, string[]> Errors { get; } = errors;

    public TableFormatException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }
}

public static class TableReader
{
    public const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public const string CsvContentType = "text/csv";

    /// <summary>
    /// The uploaded file, or the problem to answer (415 for a body of another type, 400 for a form without a file).
    /// The request's size limit is the route's (RequestSizeLimit).
    /// </summary>
    public static async Task<(TableFile? File, ProblemDetails? Problem)> ReceiveAsync(HttpRequest request, string? fileName)
    {
        var ct = request.HttpContext.RequestAborted;
        var type = request.ContentType ?? "";
        if (type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var form = await request.ReadFormAsync(ct);
            var file = form.Files.FirstOrDefault();
            if (file is null) return (null, Problems.ValidationFailed("file", "the form must carry the list as a file"));
            var bytes = await ReadAllAsync(file.OpenReadStream(), ct);
            var name = fileName ?? file.FileName;
            return (new TableFile(name, Recognise(bytes, file.ContentType, name), bytes), null);
        }

        if (Is(type, XlsxContentType) || Is(type, "text/csv") || Is(type, "text/plain") || Is(type, "application/csv") ||
            Is(type, "application/octet-stream"))
        {
            var bytes = await ReadAllAsync(request.Body, ct);
            var format = Recognise(bytes, type, fileName);
            return (new TableFile(fileName ?? (format == TableFormat.Xlsx ? "upload.xlsx" : "upload.csv"), format, bytes), null);
        }

        return (null, Problems.Create(Problems.UnsupportedMediaType, 415, "Unsupported media type",
            $"Send the list as text/csv, as an .xlsx workbook ({XlsxContentType}), or as a file in multipart/form-data."));
    }

    /// <summary>The file's table; throws TableFormatException when it cannot be read or is out of bounds.</summary>
    public static Table Read(TableFile file, TableLimits limits)
    {
        if (file.Bytes.AsSpan().StartsWith(LegacyWorkbookSignature))
            throw new TableFormatException("file", "is an old Excel 97-2003 workbook (.xls); save it as Excel Workbook (.xlsx) or CSV and send it again");
        return file.Format == TableFormat.Xlsx ? XlsxTables.Read(file.Bytes, limits) : CsvTables.Read(DecodeText(file.Bytes), limits);
    }

    /// <summary>The OLE compound file that .xls workbooks are.</summary>
    private static ReadOnlySpan<byte> LegacyWorkbookSignature => [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    /// <summary>UTF-8 (a byte-order mark, UTF-8 or UTF-16, is honoured and dropped), as offices' CSV files come.</summary>
    public static string DecodeText(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>.xlsx by its ZIP signature first (a workbook sent as text/csv is still a workbook), then by type or name.</summary>
    public static TableFormat Recognise(byte[] bytes, string? contentType, string? fileName)
    {
        if (bytes.Length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4) return TableFormat.Xlsx;
        if (Is(contentType ?? "", XlsxContentType)) return TableFormat.Xlsx;
        if (fileName?.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase) == true) return TableFormat.Xlsx;
        return TableFormat.Csv;
    }

    /// <summary>Drops the leading header row and blank rows, and refuses too many rows, the same for every format.</summary>
    internal static Table Build(TableFormat format, List<TableRow> records, TableLimits limits)
    {
        if (records.Any(r => r.Cells.Any(c => c.Text.Contains('\0'))))
            // PostgreSQL cannot store NUL in text or jsonb: such a file is refused whole.
            throw new TableFormatException("file", "must not contain NUL characters");
        if (records.Count == 0 || records[0].Row != 1 || records[0].Cells.All(c => string.IsNullOrWhiteSpace(c.Text)))
            throw new TableFormatException("header", "the file is empty or its first row is blank; the first row must name the columns");
        var columns = records[0].Cells.Select(c => c.Text.Trim()).ToList();
        if (columns.Count > limits.MaxColumns)
            throw new TableFormatException("file", $"has {columns.Count} columns; at most {limits.MaxColumns}");
        var rows = records.Skip(1).Where(r => !r.Cells.All(c => string.IsNullOrWhiteSpace(c.Text))).ToList();
        if (rows.Count > limits.MaxRows)
            throw new TableFormatException("file", $"has {rows.Count} rows; at most {limits.MaxRows} per file");
        return new Table(format, columns, rows);
    }

    private static bool Is(string type, string expected) => type.StartsWith(expected, StringComparison.OrdinalIgnoreCase);

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
