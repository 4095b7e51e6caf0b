using System.Globalization;
using System.IO.Compression;
using System.Xml;
using MiniExcelLibs;
using MiniExcelLibs.OpenXml;

namespace EnrolmentCases.Infrastructure.Tables;

/// <summary>
/// The first sheet of an .xlsx workbook, read by MiniExcel after a bounded inspection of the package: the
/// declared sizes of its parts (a zip bomb is refused before anything is inflated), then the parts inflated
/// through a byte budget that holds whatever the sizes claimed, and the first sheet's last row and column
/// with content, which bound what MiniExcel is asked to read (a forged dimension of A1:XFD1048576 cannot
/// make it build sixteen thousand columns a row).
/// </summary>
public static class XlsxTables
{
    private const string RelationshipNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    private static readonly XmlReaderSettings Xml = new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreWhitespace = true };

    public static Table Read(byte[] bytes, TableLimits limits)
    {
        try
        {
            var (sheetName, lastRow, lastColumn) = Inspect(bytes, limits);
            if (lastRow == 0) return TableReader.Build(TableFormat.Xlsx, [], limits);
            var configuration = new OpenXmlConfiguration
            {
                // Shared strings stay in memory (bounded above): the disk cache would leave NIKs in temporary files.
                EnableSharedStringCache = false,
                IgnoreEmptyRows = false,
                FillMergedCells = false,
                EnableConvertByteArray = false
            };
            var records = new List<TableRow>();
            var rowNumber = 0;
            // Blank rows are yielded too (IgnoreEmptyRows = false), so a row's position is its number in the sheet.
            foreach (IDictionary<string, object?> row in MiniExcel.QueryRange(new MemoryStream(bytes), useHeaderRow: false, sheetName,
                         ExcelType.XLSX, startRowIndex: 1, startColumnIndex: 1, endRowIndex: lastRow, endColumnIndex: lastColumn,
                         configuration: configuration))
            {
                rowNumber++;
                var cells = row.Values.Select(Cell).ToList();
                var width = cells.FindLastIndex(c => c.Text.Length > 0) + 1;
                if (width == 0) continue;
                records.Add(new TableRow(rowNumber, cells));
            }

            // Spreadsheets do not tell an empty trailing cell from a missing one: rows are as wide as the header
            // or as their last non-empty cell, whichever is wider.
            var header = records.Count > 0 && records[0].Row == 1 ? records[0].Cells.ToList().FindLastIndex(c => c.Text.Length > 0) + 1 : 0;
            var trimmed = records.Select(r =>
                r with { Cells = r.Cells.Take(Math.Max(header, r.Cells.ToList().FindLastIndex(c => c.Text.Length > 0) + 1)).ToArray() }).ToList();
            return TableReader.Build(TableFormat.Xlsx, trimmed, limits);
        }
        catch (Exception e) when (e is not TableFormatException and not OperationCanceledException)
        {
            // A damaged package or sheet: MiniExcel and the XML reader fail in many ways, all of which mean the same to the sender.
            throw new TableFormatException("file", "is not a readable .xlsx workbook; open it in a spreadsheet, save it as " +
                                                   "Excel Workbook (.xlsx) or CSV, and send it again");
        }
    }

    /// <summary>The first sheet's name and its last row and column with content (0 when it has none), within the limits.</summary>
    private static (string SheetName, int LastRow, int LastColumn) Inspect(byte[] bytes, TableLimits limits)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        if (zip.Entries.Count > Inputs.MaxWorkbookParts)
            throw new TableFormatException("file", $"is a workbook of {zip.Entries.Count} parts; at most {Inputs.MaxWorkbookParts}");
        var declared = zip.Entries.Sum(e => e.Length);
        if (declared > limits.MaxUncompressedBytes)
            throw TooLarge(limits);

        var budget = new ByteBudget(limits.MaxUncompressedBytes, () => TooLarge(limits));
        var (sheetName, sheetPath) = FirstSheet(zip, budget);
        var sheet = zip.GetEntry(sheetPath) ?? throw new InvalidDataException("the first sheet's part is missing");
        var (lastRow, lastColumn) = Extent(sheet, budget);
        if (lastColumn > limits.MaxColumns)
            throw new TableFormatException("file", $"has content in column {lastColumn}; at most {limits.MaxColumns} columns");
        if (lastRow > limits.MaxRowNumber)
            throw new TableFormatException("file", $"has content in row {lastRow}; at most {limits.MaxRows} rows per file");

        // MiniExcel also reads the shared strings and styles: every other part is inflated once within the budget,
        // so that sizes the package lied about are caught here rather than inside MiniExcel.
        foreach (var entry in zip.Entries.Where(e => e.FullName != sheet.FullName))
        {
            using var part = budget.Open(entry);
            part.CopyTo(Stream.Null);
        }

        return (sheetName, lastRow, lastColumn);
    }

    private static TableFormatException TooLarge(TableLimits limits) =>
        new("file", $"expands to more than {limits.MaxUncompressedBytes / (1024 * 1024)} MB; a workbook this large is not a list this endpoint takes");

    private static (string Name, string Path) FirstSheet(ZipArchive zip, ByteBudget budget)
    {
        string? name = null, id = null;
        using (var reader = XmlReader.Create(budget.Open(zip.GetEntry("xl/workbook.xml") ?? throw new InvalidDataException("no workbook part")), Xml))
            while (reader.Read())
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "sheet")
                {
                    name = reader.GetAttribute("name");
                    id = reader.GetAttribute("id", RelationshipNs);
                    break;
                }

        if (name is null || id is null) throw new InvalidDataException("the workbook has no sheet");
        using (var reader = XmlReader.Create(budget.Open(zip.GetEntry("xl/_rels/workbook.xml.rels") ?? throw new InvalidDataException("no relationships")), Xml))
            while (reader.Read())
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Relationship" && reader.GetAttribute("Id") == id)
                {
                    var target = reader.GetAttribute("Target") ?? "";
                    return (name, target.StartsWith('/') ? target.TrimStart('/') : "xl/" + target);
                }

        throw new InvalidDataException("the first sheet has no part");
    }

    /// <summary>The last row and column that hold a value (a cell with a value or an inline string), 1-based.</summary>
    private static (int LastRow, int LastColumn) Extent(ZipArchiveEntry sheet, ByteBudget budget)
    {
        using var reader = XmlReader.Create(budget.Open(sheet), Xml);
        int row = 0, column = 0, lastRow = 0, lastColumn = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element) continue;
            switch (reader.LocalName)
            {
                case "row":
                    row = int.TryParse(reader.GetAttribute("r"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : row + 1;
                    column = 0;
                    break;
                case "c":
                    column = ColumnOf(reader.GetAttribute("r")) ?? column + 1;
                    break;
                case "v" or "is":
                    lastRow = Math.Max(lastRow, row);
                    lastColumn = Math.Max(lastColumn, column);
                    break;
            }
        }

        return (lastRow, lastColumn);
    }

    /// <summary>The 1-based column of a reference such as "AB12"; null when absent or malformed.</summary>
    private static int? ColumnOf(string? reference)
    {
        if (string.IsNullOrEmpty(reference)) return null;
        var column = 0;
        foreach (var c in reference)
        {
            if (c is >= 'A' and <= 'Z') column = column * 26 + (c - 'A' + 1);
            else if (c is >= 'a' and <= 'z') column = column * 26 + (c - 'a' + 1);
            else break;
            if (column > 16_384) return null;
        }

        return column == 0 ? null : column;
    }

    private static TableCell Cell(object? value) => value switch
    {
        null => TableCell.Empty,
        string s => new TableCell(s),
        double d => new TableCell(Number(d), IsNumber: true),
        DateTime t => new TableCell(t.TimeOfDay == TimeSpan.Zero
            ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)),
        TimeSpan s => new TableCell(s.ToString("c", CultureInfo.InvariantCulture)),
        bool b => new TableCell(b ? "TRUE" : "FALSE"),
        _ => new TableCell(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
    };

    /// <summary>A number as digits, never with an exponent where the value is exact: 1704021234567890, not 1.70402123456789E+15.</summary>
    public static string Number(double d)
    {
        if (double.IsFinite(d) && Math.Abs(d) < 1e21 && d == Math.Floor(d)) return d.ToString("F0", CultureInfo.InvariantCulture);
        var shortest = d.ToString("R", CultureInfo.InvariantCulture);
        if (!shortest.Contains('E')) return shortest;
        try
        {
            return ((decimal)d).ToString(CultureInfo.InvariantCulture);
        }
        catch (OverflowException)
        {
            return shortest;
        }
    }

    /// <summary>Bytes the package's parts may inflate to, together; reading past it throws.</summary>
    private sealed class ByteBudget(long bytes, Func<Exception> exceeded)
    {
        private readonly Func<Exception> _exceeded = exceeded;
        private long _left = bytes;

        public Stream Open(ZipArchiveEntry entry) => new Counting(entry.Open(), this);

        private sealed class Counting(Stream inner, ByteBudget budget) : Stream
        {
            public override int Read(byte[] buffer, int offset, int count)
            {
                var read = inner.Read(buffer, offset, count);
                budget._left -= read;
                if (budget._left < 0) throw budget._exceeded();
                return read;
            }

            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing) inner.Dispose();
                base.Dispose(disposing);
            }
        }
    }
}
