using System.Text;
using System.Text.RegularExpressions;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure.Tables;

namespace EnrolmentCases.Tests.Domain;

/// <summary>Exports never carry a formula, and the spreadsheet repairs a worker list may make without guessing.</summary>
public class TableWriting
{
    private static readonly string[] FormulaLike = ["=HYPERLINK(\"http://x\",\"y\")", "+62 812", "-1+2", "@SUM(A1)", "\tTAB", "\rCR", "plain"];

    [Fact]
    public void a_csv_cell_that_a_spreadsheet_would_evaluate_starts_with_an_apostrophe()
    {
        var csv = Encoding.UTF8.GetString(TableWriter.Csv(["text", "number"], FormulaLike.Select(t => (IReadOnlyList<object?>)[t, -5]).ToList()));
        var table = CsvTables.Read(csv, new TableLimits(100));
        Assert.Equal(FormulaLike.Select(t => t == "plain" ? t : "'" + t), table.Rows.Select(r => r.Cells[0].Text));
        Assert.All(table.Rows, r => Assert.Equal("-5", r.Cells[1].Text));
    }

    [Fact]
    public void an_xlsx_cell_is_a_typed_string_that_keeps_the_text_and_no_formula_is_written()
    {
        var xlsx = TableWriter.Xlsx(new TableSheet("s", ["text", "number"], FormulaLike.Select(t => (IReadOnlyList<object?>)[t, -5]).ToList()));
        var sheet = Workbooks.Part(xlsx, "xl/worksheets/sheet1.xml");
        Assert.DoesNotMatch(@"<(x:)?f[ >]", sheet);
        // Every cell of column A is a string cell; every cell of column B below the header a number.
        Assert.All(Regex.Matches(sheet, @"<x:c r=""A\d+""[^>]*>"), c => Assert.Contains("t=\"str\"", c.Value));
        Assert.All(Regex.Matches(sheet, @"<x:c r=""B([2-9]|\d\d)""[^>]*>"), c => Assert.DoesNotContain("t=\"str\"", c.Value));

        var table = XlsxTables.Read(xlsx, new TableLimits(100));
        Assert.Equal(FormulaLike.Select(t => t.Trim()), table.Rows.Select(r => r.Cells[0].Text.Trim()));
        Assert.All(table.Rows, r => Assert.Equal(new TableCell("-5", IsNumber: true), r.Cells[1]));
    }

    [Theory]
    [InlineData("81234567890", false, "081234567890", false)]
    [InlineData("81234567890", true, "081234567890", false)]
    [InlineData("081234567890", false, "081234567890", false)]
    [InlineData("+6281234567890", false, "+6281234567890", false)]
    [InlineData("21234567", true, "21234567", true)]
    [InlineData("8.12346E+11", false, "8.12346E+11", true)]
    public void a_phone_gets_back_the_zero_a_spreadsheet_dropped_or_is_explained(string cell, bool isNumber, string phone, bool refused)
    {
        var problems = new List<string>();
        Assert.Equal(phone, WorkerList.Phone(cell, isNumber, problems));
        Assert.Equal(refused, problems.Count > 0);
        Assert.All(problems, p => Assert.Contains("format the column as Text", p));
    }

    [Theory]
    [InlineData("17.1", "17.10")]
    [InlineData("17.04", "17.04")]
    [InlineData("1704", "1704")]
    public void a_regency_code_gets_back_its_trailing_zero(string cell, string code) => Assert.Equal(code, WorkerList.RegencyCode(cell));

    [Theory]
    [InlineData("NIK", "nik")]
    [InlineData("Nama", "fullName")]
    [InlineData("FULLNAME", "fullName")]
    [InlineData("Kode Wilayah", "regencyCode")]
    [InlineData("kode_kabupaten", "regencyCode")]
    [InlineData("No. HP", "phone")]
    [InlineData("Telepon", "phone")]
    [InlineData(" kelurahan ", "village")]
    [InlineData("alamat", null)]
    public void indonesian_headers_name_the_api_columns(string header, string? column) => Assert.Equal(column, WorkerColumns.Find(header)?.Name);
}
