using System.Data;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using MiniExcelLibs;
using MiniExcelLibs.Attributes;
using MiniExcelLibs.OpenXml;

namespace EnrolmentCases.Infrastructure.Tables;

/// <summary>One sheet of an export: its columns, its rows (one value per column), and the columns whose cells are Text-formatted.</summary>
public sealed record TableSheet(string Name, IReadOnlyList<string> Columns, IEnumerable<IReadOnlyList<object?>> Rows)
{
    /// <summary>Columns formatted as Text (Excel's "@"), so that digits typed into them later stay text.</summary>
    public IReadOnlySet<string> TextColumns { get; init; } = new HashSet<string>();

    /// <summary>Empty Text-formatted rows after the data, ready to be filled in (a template).</summary>
    public int BlankRows { get; init; }
}

/// <summary>
/// Every CSV and .xlsx the API hands out is written here, so that none can carry a formula (CSV injection):
/// in CSV a text value that begins with =, +, -, @, tab or CR gets a leading apostrophe, which spreadsheets
/// show and never evaluate (CSV has no cell types, so that is the only defence); in .xlsx text goes into
/// typed string cells, which a spreadsheet never evaluates, and no formula element is ever written, so the
/// text stays exactly as stored. Numbers stay numbers; dates, ids and enum values are written as text.
/// </summary>
public static partial class TableWriter
{
    public const string CsvContentType = "text/csv; charset=utf-8";
    public const string XlsxContentType = TableReader.XlsxContentType;

    /// <summary>Text a spreadsheet would take for a formula, made inert for CSV.</summary>
    public static string CsvText(string text) => text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + text : text;

    /// <summary>RFC 4180, CRLF line ends, quoted only where needed.</summary>
    public static byte[] Csv(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', columns.Select(c => Field(CsvText(c)))).Append("\r\n");
        foreach (var row in rows)
            csv.AppendJoin(',', row.Select(v => Value(v) switch
            {
                null => "",
                string s => Field(CsvText(s)),
                IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
                var other => Field(CsvText(other.ToString() ?? ""))
            })).Append("\r\n");
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    public static byte[] Xlsx(params TableSheet[] sheets)
    {
        var textColumns = sheets.SelectMany(s => s.TextColumns).Distinct().ToArray();
        var configuration = new OpenXmlConfiguration
        {
            DynamicColumns = textColumns.Select(c => new DynamicExcelColumn(c) { Format = "@", Width = 20 }).ToArray(),
            EnableWriteNullValueCell = true,
            EnableConvertByteArray = false,
            AutoFilter = true,
            FreezeRowCount = 1,
            TableStyles = TableStyles.None
        };
        var data = new Dictionary<string, object>();
        foreach (var sheet in sheets) data[sheet.Name] = Sheet(sheet);
        using var stream = new MemoryStream();
        stream.SaveAs(data, configuration: configuration);
        return textColumns.Length == 0 ? stream.ToArray() : TextFormattedColumns(stream.ToArray(), sheets);
    }

    /// <summary>
    /// MiniExcel formats the cells it writes; Excel applies a column's own style to the cells typed into it later. The
    /// Text columns' &lt;col&gt; elements get the style of the column's cells, so the whole column is Text.
    /// </summary>
    private static byte[] TextFormattedColumns(byte[] xlsx, TableSheet[] sheets)
    {
        using var stream = new MemoryStream();
        stream.Write(xlsx);
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Update, leaveOpen: true))
            for (var i = 0; i < sheets.Length; i++)
            {
                var entry = zip.GetEntry($"xl/worksheets/sheet{i + 1}.xml");
                if (entry is null) continue;
                string xml;
                using (var reader = new StreamReader(entry.Open())) xml = reader.ReadToEnd();
                foreach (var column in sheets[i].Columns.Select((name, index) => (name, index: index + 1)).Where(c => sheets[i].TextColumns.Contains(c.name)))
                {
                    var reference = ColumnName(column.index) + "2";
                    var style = Regex.Match(xml, $"<x:c r=\"{reference}\"[^>]* s=\"(\\d+)\"");
                    if (!style.Success) continue;
                    xml = Regex.Replace(xml, $"<x:col (?=[^>]*min=\"{column.index}\" max=\"{column.index}\")",
                        $"<x:col style=\"{style.Groups[1].Value}\" ");
                }

                entry.Delete();
                using var writer = new StreamWriter(zip.CreateEntry($"xl/worksheets/sheet{i + 1}.xml", CompressionLevel.Optimal).Open(), new UTF8Encoding(false));
                writer.Write(xml);
            }

        return stream.ToArray();
    }

    private static DataTable Sheet(TableSheet sheet)
    {
        var table = new DataTable(sheet.Name);
        foreach (var column in sheet.Columns) table.Columns.Add(column, typeof(object));
        foreach (var row in sheet.Rows)
            table.Rows.Add(row.Select((v, i) => sheet.TextColumns.Contains(sheet.Columns[i]) ? TextOf(v) : Value(v) ?? DBNull.Value).ToArray());
        for (var i = 0; i < sheet.BlankRows; i++)
            table.Rows.Add(sheet.Columns.Select(c => sheet.TextColumns.Contains(c) ? "" : (object)DBNull.Value).ToArray());
        return table;
    }

    private static object TextOf(object? value) => Value(value) switch
    {
        null => "",
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        var other => other.ToString() ?? ""
    };

    /// <summary>What a cell holds: numbers as numbers, everything else as the text the JSON API would show.</summary>
    private static object? Value(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        Enum e => WireName(e),
        Guid g => g.ToString(),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("O", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        byte or short or int or long or decimal or double or float => value,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)
    };

    private static string WireName(Enum value) =>
        value.GetType().GetField(value.ToString())?.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();

    private static string Field(string text) =>
        text.IndexOfAny([',', '"', '\r', '\n', ';']) >= 0 ? $"\"{text.Replace("\"", "\"\"")}\"" : text;

    private static string ColumnName(int index) => index <= 26 ? ((char)('A' + index - 1)).ToString() : ColumnName((index - 1) / 26) + (char)('A' + (index - 1) % 26);
}
