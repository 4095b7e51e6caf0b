using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Alba;
using EnrolmentCases.Budgets;
using EnrolmentCases.Coverage;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure.Tables;
using Marten;

namespace EnrolmentCases.Tests.Api;

/// <summary>Worker lists as regency offices keep them (Excel workbooks, Indonesian headers), and the workbooks the API hands out.</summary>
[Collection(ApiCollection.Name)]
public class Spreadsheets(ApiFixture api)
{
    // Rejang Lebong (17.02), as in Imports: no test counts its cases.
    private readonly string _rejang = api.Token("caseworker", "17.02");
    private static readonly object?[] IndonesianHeader = ["NIK", "Nama", "Kode_Wilayah", "Kecamatan", "Desa", "Pekerjaan", "No HP", "Sumber"];

    private async Task<Guid> Upload(byte[] xlsx, string token, string contentType = TableReader.XlsxContentType)
    {
        using var client = api.Host.Client(token);
        var body = new ByteArrayContent(xlsx);
        body.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var response = await client.PostAsync("/api/imports?fileName=daftar.xlsx", body);
        Assert.Equal(202, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ImportAccepted>())!.Id;
    }

    private async Task<byte[]> Download(string url, string token, string contentType)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url(url);
            s.WithBearerToken(token);
            s.StatusCodeShouldBeOk();
            s.ContentTypeShouldBe(contentType);
        });
        await using var stream = new MemoryStream();
        await result.Context.Response.Body.CopyToAsync(stream);
        return stream.ToArray();
    }

    private static Table Read(byte[] bytes, TableFormat format) => TableReader.Read(new TableFile("f", format, bytes), new TableLimits(10_000));

    private static IEnumerable<string[]> Texts(Table table) => table.Rows.Select(r => r.Cells.Select(c => c.Text).ToArray());

    [Fact]
    public async Task an_excel_list_with_indonesian_headers_opens_cases_and_explains_every_nik_excel_turned_into_a_number()
    {
        var good = Niks.Next("1702");
        var numeric = Niks.Next("1702");
        var xlsx = Workbooks.Xlsx(
            IndonesianHeader,
            // Digits typed into a Text column; the regency code and the phone typed as numbers (the phone loses its 0).
            [good, "Dewi Lestari", 17.02, "Curup", "Air Meles", "petani kopi", 81234567890L, "DTSEN"],
            // Typed into a General column: Excel stores a number. All 16 digits happen to survive (below 2^53), but a
            // 16-digit number in a sheet can never be trusted, so the row is refused, not guessed at.
            [long.Parse(numeric), "Budi", "17.02", null, null, "nelayan", null, "P3KE"],
            [null, null, null, null, null, null, null, null],
            // Saved or pasted as text after Excel displayed it.
            ["1.70402E+15", "Sari", "17.02", null, null, "pedagang", null, "FIELD"],
            // A landline whose 0 Excel dropped: no rule can tell what was lost.
            [Niks.Next("1702"), "Rina", "17.02", null, null, "penjahit", 21234567L, "FIELD"]);

        var view = await api.Host.FinishedImport(_rejang, await Upload(xlsx, _rejang));
        Assert.Equal([2, 3, 5, 6], view.Rows.Select(r => r.Row));
        Assert.Equal((1, 0, 3), (view.Counts.Created, view.Counts.Duplicate, view.Counts.Invalid));
        var rows = view.Rows.ToDictionary(r => r.Row);

        var created = await api.Host.GetCase(_rejang, rows[2].CaseId!.Value);
        Assert.Equal((good, "17.02", "081234567890"), (created.Nik, created.RegencyCode, created.Phone));

        var stored = Assert.Single(rows[3].Reasons!);
        Assert.StartsWith("nik: was stored by the spreadsheet as a number", stored);
        Assert.Contains("format the column as Text", stored);
        Assert.Contains("/api/imports/template.xlsx", stored);
        Assert.DoesNotContain(numeric, stored);
        var scientific = Assert.Single(rows[5].Reasons!);
        Assert.StartsWith("nik: is in scientific notation", scientific);
        Assert.StartsWith("phone: the spreadsheet stored it as a number", Assert.Single(rows[6].Reasons!));

        await using var session = api.Store.QuerySession();
        Assert.Equal(["nik", "fullName", "regencyCode", "district", "village", "occupation", "phone", "source"],
            (await session.LoadAsync<Import>(view.Id))!.Columns);
    }

    [Fact]
    public async Task csv_headers_may_be_indonesian_in_any_case_and_a_csv_saved_by_excel_is_explained_too()
    {
        var nik = Niks.Next("1702");
        var csv = "NIK;NAMA;kode_kabupaten;Kecamatan;Kelurahan;PEKERJAAN;telepon;sumber\r\n" +
                  $"{nik};Wati;17.02;Curup;Talang Rimbo;petani;81299990000;VILLAGE_LIST\r\n" +
                  "1,70402E+15;Ani;17.02;;;petani;;VILLAGE_LIST\r\n";
        var view = await api.Host.FinishedImport(_rejang, await api.Host.StartImport(_rejang, csv));
        var rows = view.Rows.ToDictionary(r => r.Row);
        Assert.Equal(RowOutcome.Created, rows[2].Outcome);
        Assert.Equal("081299990000", (await api.Host.GetCase(_rejang, rows[2].CaseId!.Value)).Phone);
        Assert.StartsWith("nik: is in scientific notation", Assert.Single(rows[3].Reasons!));
    }

    [Fact]
    public async Task a_header_naming_one_column_twice_or_an_unknown_one_is_refused_with_the_accepted_names()
    {
        using var client = api.Host.Client(_rejang);
        var response = await client.PostAsync("/api/imports", new StringContent("nik,nama,fullName,kode_wilayah,pekerjaan,sumber,alamat\r\n", Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("column 'fullName' appears twice (nama, fullName)", text);
        Assert.Contains("unknown column 'alamat'", text);
        Assert.Contains("occupation (or pekerjaan)", text);
    }

    [Fact]
    public async Task the_template_formats_nik_regency_and_phone_as_text_and_lists_the_allowed_values()
    {
        var xlsx = await Download("/api/imports/template.xlsx", _rejang, TableWriter.XlsxContentType);

        // styles.xml declares the Text format (@) and a cell style using it; the sheet's NIK, regency code and phone
        // columns use that style, for the prepared cells and for the whole column.
        var styles = Workbooks.Part(xlsx, "xl/styles.xml");
        var format = Regex.Match(styles, @"<(?:x:)?numFmt numFmtId=""(\d+)"" formatCode=""@""").Groups[1].Value;
        Assert.NotEmpty(format);
        var xfs = Regex.Matches(Regex.Match(styles, @"<(?:x:)?cellXfs[^>]*>(.*?)</(?:x:)?cellXfs>", RegexOptions.Singleline).Groups[1].Value, @"<(?:x:)?xf [^>]*>")
            .Select(m => m.Value).ToList();
        var sheet = Workbooks.Part(xlsx, "xl/worksheets/sheet1.xml");
        foreach (var (column, index) in new[] { ("A", 1), ("C", 3), ("G", 7) })
        {
            var style = int.Parse(Regex.Match(sheet, $@"<x:c r=""{column}2""[^>]* s=""(\d+)""").Groups[1].Value);
            Assert.Contains($"numFmtId=\"{format}\"", xfs[style]);
            Assert.Matches($@"<x:c r=""{column}1000""[^>]* s=""{style}""", sheet);
            Assert.Matches($@"<x:col style=""{style}"" [^>]*min=""{index}"" max=""{index}""", sheet);
        }

        Assert.DoesNotMatch($@"<x:c r=""B2""[^>]* s=""{int.Parse(Regex.Match(sheet, @"<x:c r=""A2""[^>]* s=""(\d+)""").Groups[1].Value)}""", sheet);

        var list = Read(xlsx, TableFormat.Xlsx);
        Assert.Equal(WorkerColumns.All.Select(c => c.Name), list.Columns);
        Assert.Empty(list.Rows);
        var instructions = Workbooks.Part(xlsx, "xl/worksheets/sheet2.xml");
        Assert.Contains("P3KE, DTSEN, VILLAGE_LIST, PARTNER_LIST, FIELD", instructions);
        Assert.Contains("17.04 Kabupaten Kaur", instructions);
        Assert.Contains("kode_wilayah, kode_kabupaten", instructions);

        // The template as downloaded is an empty list: its prepared rows are not rows.
        var view = await api.Host.FinishedImport(_rejang, await Upload(xlsx, _rejang));
        Assert.Equal((0, ImportStatus.Completed), (view.Total, view.Status));
    }

    [Fact]
    public async Task outcomes_download_as_xlsx_with_the_csv_columns_and_rows_and_the_same_readers()
    {
        var csv = string.Join("\n", "nik,fullName,regencyCode,occupation,source", $"{Niks.Next("1702")},Tono,17.02,petani,FIELD",
            "12345,Tini,17.02,petani,FIELD", $"{Niks.Next("1702")},Toni,17.02,petani,RUMOUR");
        var id = await api.Host.StartImport(_rejang, csv);
        await api.Host.FinishedImport(_rejang, id);

        var fromCsv = Read(await Download($"/api/imports/{id}/outcomes.csv", _rejang, TableWriter.CsvContentType), TableFormat.Csv);
        var xlsx = await Download($"/api/imports/{id}/outcomes.xlsx", _rejang, TableWriter.XlsxContentType);
        var fromXlsx = Read(xlsx, TableFormat.Xlsx);
        Assert.Equal(["row", "outcome", "caseId", "reasons"], fromXlsx.Columns);
        Assert.Equal(fromCsv.Columns, fromXlsx.Columns);
        Assert.Equal(Texts(fromCsv), Texts(fromXlsx));
        Assert.Equal([2, 3, 4], fromXlsx.Rows.Select(r => r.Row));
        Assert.All(fromXlsx.Rows, r => Assert.True(r.Cells[0].IsNumber));

        var sheet = Workbooks.Part(xlsx, "xl/worksheets/sheet1.xml");
        Assert.DoesNotMatch(@"<(x:)?f[ >]", sheet);
        // Every text cell with a value (outcome, case id, reasons) is a typed string cell.
        var texts = Regex.Matches(sheet, @"<x:c r=""[BCD]\d+""([^>]*)><x:v>[^<]").ToList();
        Assert.Equal(3 + 2 + 2 + 2, texts.Count); // the header; created: outcome and case id; invalid twice: outcome and reasons
        Assert.All(texts, c => Assert.Contains("t=\"str\"", c.Groups[1].Value));

        // The same readers: the importer and auditors; another caseworker is told it does not exist.
        await Download($"/api/imports/{id}/outcomes.xlsx", api.Token("auditor"), TableWriter.XlsxContentType);
        await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/imports/{id}/outcomes.xlsx");
            s.WithBearerToken(api.Token("caseworker", "17.02"));
            s.StatusCodeShouldBe(404);
        });
    }

    [Fact]
    public async Task coverage_and_budgets_download_as_the_json_reports_say_and_planner_text_stays_inert()
    {
        var planner = api.Token("planner");
        // A target's source is free text a planner typed: in the workbook it is a string cell, never a formula.
        const string source = "=HYPERLINK(\"http://example.invalid\",\"BPS\")";
        using (var client = api.Host.Client(planner))
            Assert.True((await client.PutAsJsonAsync("/api/regencies/17.02/targets/2019", new { eligibleWorkers = 1234, source })).IsSuccessStatusCode);

        var json = await api.Host.Read<CoverageReport>(planner, "/api/coverage?asOf=2019-12-31&basis=effective");
        var xlsx = await Download("/api/coverage.xlsx?asOf=2019-12-31&basis=effective", planner, TableWriter.XlsxContentType);
        var coverage = Read(xlsx, TableFormat.Xlsx);
        Assert.Equal(json.Regencies.Count + 1, coverage.Rows.Count);
        Assert.Equal(json.Regencies.Prepend(json.Province).Select(r => (r.Code, r.Covered.ToString(), r.Target?.EligibleWorkers.ToString() ?? "")),
            coverage.Rows.Select(r => (r.Cells[0].Text, r.Cells[8].Text, r.Cells[9].Text)));
        var rejang = coverage.Rows.Single(r => r.Cells[0].Text == "17.02");
        Assert.Equal(source, rejang.Cells[10].Text);
        Assert.DoesNotMatch(@"<(x:)?f[ >]", Workbooks.Part(xlsx, "xl/worksheets/sheet1.xml"));
        Assert.Contains("effective", Workbooks.Part(xlsx, "xl/worksheets/sheet2.xml"));

        await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/coverage.xlsx?basis=sideways");
            s.WithBearerToken(planner);
            s.StatusCodeShouldBe(400);
        });

        var budgets = await api.Host.Read<BudgetYear>(planner, "/api/budgets?year=2026");
        var sheet = Read(await Download("/api/budgets.xlsx?year=2026", api.Token("auditor"), TableWriter.XlsxContentType), TableFormat.Xlsx);
        Assert.Equal(["year", "payer", "regencyCode", "allocated", "committed", "paid", "remaining"], sheet.Columns);
        Assert.Equal(budgets.Items.Select(b => (b.RegencyCode ?? "", b.Remaining.ToString())), sheet.Rows.Select(r => (r.Cells[2].Text, r.Cells[6].Text)));
    }
}
