using System.Text;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Identifying;

namespace EnrolmentCases.Imports;

/// <summary>One data row of a worker list, as written (row is the spreadsheet row number: the header is row 1).</summary>
public sealed record CsvRow(int Row, string[] Fields);

public sealed record ParsedCsv(IReadOnlyList<string> Columns, IReadOnlyList<CsvRow> Rows, char Delimiter);

public sealed class CsvFormatException(IDictionary<string, string[]> errors) : Exception("The file is not a worker list this endpoint can read")
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>
/// Reads worker lists the way offices produce them: UTF-8 with or without a byte-order mark, comma or
/// semicolon separated (spreadsheets in Indonesian locales write semicolons), RFC 4180 quoting,
/// Windows or Unix line endings, blank lines ignored.
/// </summary>
public static class WorkerCsv
{
    public static readonly string[] Required = ["nik", "fullName", "regencyCode", "occupation", "source"];
    public static readonly string[] Optional = ["district", "village", "phone"];

    public static ParsedCsv Parse(string text, int maxRows)
    {
        var table = Table(text, maxRows);
        var columns = table.Columns;
        var errors = new List<string>();
        var known = Required.Concat(Optional).ToList();
        foreach (var column in columns.Where(c => !known.Contains(c, StringComparer.OrdinalIgnoreCase)))
            errors.Add($"unknown column '{column}'; the columns are {string.Join(",", known)}");
        foreach (var column in Required.Where(r => !columns.Contains(r, StringComparer.OrdinalIgnoreCase)))
            errors.Add($"missing column '{column}'");
        foreach (var repeated in columns.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"column '{repeated.Key}' appears twice");
        if (errors.Count > 0) throw new CsvFormatException(new Dictionary<string, string[]> { ["header"] = errors.ToArray() });
        return table;
    }

    /// <summary>Any CSV table the way offices write it: the header's columns (trimmed) and the non-blank rows, at most maxRows.</summary>
    public static ParsedCsv Table(string text, int maxRows)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var firstLineEnd = text.IndexOfAny(['\r', '\n']);
        var headerLine = firstLineEnd < 0 ? text : text[..firstLineEnd];
        var delimiter = headerLine.Count(c => c == ';') > headerLine.Count(c => c == ',') ? ';' : ',';

        var records = Records(text, delimiter).ToList();
        if (records.Count == 0 || records[0].Fields.All(string.IsNullOrWhiteSpace))
            throw new CsvFormatException(new Dictionary<string, string[]> { ["header"] = ["the file is empty; the first line must name the columns"] });

        var columns = records[0].Fields.Select(c => c.Trim()).ToList();
        var rows = records.Skip(1).Where(r => !r.Fields.All(string.IsNullOrWhiteSpace)).ToList();
        if (rows.Count > maxRows)
            throw new CsvFormatException(new Dictionary<string, string[]> { ["file"] = [$"has {rows.Count} rows; at most {maxRows} per file"] });
        return new ParsedCsv(columns, rows, delimiter);
    }

    /// <summary>
    /// The command a row stands for; cells are trimmed, a line break or tab inside a quoted cell (a
    /// spreadsheet's in-cell break) becomes a space, and empty optional cells are absent. Other
    /// control characters stay, for the input rules to refuse.
    /// </summary>
    public static IdentifyWorker ToCommand(ParsedCsv csv, CsvRow row, List<string> problems)
    {
        string? Cell(string column) => CellOf(csv.Columns, row, column);

        if (row.Fields.Length != csv.Columns.Count)
            problems.Add($"has {row.Fields.Length} cells where the header has {csv.Columns.Count}");

        WorkerSource? source = null;
        if (Cell("source") is { } text)
        {
            source = Enum.GetValues<WorkerSource>().Cast<WorkerSource?>().FirstOrDefault(s => Wire(s!.Value).Equals(text, StringComparison.OrdinalIgnoreCase));
            if (source is null) problems.Add($"source: '{text}' is not one of {string.Join(", ", Enum.GetValues<WorkerSource>().Select(Wire))}");
        }

        return new IdentifyWorker(Cell("nik"), Cell("fullName"), Cell("regencyCode"), Cell("occupation"), source,
            Cell("district"), Cell("village"), Cell("phone"));
    }

    /// <summary>A row's cell in a column, as the import reads it (trimmed, in-cell breaks as spaces; null when empty or absent).</summary>
    public static string? CellOf(IReadOnlyList<string> columns, CsvRow row, string column)
    {
        var index = columns.ToList().FindIndex(c => c.Equals(column, StringComparison.OrdinalIgnoreCase));
        if (index < 0 || index >= row.Fields.Length) return null;
        var value = string.Join(' ', row.Fields[index].Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Trim();
        return value.Length == 0 ? null : value;
    }

    private static readonly Dictionary<WorkerSource, string> WireNames = Enum.GetValues<WorkerSource>().ToDictionary(s => s,
        s => typeof(WorkerSource).GetField(s.ToString())!
            .GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute), false)
            .Cast<System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute>().Single().Name);

    private static string Wire(WorkerSource source) => WireNames[source];

    private static IEnumerable<CsvRow> Records(string text, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var inQuotes = false;
        var line = 1;
        var recordStart = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') inQuotes = false;
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0) inQuotes = true;
            else if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                fields.Add(field.ToString());
                field.Clear();
                yield return new CsvRow(recordStart, fields.ToArray());
                fields.Clear();
                line++;
                recordStart = line;
            }
            else field.Append(c);
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            yield return new CsvRow(recordStart, fields.ToArray());
        }
    }
}
