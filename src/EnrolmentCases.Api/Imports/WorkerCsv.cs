using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Infrastructure.Tables;

namespace EnrolmentCases.Imports;

/// <summary>One data row of a worker list, as written (row is the spreadsheet row number: the header is row 1).</summary>
public sealed record CsvRow(int Row, string[] Fields);

public sealed record ParsedCsv(IReadOnlyList<string> Columns, IReadOnlyList<CsvRow> Rows);

/// <summary>
/// A worker list's columns and rows, read from any table the upload was (Infrastructure/Tables): the
/// header must name the required columns, once each, and nothing else.
/// </summary>
public static class WorkerCsv
{
    public static readonly string[] Required = ["nik", "fullName", "regencyCode", "occupation", "source"];
    public static readonly string[] Optional = ["district", "village", "phone"];

    /// <summary>The list's rows; throws TableFormatException with the header's problems.</summary>
    public static ParsedCsv Parse(Table table)
    {
        var columns = table.Columns;
        var errors = new List<string>();
        var known = Required.Concat(Optional).ToList();
        foreach (var column in columns.Where(c => !known.Contains(c, StringComparer.OrdinalIgnoreCase)))
            errors.Add($"unknown column '{column}'; the columns are {string.Join(",", known)}");
        foreach (var column in Required.Where(r => !columns.Contains(r, StringComparer.OrdinalIgnoreCase)))
            errors.Add($"missing column '{column}'");
        foreach (var repeated in columns.GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"column '{repeated.Key}' appears twice");
        if (errors.Count > 0) throw new TableFormatException(new Dictionary<string, string[]> { ["header"] = errors.ToArray() });
        return new ParsedCsv(columns, table.Rows.Select(r => new CsvRow(r.Row, r.Cells.Select(c => c.Text).ToArray())).ToList());
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
}
