using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using Marten;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every response that carries a worker's NIK, name or phone is recorded as who read which cases when;
/// auditors read that log, and subject access shows it together with every import row naming the person.
/// Each test reads as users of its own, so it can ask the shared log for exactly what it did.
/// </summary>
[Collection(ApiCollection.Name)]
public class AccessLog(ApiFixture api)
{
    private const string Table = "enrolment.mt_doc_accesslogentry";
    private readonly string _auditor = api.Token("auditor");

    private static string NewUser(string role) => $"{role}-{Guid.NewGuid():N}";

    private Task<Paged<AccessLogEntry>> Log(string query) => api.Host.Read<Paged<AccessLogEntry>>(_auditor, $"/api/audit/access-log?{query}");

    /// <summary>Each read by the user: its route and the cases it named, in id order.</summary>
    private async Task<List<(string Route, string Cases)>> ReadsBy(string user) =>
        (await Log($"user={user}&pageSize=200")).Items.Select(e => (e.Route, Ids(e.CaseIds))).ToList();

    private static string Ids(IEnumerable<Guid> ids) => string.Join(",", ids.Order());

    private async Task Status(string token, string url, int status) => await api.Host.Scenario(s =>
    {
        s.Get.Url(url);
        s.WithBearerToken(token);
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task every_read_of_personal_data_records_who_read_which_cases()
    {
        var reader = NewUser("caseworker");
        var token = api.TokenFor("caseworker", reader, "17.05");
        var id = await api.Host.IdentifyWorker(token, Scenarios.NewWorker(Niks.Next("1705"), "17.05"));
        await api.Host.GetCase(token, id);
        await api.Host.GetCase(token, id, "?version=1");
        await api.Host.GetCase(token, id, "?asOf=2090-01-01T00:00:00Z");
        await api.Host.History(token, id);
        var page = await api.Host.Worklist(token, "?regency=17.05&pageSize=3");

        var reads = await ReadsBy(reader);
        Assert.Equal(5, reads.Count);
        Assert.Equal(3, reads.Count(r => r == ("GET /api/cases/{id}", Ids([id]))));
        Assert.Contains(reads, r => r == ("GET /api/cases/{id}/history", Ids([id])));
        Assert.Contains(reads, r => r == ("GET /api/cases", Ids(page.Items.Select(c => c.Id))));

        var entry = (await Log($"user={reader}&pageSize=200")).Items.Single(e => e.Detail == "version=1");
        Assert.Equal(["caseworker"], entry.Roles);
        Assert.Equal($"Tester {reader}", entry.UserName);
        Assert.False(string.IsNullOrEmpty(entry.TraceId));
        Assert.False(string.IsNullOrEmpty(entry.CorrelationId));

        var auditor = NewUser("auditor");
        var auditorToken = api.TokenFor("auditor", auditor);
        await api.Host.GetCase(auditorToken, id);
        await api.Host.History(auditorToken, id);
        Assert.Equal([("GET /api/cases/{id}", Ids([id])), ("GET /api/cases/{id}/history", Ids([id]))],
            (await ReadsBy(auditor)).OrderBy(r => r.Route).ToList());
    }

    [Fact]
    public async Task aggregates_refusals_missing_cases_and_bad_requests_record_nothing()
    {
        var kaur = api.Token("caseworker", "17.04");
        var id = await api.Host.IdentifyWorker(kaur);

        var outsider = NewUser("caseworker");
        var outsiderToken = api.TokenFor("caseworker", outsider, "17.02");
        await Status(outsiderToken, $"/api/cases/{id}", 404);
        await Status(outsiderToken, $"/api/cases/{id}/history", 404);
        await Status(outsiderToken, $"/api/cases/{Guid.NewGuid()}", 404);
        await Status(outsiderToken, $"/api/cases/{id}?version=0", 400);
        await Status(outsiderToken, "/api/cases?pageSize=500", 400);
        foreach (var aggregate in new[] { "/api/coverage", "/api/budgets?year=2026", "/api/subsidy-forecast?year=2026", "/api/regencies" })
            await Status(outsiderToken, aggregate, 200);

        var planner = NewUser("planner");
        var plannerToken = api.TokenFor("planner", planner);
        await Status(plannerToken, $"/api/cases/{id}", 403);
        await Status(plannerToken, "/api/audit/events", 403);
        var admin = NewUser("admin");
        await Status(api.TokenFor("admin", admin), $"/api/cases/{id}/history", 403);

        foreach (var user in new[] { outsider, planner, admin })
            Assert.Empty(await ReadsBy(user));
        Assert.Empty((await Log($"caseId={id}")).Items);
    }

    [Fact]
    public async Task the_log_filters_by_case_user_and_period_and_pages_newest_first()
    {
        var (one, two) = (NewUser("caseworker"), NewUser("caseworker"));
        var (tokenOne, tokenTwo) = (api.TokenFor("caseworker", one, "17.06"), api.TokenFor("caseworker", two, "17.06"));
        var a = await api.Host.IdentifyWorker(tokenOne, Scenarios.NewWorker(Niks.Next("1706"), "17.06"));
        var b = await api.Host.IdentifyWorker(tokenOne, Scenarios.NewWorker(Niks.Next("1706"), "17.06"));
        var t0 = new DateTimeOffset(2026, 3, 5, 10, 0, 0, TimeSpan.Zero);
        var at = Enumerable.Range(0, 6).Select(i => t0.AddMinutes(i)).ToArray();
        var done = new List<(DateTimeOffset At, string User, Guid Case, string Route)>();

        async Task ReadAt(int minute, string user, string token, Guid id, bool history = false)
        {
            using (api.ClockAt(at[minute]))
            {
                if (history) await api.Host.History(token, id);
                else await api.Host.GetCase(token, id);
            }

            done.Add((at[minute], user, id, history ? "GET /api/cases/{id}/history" : "GET /api/cases/{id}"));
        }

        await ReadAt(0, one, tokenOne, a);
        await ReadAt(1, two, tokenTwo, a);
        await ReadAt(2, one, tokenOne, b);
        await ReadAt(3, one, tokenOne, a, history: true);
        await ReadAt(4, two, tokenTwo, b);

        static void AssertSame(IEnumerable<(DateTimeOffset At, string User, Guid Case, string Route)> expected, Paged<AccessLogEntry> page) =>
            Assert.Equal(expected.OrderByDescending(e => e.At).Select(e => (e.At, e.User, e.Case, e.Route)),
                page.Items.Select(e => (e.ReadAt, e.UserId, e.CaseIds.Single(), e.Route)));

        using (api.ClockAt(at[5].AddHours(1)))
        {
            // First, while nobody has yet read who read case a.
            AssertSame(done.Where(d => d.Case == a), await Log($"caseId={a}"));
            var end = Uri.EscapeDataString(at[5].ToString("O"));
            AssertSame(done.Where(d => d.User == one), await Log($"user={one}&to={end}"));
            AssertSame(done.Where(d => d.Case == b && d.At >= at[2] && d.At < at[4]),
                await Log($"caseId={b}&from={Uri.EscapeDataString(at[2].ToString("O"))}&to={Uri.EscapeDataString(at[4].ToString("O"))}"));

            var second = await Log($"user={one}&to={end}&page=2&pageSize=2");
            Assert.Equal((3, 2, 2), (second.Total, second.Page, second.PageSize));
            AssertSame(done.Where(d => d.User == one).OrderByDescending(d => d.At).Skip(2), second);
        }

        // Reading the log about case a was itself recorded as a read about case a, by the auditor.
        var latest = (await Log($"caseId={a}&pageSize=1")).Items.Single();
        Assert.Equal(("GET /api/audit/access-log", a), (latest.Route, latest.CaseIds.Single()));
        Assert.StartsWith("auditor-", latest.UserId);
    }

    [Theory]
    [InlineData("from=2026-03-05T10:00:00Z&to=2026-03-05T09:00:00Z", "to")]
    [InlineData("from=0001-01-01T00:00:00Z", "from")]
    [InlineData("to=9999-12-31T00:00:00Z", "to")]
    [InlineData("page=0", "page")]
    [InlineData("page=100001", "page")]
    [InlineData("pageSize=201", "pageSize")]
    [InlineData("user=%01", "user")]
    public async Task bad_filters_are_validation_problems(string query, string field)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/audit/access-log?{query}");
            s.WithBearerToken(_auditor);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task only_auditors_read_the_log()
    {
        foreach (var role in new[] { "caseworker", "planner", "admin" })
            await Status(api.Token(role, "17.04"), "/api/audit/access-log", 403);
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/audit/access-log");
            s.StatusCodeShouldBe(401);
        });
    }

