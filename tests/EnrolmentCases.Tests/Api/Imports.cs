using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Alba;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Imports;
using EnrolmentCases.Privacy;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Imports(ApiFixture api)
{
    // Rejang Lebong (17.02) holds only these tests' cases.
    private readonly string _rejang = api.Token("caseworker", "17.02");
    private const string Header = "nik,fullName,regencyCode,district,village,occupation,phone,source";

    private static string Row(string nik, string name = "Dewi Lestari", string regency = "17.02", string source = "DTSEN") =>
        $"{nik},{name},{regency},Curup,Desa Air Meles,coffee farmer,0812-3333-4444,{source}";

    private Task<Guid> Start(string csv, string token, string query = "") => api.Host.StartImport(token, csv, query);

    /// <summary>Polls as an auditor of its own (auditors see every import), so polling never eats the importer's rate allowance.</summary>
    private Task<ImportView> Finished(Guid id, string? token = null) => api.Host.FinishedImport(token ?? api.Token("auditor"), id);

    private async Task<int> CasesWithNik(string nik)
    {
        await using var session = api.Store.QuerySession();
        var subject = api.Host.Services.GetRequiredService<PersonalData>().SubjectOf(nik);
        return await session.Query<CaseDetails>().CountAsync(c => c.Subject == subject);
    }

    private static Dictionary<int, RowResult> RowsOf(ImportView view) => view.Rows.ToDictionary(r => r.Row);

    [Fact]
    public async Task good_duplicate_and_broken_rows_each_get_their_outcome()
    {
        var existing = Niks.Next("1702");
        var existingCase = await api.Host.IdentifyWorker(_rejang, Scenarios.NewWorker(existing, "17.02"));
        var (a, b) = (Niks.Next("1702"), Niks.Next("1702"));
        var csv = string.Join("\n", Header, Row(a), Row(existing), Row(b), Row(a, "Dewi again"), Row("12345"), Row(Niks.Next("1702"), regency: "17.04"),
            Row(Niks.Next("1702"), source: "RUMOUR"), $"{Niks.Next("1702")},,17.02,,,,,FIELD");

        var view = await Finished(await Start(csv, _rejang, query: "?listSource=Village%20list%20Curup%202026"), _rejang);
        Assert.Equal((8, 8), (view.Total, view.Done));
        Assert.Equal((2, 2, 4), (view.Counts.Created, view.Counts.Duplicate, view.Counts.Invalid));
        Assert.Equal("Village list Curup 2026", view.ListSource);

        var rows = RowsOf(view);
        Assert.Equal(RowOutcome.Created, rows[2].Outcome);
        Assert.Equal(existingCase, rows[3].CaseId);
        Assert.Equal(RowOutcome.Duplicate, rows[3].Outcome);
        Assert.Equal(rows[2].CaseId, rows[5].CaseId);
        Assert.Contains("nik", rows[6].Reasons![0]);
        Assert.Contains("regencyCode", rows[7].Reasons![0]);
        Assert.Contains("source", rows[8].Reasons![0]);
        var missing = rows[9].Reasons!;
        Assert.Contains(missing, r => r.StartsWith("fullName"));
        Assert.Contains(missing, r => r.StartsWith("occupation"));

        var created = await api.Host.GetCase(_rejang, rows[2].CaseId!.Value);
        Assert.Equal(a, created.Nik);
        Assert.Equal(WorkerSource.Dtsen, created.Source);
        Assert.Equal(1, await CasesWithNik(a));

        await using var session = api.Store.QuerySession();
        var first = (await session.Events.FetchStreamAsync(rows[4].CaseId!.Value))[0];
        Assert.Equal(view.Id.ToString("N"), first.CorrelationId);
        Assert.Equal("Village list Curup 2026", first.GetHeader("listSource")?.ToString());
        Assert.StartsWith("caseworker-", first.UserName);
    }

    [Fact]
    public async Task every_event_an_import_writes_carries_a_mac_chained_to_its_stream_that_verifies()
    {
        var csv = string.Join("\n", Enumerable.Range(0, 3).Select(_ => Row(Niks.Next("1702"))).Prepend(Header));
        var view = await Finished(await Start(csv, _rejang, query: "?listSource=MAC%20check"), _rejang);
        Assert.Equal(3, view.Counts.Created);

        // The MAC check the audit sealer runs before sealing, over the stored rows of this import's events.
        var macs = api.Host.Services.GetRequiredService<EnrolmentCases.Audit.EventMacs>();
        var head = await EnrolmentCases.Audit.AuditChain.LastSequenceAsync(api.Store, default);
        var imported = (await EnrolmentCases.Audit.AuditChain.ReadForCheckAsync(api.Store, 0, head, int.MaxValue, default))
            .Where(e => e.Event.CorrelationId == view.Id.ToString("N")).ToList();
        Assert.Equal(6, imported.Count);
        Assert.All(imported, e => Assert.Null(EnrolmentCases.Audit.EventCheck.Check(macs, e)));
        // Each stream's second event chains to its first.
        Assert.All(imported.Where(e => e.Event.Version == 2), e => Assert.False(string.IsNullOrEmpty(e.PreviousMac)));
    }

    /// <summary>
    /// A progress poll cuts its page out of the chunks' outcomes in PostgreSQL (ADR 0050). A chunk not processed yet has no
    /// outcomes (`results` is JSON null); a page that reaches into it gets the processed rows and no null row in their place,
    /// which is what the web app met while an import ran. Chunks written straight into the store, one processed, one not.
    /// </summary>
    [Fact]
    public async Task a_page_of_outcomes_reaching_into_an_unprocessed_chunk_holds_the_processed_rows_and_no_null()
    {
        var import = new Import { Id = Guid.NewGuid(), Status = ImportStatus.Running, Total = 1_500, Chunks = 2, ChunksDone = 1, Done = 1_000 };
        await using (var session = api.Store.LightweightSession())
        {
            session.Store(import);
            session.Store(new ImportChunk
            {
                Id = ImportChunk.IdFor(import.Id, 0), ImportId = import.Id, Index = 0,
                Results = Enumerable.Range(1, 1_000).Select(row => new RowResult(row, RowOutcome.Created, Guid.NewGuid())).ToList()
            });
            session.Store(new ImportChunk { Id = ImportChunk.IdFor(import.Id, 1), ImportId = import.Id, Index = 1, Results = null });
            await session.SaveChangesAsync();
        }

        await using var query = api.Store.QuerySession();
        var across = await GetImportEndpoint.PageOfOutcomesAsync(query, import, 990, 1_009, default);
        Assert.Equal(Enumerable.Range(991, 10), across.Select(r => r.Row));
        Assert.Empty(await GetImportEndpoint.PageOfOutcomesAsync(query, import, 1_200, 1_200, default));
        Assert.Equal([1_000], (await GetImportEndpoint.PageOfOutcomesAsync(query, import, 999, 999, default)).Select(r => r.Row));
        Assert.Equal(1_000, (await GetImportEndpoint.PageOfOutcomesAsync(query, import, 0, 1_499, default)).Count);
    }

    [Fact]
    public async Task importing_the_same_file_again_creates_nothing()
    {
        var niks = Enumerable.Range(0, 5).Select(_ => Niks.Next("1702")).ToList();
        var csv = string.Join("\r\n", niks.Select(n => Row(n)).Prepend(Header));
        var first = await Finished(await Start(csv, _rejang));
        var again = await Finished(await Start(csv, _rejang));

        Assert.Equal(5, first.Counts.Created);
        Assert.Equal(5, again.Counts.Duplicate);
        Assert.Equal(RowsOf(first).Values.Select(r => r.CaseId!.Value), RowsOf(again).Values.Select(r => r.CaseId!.Value));
        foreach (var nik in niks) Assert.Equal(1, await CasesWithNik(nik));
    }

    [Fact]
    public async Task overlapping_imports_running_at_once_never_create_a_worker_twice()
    {
        var niks = Enumerable.Range(0, 1_500).Select(_ => Niks.Next("1702")).ToList();
        var left = string.Join("\n", niks.Take(1_000).Select(n => Row(n)).Prepend(Header));
        var right = string.Join("\n", niks.Skip(500).Select(n => Row(n)).Prepend(Header));

        var ids = await Task.WhenAll(Start(left, _rejang), Start(right, _rejang), Start(left, _rejang));
        var views = await Task.WhenAll(ids.Select(id => Finished(id)));

        Assert.Equal(1_500, views.Sum(v => v.Counts.Created));
        Assert.Equal(3_000 - 1_500, views.Sum(v => v.Counts.Duplicate));
        await using var session = api.Store.QuerySession();
        var privacy = api.Host.Services.GetRequiredService<PersonalData>();
        var subjects = niks.Select(privacy.SubjectOf).ToArray();
        var cases = await session.Query<CaseDetails>().Where(c => c.Subject.IsOneOf(subjects)).Select(c => c.Subject).ToListAsync();
        Assert.Equal(1_500, cases.Count);
        Assert.Equal(1_500, cases.Distinct().Count());
    }

    private async Task<long> WorklistTotal(string token) => (await api.Host.Worklist(token, "?regency=17.08&pageSize=1")).Total;

    [Fact]
    public async Task an_import_longer_than_a_chunk_runs_through_every_chunk_and_accounts_for_every_row()
    {
        // Tests of this collection run one at a time, so Kepahiang's worklist grows by this import's cases alone.
        var kepahiang = api.Token("caseworker", "17.08");
        var before = await WorklistTotal(kepahiang);
        const int rows = 2_500; // chunks are 1,000 rows: three chunks, the last one partly filled
        var niks = Enumerable.Range(0, rows).Select(_ => Niks.Next("1708")).ToList();
        var csv = string.Join("\n", niks.Select(n => Row(n, regency: "17.08")).Prepend(Header));

        var id = await Start(csv, kepahiang);
        var view = await Finished(id);
        Assert.Equal(ImportStatus.Completed, view.Status);
        Assert.Equal((rows, rows), (view.Total, view.Done));
        Assert.Equal((rows, 0, 0), (view.Counts.Created, view.Counts.Duplicate, view.Counts.Invalid));

        // Pages of 700 rows straddle the chunk boundaries; together they hold every row once.
        var auditor = api.Token("auditor");
        var outcomes = new List<RowResult>();
        for (var page = 1; page <= 5; page++)
        {
            var paged = await api.Host.GetImport(auditor, id, $"?rowsPage={page}&rowsPageSize=700");
            Assert.Equal((page, 700), (paged.RowsPage, paged.RowsPageSize));
            Assert.Equal(page < 4 ? 700 : page == 4 ? rows - 3 * 700 : 0, paged.Rows.Count);
            outcomes.AddRange(paged.Rows);
        }

        // Row numbers are file lines: the header is line 1.
        Assert.Equal(Enumerable.Range(2, rows), outcomes.Select(r => r.Row));
        Assert.All(outcomes, r => Assert.Equal(RowOutcome.Created, r.Outcome));
        var caseIds = outcomes.Select(r => r.CaseId!.Value).ToList();
        Assert.Equal(rows, caseIds.Distinct().Count());

        var download = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/imports/{id}/outcomes.csv");
            s.WithBearerToken(kepahiang);
            s.StatusCodeShouldBeOk();
        });
        var lines = (await download.ReadAsTextAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,outcome,caseId,reasons", lines[0]);
        Assert.Equal(rows, lines.Length - 1);
        Assert.Equal(outcomes.Select(r => $"{r.Row},created,{r.CaseId},"), lines.Skip(1));

        Assert.Equal(before + rows, await WorklistTotal(kepahiang));
        var last = await api.Host.GetCase(kepahiang, caseIds[^1]);
        Assert.Equal((niks[^1], CaseStage.Identified), (last.Nik, last.Stage));
    }

    [Fact]
    public async Task a_redelivered_chunk_changes_nothing()
    {
        var csv = string.Join("\n", Header, Row(Niks.Next("1702")), Row(Niks.Next("1702")));
        var id = await Start(csv, _rejang);
        var done = await Finished(id);

        // As after a crash between commit and acknowledgement: the same chunk message arrives again.
        using (var scope = api.Host.Services.CreateScope())
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync(new ProcessImportChunk(id, 0));
        var again = await Finished(id);
        Assert.Equal((done.Counts.Created, done.Counts.Duplicate, done.Counts.Invalid), (again.Counts.Created, again.Counts.Duplicate, again.Counts.Invalid));
        Assert.Equal(2, again.Done);
    }

    public static TheoryData<string, string> Dialects => new()
    {
        { "semicolons, BOM and CRLF", "\uFEFFnik;fullName;regencyCode;district;village;occupation;phone;source\r\n{0};\"Lestari; Dewi\";17.02;;;\"coffee \"\"arabica\"\" farmer\";;p3ke\r\n" },
        { "commas and LF, columns in another order", "source,nik,occupation,regencyCode,fullName\nVILLAGE_LIST,{0},fisher,17.02,\"Dewi, Lestari\"\n\n" },
        { "quoted line break", "nik,fullName,regencyCode,occupation,source,village\n{0},Dewi,17.02,farmer,FIELD,\"Desa\nAir Meles\"" },
    };

    [Theory, MemberData(nameof(Dialects))]
    public async Task the_formats_offices_produce_are_read(string dialect, string template)
    {
        var nik = Niks.Next("1702");
        var view = await Finished(await Start(string.Format(template, nik), _rejang));
        Assert.True(1 == view.Counts.Created, $"{dialect}: {JsonSerializer.Serialize(view)}");
        Assert.Equal(1, await CasesWithNik(nik));
    }

    [Fact]
    public async Task a_file_can_come_as_a_multipart_upload()
    {
        var nik = Niks.Next("1702");
        using var client = api.Host.Client(_rejang);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes($"{Header}\n{Row(nik)}\n"));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "desa-air-meles.csv");
        var response = await client.PostAsync("/api/imports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<ImportAccepted>())!.Id;
        var view = await Finished(id);
        Assert.Equal("desa-air-meles.csv", view.FileName);
        Assert.Equal(1, await CasesWithNik(nik));
    }

    [Theory]
    [InlineData("nik,name,regencyCode,occupation,source\n1702014506900001,A,17.02,x,FIELD", "header")]
    [InlineData("nik,fullName,regencyCode,occupation\n1702014506900001,A,17.02,x", "header")]
    [InlineData("", "header")]
    public async Task a_file_with_a_wrong_header_is_refused_whole(string csv, string field)
    {
        using var client = api.Host.Client(_rejang);
        var response = await client.PostAsync("/api/imports", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task a_body_that_is_not_a_file_is_unsupported_and_other_roles_may_not_import()
    {
        async Task Refused(string body, string contentType, string token, HttpStatusCode status)
        {
            using var client = api.Host.Client(token);
            var response = await client.PostAsync("/api/imports", new StringContent(body, Encoding.UTF8, contentType));
            Assert.Equal(status, response.StatusCode);
        }

        await Refused("{\"nik\":1}", "application/json", _rejang, HttpStatusCode.UnsupportedMediaType);
        await Refused($"{Header}\n{Row(Niks.Next("1702"))}", "text/csv", api.Token("planner"), HttpStatusCode.Forbidden);
        await Refused($"{Header}\n{Row(Niks.Next("1702"))}", "text/csv", api.Token("auditor"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task only_the_importer_and_auditors_see_an_import_and_its_outcomes_download_as_csv()
    {
        var id = await Start($"{Header}\n{Row(Niks.Next("1702"))}\n{Row("bad")}", _rejang);
        await Finished(id, _rejang);
        await Finished(id);
        await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/imports/{id}");
            s.WithBearerToken(api.Token("caseworker", "17.02"));
            s.StatusCodeShouldBe(404);
        });

        var download = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/imports/{id}/outcomes.csv");
            s.WithBearerToken(_rejang);
            s.StatusCodeShouldBeOk();
        });
        var lines = (await download.ReadAsTextAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,outcome,caseId,reasons", lines[0]);
        Assert.StartsWith("2,created,", lines[1]);
        Assert.StartsWith("3,invalid,,nik: must be exactly 16 digits", lines[2]);
    }
}
