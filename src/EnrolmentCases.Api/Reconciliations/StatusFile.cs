using EnrolmentCases.Cases;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Infrastructure.Tables;
using EnrolmentCases.Money;

namespace EnrolmentCases.Reconciliations;

/// <summary>
/// A row of the insurer's status file as uploaded (cells trimmed, empty ones null); Row is its spreadsheet row
/// number. Mangled says what a spreadsheet did to its KPJ or NIK cell, when it turned one into a number.
/// </summary>
public sealed record StatusLine(int Row, string? Kpj, string? Nik, string? Status, string? PaidThrough, string? ReportedOn,
    IReadOnlyList<string>? Mangled = null)
{
    /// <summary>The row with every cell blanked, as a lawful erasure leaves it.</summary>
    public StatusLine Blanked() => new(Row, null, null, null, null, null);
}

/// <summary>A row that passed the input rules.</summary>
public sealed record StatusRow(int Row, string Kpj, string Nik, MembershipStatus Status, YearMonth? PaidThrough, DateOnly ReportedOn);

/// <summary>The uploaded file: its name, the SHA-256 of its bytes as uploaded, and its rows.</summary>
public sealed record StatusFile(string Name, string Sha256, IReadOnlyList<StatusLine> Lines);

/// <summary>
/// Reads BPJS Ketenagakerjaan's status file, CSV or .xlsx (the first sheet), through the table reader
/// (Infrastructure/Tables): columns kpj, nik, status, paidThrough, reportedOn in any order and any case;
/// other columns are ignored and not kept. This class knows only what the columns mean.
/// </summary>
public static class StatusFiles
{
    public static readonly string[] Columns = ["kpj", "nik", "status", "paidThrough", "reportedOn"];

    /// <summary>The file's rows; throws TableFormatException when it cannot be read or its header is not acceptable.</summary>
    public static StatusFile Read(TableFile file, int maxRows)
    {
        var table = TableReader.Read(file, new TableLimits(maxRows));
        var columns = table.Columns;
        var errors = new List<string>();
        foreach (var column in Columns.Where(c => !columns.Contains(c, StringComparer.OrdinalIgnoreCase)))
            errors.Add($"missing column '{column}'; the columns are {string.Join(",", Columns)}");
        foreach (var repeated in columns.Where(c => Columns.Contains(c, StringComparer.OrdinalIgnoreCase))
                     .GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"column '{repeated.Key}' appears twice");
        if (errors.Count > 0) throw new TableFormatException(new Dictionary<string, string[]> { ["header"] = errors.ToArray() });

        var at = Columns.Select(name => columns.ToList().FindIndex(c => c.Equals(name, StringComparison.OrdinalIgnoreCase))).ToArray();
        TableCell CellAt(TableRow row, int i) => at[i] < row.Cells.Count ? row.Cells[at[i]] : TableCell.Empty;
        string? Text(TableRow row, int i) => CellAt(row, i).Text.Trim() is { Length: > 0 } value ? value : null;
        IReadOnlyList<string>? Mangled(TableRow row) =>
            new[] { (Name: "kpj", Cell: CellAt(row, 0)), (Name: "nik", Cell: CellAt(row, 1)) }
                .Select(c => DigitIdentifiers.Mangling(c.Cell) is { } what
                    ? $"{c.Name}: {what}; format the column as Text in the spreadsheet and type the digits again, or send the insurer's CSV"
                    : null)
                .OfType<string>().ToList() is { Count: > 0 } found ? found : null;
        var lines = table.Rows.Select(r => new StatusLine(r.Row, Text(r, 0), Text(r, 1), Text(r, 2), Text(r, 3), Text(r, 4), Mangled(r))).ToList();
        return new StatusFile(file.Name, file.Sha256, lines);
    }

    /// <summary>The row under the input rules: a problem per cell that breaks them.</summary>
    public static StatusRow? Parse(StatusLine line, IReadOnlyCollection<string> nikProvinceCodes, InputBounds bounds, List<string> problems)
    {
        problems.AddRange(line.Mangled ?? []);
        if (line.Kpj is null) problems.Add("kpj: is required");
        else if (line.Kpj.Length != 11 || !line.Kpj.All(char.IsAsciiDigit)) problems.Add("kpj: must be the 11-digit KPJ number");
        problems.AddRange(Nik.Problems(line.Nik, nikProvinceCodes).Select(p => $"nik: {p}"));

        MembershipStatus? status = line.Status?.ToLowerInvariant() switch
        {
            "active" => MembershipStatus.Active,
            "inactive" => MembershipStatus.Inactive,
            _ => null
        };
        if (status is null) problems.Add(line.Status is null ? "status: is required" : $"status: '{line.Status}' is not one of active, inactive");

        YearMonth? paidThrough = null;
        if (line.PaidThrough is not null)
        {
            if (YearMonth.TryParse(line.PaidThrough, out var month) && month.FirstDay >= bounds.Earliest && month.FirstDay <= bounds.Latest) paidThrough = month;
            else problems.Add($"paidThrough: must be a month YYYY-MM between {bounds.Earliest:yyyy-MM} and {bounds.Latest:yyyy-MM}, or empty");
        }

        DateOnly? reportedOn = null;
        if (line.ReportedOn is null) problems.Add("reportedOn: is required");
        else if (DateOnly.TryParseExact(line.ReportedOn, "yyyy-MM-dd", out var day) && day >= bounds.Earliest && day <= bounds.Latest) reportedOn = day;
        else problems.Add($"reportedOn: must be a date YYYY-MM-DD between {bounds.Earliest:yyyy-MM-dd} and {bounds.Latest:yyyy-MM-dd}");

        return problems.Count > 0 ? null : new StatusRow(line.Row, line.Kpj!, line.Nik!, status!.Value, paidThrough, reportedOn!.Value);
    }
}