    [Fact]
    public async Task admins_export_only_with_a_reason_and_every_export_is_recorded_with_its_cases()
    {
        var id = await api.Host.IdentifyWorker(api.Token("caseworker", "17.04"));
        long first;
        await using (var session = api.Store.QuerySession())
            first = (await session.Events.FetchStreamAsync(id))[0].Sequence;

        var admin = NewUser("admin");
        var adminToken = api.TokenFor("admin", admin);
        var refused = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/audit/events?afterSequence={first - 1}&limit=1");
            s.WithBearerToken(adminToken);
            s.StatusCodeShouldBe(400);
        });
        Assert.True((await refused.Problem()).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Empty(await ReadsBy(admin));

        var reason = "Request 2026/114 from the inspectorate";
        var export = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/audit/events?afterSequence={first - 1}&limit=1&reason={Uri.EscapeDataString(reason)}");
            s.WithBearerToken(adminToken);
            s.StatusCodeShouldBeOk();
        });
        Assert.Contains(id.ToString(), export.ReadAsText());
        var entry = (await Log($"user={admin}")).Items.Single();
        Assert.Equal(("GET /api/audit/events", Ids([id]), reason, $"sequences {first}-{first}"),
            (entry.Route, Ids(entry.CaseIds), entry.Reason, entry.Detail));

        var auditor = NewUser("auditor");
        await Status(api.TokenFor("auditor", auditor), $"/api/audit/events?afterSequence={first - 1}&limit=1", 200);
        Assert.Equal([("GET /api/audit/events", Ids([id]))], await ReadsBy(auditor));
        Assert.Contains((await Log($"caseId={id}")).Items, e => e.UserId == admin);
    }

    [Fact]
    public async Task subject_access_covers_import_rows_that_opened_no_case_and_who_read_the_cases()
    {
        var importer = NewUser("caseworker");
        var importerToken = api.TokenFor("caseworker", importer, "17.08");
        var (nik, onlyInvalid, other) = (Niks.Next("1708"), Niks.Next("1708"), Niks.Next("1708"));
        const string header = "nik,fullName,regencyCode,district,village,occupation,phone,source";
        string Row(string n, string source = "DTSEN", string regency = "17.08") => $"{n},Rina Wati,{regency},Kepahiang,Desa Suro,farmer,0813-1111-2222,{source}";
        var csv = string.Join("\n", header, Row(other), Row(nik), Row($" {nik} "), Row(nik, source: "RUMOUR"), Row(onlyInvalid, regency: "17.01"));
        var importId = await api.Host.StartImport(importerToken, csv, "?fileName=kepahiang-2026.csv");
        var import = await api.Host.FinishedImport(_auditor, importId);
        var caseId = import.Rows.Single(r => r.Row == 3).CaseId!.Value;
        await api.Host.GetCase(importerToken, caseId);

        var report = await SubjectAccess(nik);
        Assert.Equal([caseId], report.Cases.Select(c => c.Case.Id));
        Assert.Equal([(3, RowOutcome.Created, (Guid?)caseId), (4, RowOutcome.Duplicate, caseId), (5, RowOutcome.Invalid, null)],
            report.ImportRows.Select(r => (r.Row, r.Outcome!.Value, r.CaseId)));
        Assert.All(report.ImportRows, r =>
        {
            Assert.Equal((importId, "kepahiang-2026.csv", importer), (r.ImportId, r.FileName, r.ImportedBy));
            Assert.Equal(nik, r.Cells["nik"].Trim());
        });
        Assert.Contains("source", report.ImportRows[2].Reasons![0]);
        var read = Assert.Single(report.Accesses, e => e.UserId == importer);
        Assert.Equal(("GET /api/cases/{id}", Ids([caseId])), (read.Route, Ids(read.CaseIds)));

        var invalidOnly = await SubjectAccess(onlyInvalid);
        Assert.Empty(invalidOnly.Cases);
        Assert.Equal([(6, RowOutcome.Invalid)], invalidOnly.ImportRows.Select(r => (r.Row, r.Outcome!.Value)));

        // The report itself is a read of the person's cases.
        Assert.Contains((await Log($"caseId={caseId}")).Items, e => e.Route == "POST /api/audit/subject-access");
    }

    private async Task<SubjectAccessReport> SubjectAccess(string nik)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(new { nik }).ToUrl("/api/audit/subject-access");
            s.WithBearerToken(_auditor);
            s.StatusCodeShouldBeOk();
        });
        return (await result.ReadAsJsonAsync<SubjectAccessReport>())!;
    }

    [Fact]
    public async Task neither_the_log_nor_its_answers_hold_a_nik_a_name_or_a_phone()
    {
        var token = api.Token("caseworker", "17.04");
        var nik = Niks.Next();
        var id = await api.Host.IdentifyWorker(token, Scenarios.NewWorker(nik));
        await api.Host.GetCase(token, id);
        await SubjectAccess(nik);

        var answer = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/audit/access-log?caseId={id}");
            s.WithBearerToken(_auditor);
            s.StatusCodeShouldBeOk();
        });
        var text = answer.ReadAsText();
        Assert.Contains(id.ToString(), text);
        foreach (var personal in new[] { nik, "Siti Aminah", "Padang Petron", "081270001234", "0812-7000-1234" })
        {
            Assert.DoesNotContain(personal, text);
            Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {Table} where strpos(data::text, '{personal}') > 0"));
        }
    }

    [Fact]
    public async Task a_read_whose_record_cannot_be_written_answers_503_without_the_data()
    {
        var reader = NewUser("caseworker");
        var token = api.TokenFor("caseworker", reader, "17.04");
        var nik = Niks.Next();
        var id = await api.Host.IdentifyWorker(token, Scenarios.NewWorker(nik));
        // Refuses this reader's records only, so that tests running beside this one are unaffected.
        await TestSql.ExecuteAsync($"""
            create function enrolment.refuse_{reader.Replace('-', '_')}() returns trigger language plpgsql as
              $$ begin raise exception 'access log unavailable'; end $$;
            create trigger refuse_{reader.Replace('-', '_')} before insert on {Table} for each row
              when (new.data ->> 'userId' = '{reader}') execute function enrolment.refuse_{reader.Replace('-', '_')}();
            """);
        try
        {
            foreach (var url in new[] { $"/api/cases/{id}", $"/api/cases/{id}/history", "/api/cases?regency=17.04" })
            {
                var result = await api.Host.Scenario(s =>
                {
                    s.Get.Url(url);
                    s.WithBearerToken(token);
                    s.StatusCodeShouldBe(503);
                });
                var text = result.ReadAsText();
                Assert.Equal("service-unavailable", JsonDocument.Parse(text).RootElement.Slug());
                Assert.DoesNotContain(nik, text);
                Assert.DoesNotContain("Siti Aminah", text);
            }
        }
        finally
        {
            await TestSql.ExecuteAsync($"drop trigger refuse_{reader.Replace('-', '_')} on {Table}; drop function enrolment.refuse_{reader.Replace('-', '_')}();");
        }

        await api.Host.GetCase(token, id);
        Assert.Single(await ReadsBy(reader));
    }

    [Fact]
    public async Task pruning_removes_only_entries_older_than_the_cutoff()
    {
        var reader = NewUser("auditor");
        var token = api.TokenFor("auditor", reader);
        var id = await api.Host.IdentifyWorker(api.Token("caseworker", "17.04"));
        var old = new DateTimeOffset(2015, 6, 1, 0, 0, 0, TimeSpan.Zero);
        using (api.ClockAt(old)) await api.Host.GetCase(token, id);
        using (api.ClockAt(old.AddDays(2))) await api.Host.GetCase(token, id);

        using (var owner = api.Host.Services.OwnerStore()) await AccessLogRetention.PruneAsync(owner, old.AddDays(1), CancellationToken.None);
        Assert.Equal([old.AddDays(2)], (await Log($"user={reader}")).Items.Select(e => e.ReadAt));
        Assert.Equal(old.AddDays(1), AccessLogRetention.CutoffAt(old.AddDays(731), new AccessLogOptions()));
    }
}
