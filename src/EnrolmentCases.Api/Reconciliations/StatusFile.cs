using System.Security.Cryptography;
using System.Text;
using EnrolmentCases.Cases;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;

namespace EnrolmentCases.Reconciliations;

/// <summary>A row of the insurer's status file as uploaded (cells trimmed, empty ones null); Row is its spreadsheet row number.</summary>
public sealed record StatusLine(int Row, string? Kpj, string? Nik, string? Status, string? PaidThrough, string? ReportedOn)
{
    /// <summary>The row with every cell blanked, as a lawful erasure leaves it.</summary>
    public StatusLine Blanked() => new(Row, null, null, null, null, null);
}

/// <summary>A row that passed the input rules.</summary>
public sealed record StatusRow(int Row, string Kpj, string Nik, MembershipStatus Status, YearMonth? PaidThrough, DateOnly ReportedOn);

/// <summary>The uploaded file: its name, the SHA-256 of its bytes, and its rows.</summary>
public sealed record StatusFile(string Name, string Sha256, IReadOnlyList<StatusLine> Lines);

public sealed class StatusFileException(IDictionary<string, string[]> errors) : Exception("The file is not an insurer status file")
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>
/// Reads BPJS Ketenagakerjaan's status file: columns kpj, nik, status, paidThrough, reportedOn (any order,
/// any case; other columns are ignored and not kept). The format is the table reader's business (ReadTable):
/// this class knows only what the columns mean.
/// </summary>
public static class StatusFiles
{
    public static readonly string[] Columns = ["kpj", "nik", "status", "paidThrough", "reportedOn"];

    /// <summary>The uploaded file's bytes and name, or the problem to answer (415, or 400 for a form without a file).</summary>
    public static async Task<(byte[]? Bytes, string? Name, ProblemDetails? Problem)> ReceiveAsync(HttpRequest request, string? fileName)
    {
        var type = request.ContentType ?? "";
        var ct = request.HttpContext.RequestAborted;
        using var buffer = new MemoryStream();
        if (type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var form = await request.ReadFormAsync(ct);
            if (form.Files.FirstOrDefault() is not { } file)
                return (null, null, Problems.ValidationFailed("file", "the form must carry the status file as a file"));
            await file.OpenReadStream().CopyToAsync(buffer, ct);
            return (buffer.ToArray(), fileName ?? file.FileName, null);
        }

        if (type.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase) ||
            type.StartsWith("application/csv", StringComparison.OrdinalIgnoreCase))
        {
            await request.Body.CopyToAsync(buffer, ct);
            return (buffer.ToArray(), fileName ?? "status.csv", null);
        }

        return (null, null, Problems.Create(Problems.UnsupportedMediaType, 415, "Unsupported media type",
            "Send the status file as text/csv, or as a file in multipart/form-data."));
    }

    /// <summary>The file's rows; throws StatusFileException when its header or size is not acceptable.</summary>
    public static StatusFile Read(byte[] bytes, string name, int maxRows)
    {
        var (columns, rows) = ReadTable(bytes, maxRows);
        var errors = new List<string>();
        foreach (var column in Columns.Where(c => !columns.Contains(c, StringComparer.OrdinalIgnoreCase)))
            errors.Add($"missing column '{column}'; the columns are {string.Join(",", Columns)}");
        foreach (var repeated in columns.Where(c => Columns.Contains(c, StringComparer.OrdinalIgnoreCase))
                     .GroupBy(c => c, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"column '{repeated.Key}' appears twice");
        if (errors.Count > 0) throw new StatusFileException(new Dictionary<string, string[]> { ["header"] = errors.ToArray() });

        int At(string column) => columns.ToList().FindIndex(c => c.Equals(column, StringComparison.OrdinalIgnoreCase));
        var at = Columns.Select(At).ToArray();
        string? Cell(string[] cells, int i) => at[i] < cells.Length && cells[at[i]].Trim() is { Length: > 0 } value ? value : null;
        var lines = rows.Select(r => new StatusLine(r.Row, Cell(r.Fields, 0), Cell(r.Fields, 1), Cell(r.Fields, 2), Cell(r.Fields, 3), Cell(r.Fields, 4)))
            .ToList();
        return new StatusFile(name, Convert.ToHexStringLower(SHA256.HashData(bytes)), lines);
    }

    /// <summary>The seam to the table reader: the header's columns and the non-blank data rows.</summary>
    private static (IReadOnlyList<string> Columns, IReadOnlyList<CsvRow> Rows) ReadTable(byte[] bytes, int maxRows)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var text = reader.ReadToEnd();
        if (text.Contains('\0')) throw new StatusFileException(new Dictionary<string, string[]> { ["file"] = ["must not contain NUL characters"] });
        try
        {
            var csv = WorkerCsv.Table(text, maxRows);
            return (csv.Columns, csv.Rows);
        }
        catch (CsvFormatException e)
        {
            throw new StatusFileException(e.Errors);
        }
    }

    /// <summary>The row under the input rules: a problem per cell that breaks them.</summary>
    public static StatusRow? Parse(StatusLine line, IReadOnlyCollection<string> nikProvinceCodes, InputBounds bounds, List<string> problems)
    {
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
