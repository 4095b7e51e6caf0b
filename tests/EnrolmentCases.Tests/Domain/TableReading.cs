using System.Text;
using EnrolmentCases.Infrastructure.Tables;

namespace EnrolmentCases.Tests.Domain;

/// <summary>The format-neutral table reader: what callers get from CSV and .xlsx files, and what it refuses.</summary>
public class TableReading
{
    private static readonly TableLimits Limits = new(MaxRows: 100, MaxColumns: 10, MaxUncompressedBytes: 4 * 1024 * 1024);

    private static Table Csv(string text) => TableReader.Read(new TableFile("list.csv", TableFormat.Csv, Encoding.UTF8.GetBytes(text)), Limits);
    private static Table Xlsx(byte[] bytes) => TableReader.Read(new TableFile("list.xlsx", TableReader.Recognise(bytes, null, null), bytes), Limits);

    [Fact]
    public void csv_keeps_its_quoting_semicolons_and_row_numbers()
    {
        var table = Csv("\uFEFFnik;name\r\n1;\"a;b\"\r\n\r\n2;\"line\nbreak\"\r\n3;x");
        Assert.Equal(["nik", "name"], table.Columns);
        Assert.Equal([2, 4, 6], table.Rows.Select(r => r.Row));
        Assert.Equal("a;b", table.Rows[0].Cells[1].Text);
        Assert.All(table.Rows.SelectMany(r => r.Cells), c => Assert.False(c.IsNumber));
    }

    [Fact]
    public void xlsx_cells_keep_their_text_and_whether_they_were_numbers()
    {
        var bytes = Workbooks.Xlsx(
            ["nik", "amount", "day", "note"],
            ["1704021234567890", 1704021234567890L, new DateTime(2026, 3, 31), "x"],
            [null, null, null, null],
            [1.70402e15, 0.5, new DateTime(2026, 3, 31, 8, 30, 0), null],
            [null, 1e-7, null, null]);
        var table = Xlsx(bytes);

        Assert.Equal(TableFormat.Xlsx, table.Format);
        Assert.Equal(["nik", "amount", "day", "note"], table.Columns);
        Assert.Equal([2, 4, 5], table.Rows.Select(r => r.Row));
        Assert.Equal(new TableCell("1704021234567890"), table.Rows[0].Cells[0]);
        Assert.Equal(new TableCell("1704021234567890", IsNumber: true), table.Rows[0].Cells[1]);
        Assert.Equal("2026-03-31", table.Rows[0].Cells[2].Text);
        Assert.Equal(new TableCell("1704020000000000", IsNumber: true), table.Rows[1].Cells[0]);
        Assert.Equal("0.5", table.Rows[1].Cells[1].Text);
        Assert.Equal("2026-03-31T08:30:00", table.Rows[1].Cells[2].Text);
        Assert.Equal("0.0000001", table.Rows[2].Cells[1].Text);
        Assert.Equal(4, table.Rows[2].Cells.Count);
    }

    [Fact]
    public void a_workbook_is_recognised_by_its_signature_whatever_it_is_called()
    {
        var bytes = Workbooks.Xlsx(["a"], ["b"]);
        Assert.Equal(TableFormat.Xlsx, TableReader.Recognise(bytes, "text/csv", "list.csv"));
        Assert.Equal(TableFormat.Csv, TableReader.Recognise("a,b"u8.ToArray(), "text/csv", "list.csv"));
        Assert.Equal(TableFormat.Xlsx, TableReader.Recognise("a,b"u8.ToArray(), null, "LIST.XLSX"));
    }

    [Fact]
    public void corrupt_and_legacy_workbooks_are_refused_with_a_reason()
    {
        var whole = Workbooks.Xlsx(["a"], ["b"]);
        var cut = whole[..(whole.Length / 2)];
        Assert.Contains("not a readable .xlsx", Refusal(() => Xlsx(cut)));
        var garbled = whole.ToArray();
        for (var i = 200; i < garbled.Length - 200; i += 7) garbled[i] ^= 0x5A;
        Assert.Contains("not a readable .xlsx", Refusal(() => Xlsx(garbled)));
        byte[] xls = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        Assert.Contains(".xls", Refusal(() => TableReader.Read(new TableFile("old.xls", TableFormat.Csv, xls), Limits)));
    }

