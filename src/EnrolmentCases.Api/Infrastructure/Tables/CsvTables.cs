using System.Text;

namespace EnrolmentCases.Infrastructure.Tables;

/// <summary>
/// CSV the way offices produce it: a byte-order mark or none, comma or semicolon separated (spreadsheets
/// in Indonesian locales write semicolons; the header line decides), RFC 4180 quoting, Windows or Unix
/// line endings, blank lines ignored. A row's number is the line it starts on, as a spreadsheet numbers it.
/// CSV has no cell types: every cell is text.
/// </summary>
public static class CsvTables
{
    public static Table Read(string text, TableLimits limits)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var firstLineEnd = text.IndexOfAny(['\r', '\n']);
        var headerLine = firstLineEnd < 0 ? text : text[..firstLineEnd];
        var delimiter = headerLine.Count(c => c == ';') > headerLine.Count(c => c == ',') ? ';' : ',';
        return TableReader.Build(TableFormat.Csv, Records(text, delimiter).ToList(), limits);
    }

    private static IEnumerable<TableRow> Records(string text, char delimiter)
    {
        var fields = new List<TableCell>();
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
            else if (c == delimiter) { fields.Add(new TableCell(field.ToString())); field.Clear(); }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                fields.Add(new TableCell(field.ToString()));
                field.Clear();
                yield return new TableRow(recordStart, fields.ToArray());
                fields.Clear();
                line++;
                recordStart = line;
            }
            else field.Append(c);
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(new TableCell(field.ToString()));
            yield return new TableRow(recordStart, fields.ToArray());
        }
    }
}
