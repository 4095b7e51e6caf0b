using EnrolmentCases.Cases;
using EnrolmentCases.Cases.Identifying;
using System.Text.RegularExpressions;
using EnrolmentCases.Infrastructure.Tables;

namespace EnrolmentCases.Imports;

/// <summary>
/// One data row of a worker list, as written (Row is the spreadsheet's row number: the header is row 1), and which of
/// its cells the workbook stored as numbers (null when none, as in every CSV).
/// </summary>
public sealed record ListRow(int Row, string[] Fields, int[]? Numbers = null)
{
    public bool IsNumber(int index) => Numbers?.Contains(index) == true;
}

/// <summary>A worker list's columns (the API's names: aliases already resolved) and rows.</summary>
public sealed record ParsedList(IReadOnlyList<string> Columns, IReadOnlyList<ListRow> Rows);

/// <summary>
/// Worker lists read from any table the upload was (Infrastructure/Tables): the header must name the required
/// columns, once each, and nothing else; a row becomes the command that identifies one worker, with the damage a
/// spreadsheet does to long digit strings reported (a NIK) or undone where nothing was lost (a phone's leading 0,
/// a regency code's trailing 0).
/// </summary>
public static partial class WorkerList
{
    /// <summary>How to fix a list whose digits a spreadsheet turned into numbers.</summary>
    public const string TextColumnsFix =
        "format the column as Text and type or paste the digits again, or start from the template (GET /api/imports/template.xlsx)";

    /// <summary>The list's rows; throws TableFormatException with the header's problems.</summary>
    public static ParsedList Parse(Table table)
    {
        var found = table.Columns.Select(WorkerColumns.Find).ToList();
        var errors = new List<string>();
        var expected = string.Join(", ", WorkerColumns.All.Select(WorkerColumns.Described));
        foreach (var (header, column) in table.Columns.Zip(found).Where(x => x.Second is null))
            errors.Add($"unknown column '{header}'; the columns are {expected}");
        foreach (var column in WorkerColumns.All.Where(c => c.Required && !found.Contains(c)))
            errors.Add($"missing column '{WorkerColumns.Described(column)}'");
        foreach (var repeated in table.Columns.Zip(found).Where(x => x.Second is not null).GroupBy(x => x.Second!.Name).Where(g => g.Count() > 1))
            errors.Add($"column '{repeated.Key}' appears twice ({string.Join(", ", repeated.Select(x => x.First))})");
        if (errors.Count > 0) throw new TableFormatException(new Dictionary<string, string[]> { ["header"] = errors.ToArray() });

        var columns = found.Select(c => c!.Name).ToList();
        return new ParsedList(columns, table.Rows.Select(r =>
        {
            var numbers = r.Cells.Select((c, i) => (c, i)).Where(x => x.c.IsNumber).Select(x => x.i).ToArray();
            return new ListRow(r.Row, r.Cells.Select(c => c.Text).ToArray(), numbers.Length == 0 ? null : numbers);
        }).ToList());
    }

    /// <summary>
    /// The command a row stands for; cells are trimmed, a line break or tab inside a quoted cell (a
    /// spreadsheet's in-cell break) becomes a space, and empty optional cells are absent. Other
    /// control characters stay, for the input rules to refuse. A problem names its column first ("nik: ...").
    /// </summary>
    public static IdentifyWorker ToCommand(ParsedList csv, ListRow row, List<string> problems)
    {
        string? Cell(string column) => CellOf(csv.Columns, row, column);
        bool IsNumber(string column) => row.IsNumber(csv.Columns.ToList().FindIndex(c => c.Equals(column, StringComparison.OrdinalIgnoreCase)));

        if (row.Fields.Length != csv.Columns.Count)
            problems.Add($"has {row.Fields.Length} cells where the header has {csv.Columns.Count}");

        WorkerSource? source = null;
        if (Cell("source") is { } text)
        {
            source = Enum.GetValues<WorkerSource>().Cast<WorkerSource?>().FirstOrDefault(s => Wire(s!.Value).Equals(text, StringComparison.OrdinalIgnoreCase));
            if (source is null) problems.Add($"source: '{text}' is not one of {string.Join(", ", Enum.GetValues<WorkerSource>().Select(Wire))}");
        }

        var nik = Cell("nik");
        if (nik is not null && DigitIdentifiers.Mangling(new TableCell(nik, IsNumber("nik"))) is { } damage)
            problems.Add($"nik: {damage}; {TextColumnsFix}");

        return new IdentifyWorker(nik, Cell("fullName"), RegencyCode(Cell("regencyCode")), Cell("occupation"), source,
            Cell("district"), Cell("village"), Phone(Cell("phone"), IsNumber("phone"), problems));
    }

    /// <summary>
    /// Indonesian numbers are written with a leading 0 (08.. mobile, 0xx landline) or +62: digits that start with 8 are a
    /// mobile number whose 0 a spreadsheet dropped (a numeric cell, or a CSV saved from one), and get it back. Other
    /// digits in a numeric cell may have lost a 0 or a + that cannot be told apart: the row is refused with the fix.
    /// </summary>
    public static string? Phone(string? phone, bool isNumber, List<string> problems)
    {
        if (phone is null) return null;
        if (DigitIdentifiers.Mangling(new TableCell(phone)) is { } damage)
        {
            problems.Add($"phone: {damage}; {TextColumnsFix}");
            return phone;
        }

        if (MobileWithoutZero().IsMatch(phone)) return "0" + phone;
        if (isNumber) problems.Add($"phone: the spreadsheet stored it as a number, which drops a leading 0 or +; {TextColumnsFix}");
        return phone;
    }

    /// <summary>Regency codes are NN.NN: a numeric cell turns 17.10 into 17.1, whose trailing 0 is restored (nothing else can have been meant).</summary>
    public static string? RegencyCode(string? code) => code is not null && OneDecimal().IsMatch(code) ? code + "0" : code;

    [GeneratedRegex(@"^8\d{8,11}$")]
    private static partial Regex MobileWithoutZero();

    [GeneratedRegex(@"^\d{2}\.\d$")]
    private static partial Regex OneDecimal();

    /// <summary>A row's cell in a column, as the import reads it (trimmed, in-cell breaks as spaces; null when empty or absent).</summary>
    public static string? CellOf(IReadOnlyList<string> columns, ListRow row, string column)
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

    public static string Wire(WorkerSource source) => WireNames[source];
}