    [Fact]
    public void a_workbook_that_inflates_past_the_limit_is_refused_before_it_is_read()
    {
        var bomb = Workbooks.WithPart(Workbooks.Xlsx(["a"], ["b"]), "xl/media/zeros.bin", part =>
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 5; i++) part.Write(zeros);
        });
        Assert.True(bomb.Length < 100_000, $"the bomb is {bomb.Length} bytes");
        Assert.Contains("expands to more than 4 MB", Refusal(() => Xlsx(bomb)));
    }

    [Fact]
    public void a_part_whose_directory_understates_its_size_inflates_no_further_than_declared()
    {
        var bomb = Workbooks.WithPart(Workbooks.Xlsx(["a"], ["b"]), "xl/media/zeros.bin", part =>
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 5; i++) part.Write(zeros);
        });
        Assert.Contains("expands to more than 4 MB", Refusal(() => Xlsx(bomb)));

        // Declared as 100 bytes: the ZIP reader stops at the declared size (and the byte budget would stop it past
        // the limit), so the 5 MB behind it are never inflated and the sheet reads as it is.
        var lying = Workbooks.Understating(bomb, "xl/media/zeros.bin", 100);
        using (var zip = new System.IO.Compression.ZipArchive(new MemoryStream(lying)))
        using (var part = zip.GetEntry("xl/media/zeros.bin")!.Open())
            Assert.True(CountBytes(part) <= 100);
        var table = Xlsx(lying);
        Assert.Equal(["a"], table.Columns);
        Assert.Equal("b", table.Rows.Single().Cells[0].Text);
    }

    [Fact]
    public void too_many_rows_or_columns_are_refused()
    {
        var wide = Workbooks.Xlsx(Enumerable.Range(0, 11).Select(i => (object?)$"c{i}").ToArray(), ["x"]);
        Assert.Contains("at most 10 columns", Refusal(() => Xlsx(wide)));
        var tall = Workbooks.Xlsx([.. Enumerable.Range(0, 102).Select(i => new object?[] { $"r{i}" })]);
        Assert.Contains("at most 100 per file", Refusal(() => Xlsx(tall)));
        Assert.Contains("at most 100 per file", Refusal(() => Csv("a\n" + string.Concat(Enumerable.Range(0, 101).Select(i => $"{i}\n")))));
    }

    [Fact]
    public void an_empty_first_row_or_nul_characters_are_refused()
    {
        Assert.Contains("first row", Refusal(() => Xlsx(Workbooks.Xlsx([null], ["a"]))));
        Assert.Contains("first row", Refusal(() => Csv("")));
        Assert.Contains("NUL", Refusal(() => Csv("a\nb\0")));
    }

    [Theory]
    [InlineData("1.70402E+15", false, "scientific notation")]
    [InlineData("1,70402E+15", false, "scientific notation")]
    [InlineData("1704021234567890", true, "stored by the spreadsheet as a number")]
    [InlineData("1704021234567890.0", false, "decimal part")]
    [InlineData("1704021234567890", false, null)]
    [InlineData("17040212345678", false, null)]
    public void a_digit_identifier_that_became_a_number_says_what_happened(string text, bool isNumber, string? expected)
    {
        var mangling = DigitIdentifiers.Mangling(new TableCell(text, isNumber));
        if (expected is null) Assert.Null(mangling);
        else Assert.Contains(expected, mangling);
    }

    private static long CountBytes(Stream stream)
    {
        var buffer = new byte[81920];
        long total = 0;
        for (int read; (read = stream.Read(buffer)) > 0;) total += read;
        return total;
    }

    private static string Refusal(Action read) => string.Join(" ", Assert.Throws<TableFormatException>(read).Errors.SelectMany(e => e.Value));
}
