using System.Net;
using System.Net.Http.Json;
using System.Text;
using EnrolmentCases.Audit;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Imports;
using EnrolmentCases.Money;
using EnrolmentCases.Reconciliations;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Insurer status files against cases of Seluma (17.05) and Kaur (17.04), each test with its own workers
/// and KPJ numbers. The clock stands on 2026-03-02: a case enrolled from 2026-03-01 is active, nothing paid yet.
/// </summary>
[Collection(ApiCollection.Name)]
public class Reconciliations(ApiFixture api)
{
    private const string Header = "kpj,nik,status,paidThrough,reportedOn";
    private static int _kpj;
    private readonly string _seluma = api.Token("caseworker", "17.05");

    private static string NextKpj() => $"8{Interlocked.Increment(ref _kpj):0000000000}";

    private static string Row(string kpj, string nik, string status, string paidThrough = "", string reportedOn = "2026-02-28") =>
        $"{kpj},{nik},{status},{paidThrough},{reportedOn}";

    /// <summary>A worker of the regency identified, reached and enrolled (from 2026-03-01) under the KPJ.</summary>
    private async Task<(Guid Id, string Nik, string Kpj)> Enrolled(string regency = "17.05", string? token = null)
    {
        token ??= _seluma;
        var (nik, kpj) = (Niks.Next(regency.Replace(".", "")), NextKpj());
        var id = await api.Host.IdentifyWorker(token, Scenarios.NewWorker(nik, regency));
        await api.Host.Reach(token, id);
        await api.Host.Command(token, id, "enrolment",
            new { membershipNumber = kpj, programmes = new[] { "JKK", "JKM" }, declaredMonthlyIncome = 1_000_000, effectiveDate = "2026-03-01" });
        return (id, nik, kpj);
    }

    private async Task<(HttpStatusCode Status, Guid Id)> Send(string token, params string[] rows)
    {
        using var client = api.Host.Client(token);
        var response = await client.PostAsync("/api/reconciliations?fileName=status.csv",
            new StringContent(string.Join("\r\n", rows.Prepend(Header)), Encoding.UTF8, "text/csv"));
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var accepted = (await response.Content.ReadFromJsonAsync<ReconciliationAccepted>())!;
        Assert.Equal($"/api/reconciliations/{accepted.Id}", response.Headers.Location?.ToString());
        return (response.StatusCode, accepted.Id);
    }

    /// <summary>Polls as an auditor of its own until the reconciliation is completed or failed.</summary>
    private async Task<ReconciliationView> Finished(Guid id, string query = "?pageSize=1000")
    {
        var auditor = api.Token("auditor");
        for (var i = 0; i < 250; i++)
        {
            var view = await api.Host.Read<ReconciliationView>(auditor, $"/api/reconciliations/{id}{query}");
            if (view.Status is ImportStatus.Completed or ImportStatus.Failed) return view;
            await Task.Delay(200);
        }

        throw new TimeoutException($"reconciliation {id} did not finish");
    }

    private async Task<ReconciliationView> Reconciled(string token, params string[] rows)
    {
        var view = await Finished((await Send(token, rows)).Id);
        Assert.Equal(ImportStatus.Completed, view.Status);
        return view;
    }

    private async Task<List<InsurerStatusReported>> Reports(Guid caseId)
    {
        await using var session = api.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(caseId)).Select(e => e.Data).OfType<InsurerStatusReported>().ToList();
    }

    private static ReconciliationRow RowAt(ReconciliationView view, int row) => view.Rows.Items.Single(r => r.Row == row);

    [Fact]
    public async Task rows_match_by_kpj_and_nik_together_and_each_drift_is_recorded_on_its_case()
    {
        var inSync = await Enrolled();
        var inactiveThere = await Enrolled();
        var closedHere = await Enrolled();
        await api.Host.Command(_seluma, closedHere.Id, "closure", new { reason = "wage_earner" });
        var paidHere = await Enrolled();
        await api.Host.Command(_seluma, paidHere.Id, "premium-payments", new { month = "2026-03", amount = 16800, paidOn = "2026-03-01" });
        var (a, b) = (await Enrolled(), await Enrolled());

        var view = await Reconciled(_seluma,
            Row(inSync.Kpj, inSync.Nik, "active"),
            Row(inactiveThere.Kpj, inactiveThere.Nik, "inactive"),
            Row(closedHere.Kpj, closedHere.Nik, "active", "2026-03"),
            Row(paidHere.Kpj, paidHere.Nik, "active", "2026-01"),
            Row(NextKpj(), inSync.Nik, "active"),
            Row(inSync.Kpj, Niks.Next("1705"), "active"),
            Row(a.Kpj, b.Nik, "active"),
            Row("123", "not-a-nik", "sleeping", "March", "yesterday"));

        Assert.Equal((8, 8, new DateOnly(2026, 2, 28)), (view.Total, view.Done, view.ReportedOn));
        Assert.Equal((4, 3, 3, 1), (view.Counts.Matched, view.Counts.Drift, view.Counts.Unknown, view.Counts.Invalid));
        var seluma = view.Regencies.Single(r => r.Code == "17.05");
        Assert.Equal((1, 1, 2), (seluma.ActiveHereInactiveThere, seluma.InactiveHereActiveThere, seluma.PaidThroughDiffers));

        Assert.Equal((Finding.InSync, inSync.Id), (RowAt(view, 2).Finding, RowAt(view, 2).CaseId));
        Assert.Equal([Drift.ActiveHereInactiveThere], RowAt(view, 3).Drift);
        Assert.Equal([Drift.InactiveHereActiveThere, Drift.PaidThroughDiffers], RowAt(view, 4).Drift);
        Assert.Equal([Drift.PaidThroughDiffers], RowAt(view, 5).Drift);
        Assert.Equal(new OursWas(CaseStage.Enrolled, new YearMonth(2026, 3)), RowAt(view, 5).Ours);
        Assert.Equal(new InsurerSaid("active", "2026-01", "2026-02-28"), RowAt(view, 5).Insurer);
        Assert.Equal((Finding.Unknown, (Guid?)null), (RowAt(view, 6).Finding, RowAt(view, 6).CaseId));
        Assert.Contains("KPJ names no case", RowAt(view, 6).Reasons![0]);
        Assert.Contains("NIK names no case", RowAt(view, 7).Reasons![0]);
        Assert.Equal((Finding.Conflict, (Guid?)null), (RowAt(view, 8).Finding, RowAt(view, 8).CaseId));
        Assert.Equal(Finding.Invalid, RowAt(view, 9).Finding);
        Assert.Equal(5, RowAt(view, 9).Reasons!.Count);
        // The report never shows a NIK in full.
        Assert.Equal(inSync.Nik[..6] + "**********", RowAt(view, 2).MaskedNik);

        // The finding shows on the case, with both paid-through months; stage and payments stay as they were.
        var paid = await api.Host.GetCase(_seluma, paidHere.Id);
        var insurer = paid.Insurer!;
        Assert.Equal((MembershipStatus.Active, new YearMonth(2026, 1), new DateOnly(2026, 2, 28), view.Id),
            (insurer.Status, insurer.PaidThrough, insurer.ReportedOn, insurer.ReconciliationId));
        Assert.Equal((MembershipStatus.Active, new YearMonth(2026, 3)), (insurer.OurStatus, insurer.OurPaidThrough));
        Assert.Equal([Drift.PaidThroughDiffers], insurer.Drift);
        Assert.Equal((CaseStage.Enrolled, new YearMonth(2026, 3)), (paid.Stage, paid.PaidThrough));
        await using (var events = api.Store.QuerySession())
            Assert.Equal((await events.Events.FetchStreamAsync(paidHere.Id)).Count, paid.Version);
        Assert.Equal(CaseStage.Closed, (await api.Host.GetCase(_seluma, closedHere.Id)).Stage);

        // The history says what the insurer said, from which file, and who sent it.
        var history = await api.Host.History(api.Token("auditor"), inactiveThere.Id);
        var recorded = history.Events.Single(e => e.Type == "insurer_status_reported");
        Assert.Equal(view.Id.ToString("N"), recorded.CorrelationId);
        Assert.StartsWith("caseworker-", recorded.User);
        var report = Assert.Single(await Reports(inactiveThere.Id));
        Assert.Equal((MembershipStatus.Inactive, MembershipStatus.Active, view.FileSha256, 3), (report.Status, report.OurStatus, report.FileSha256, report.Row));
        Assert.Empty(await Reports(a.Id));
        Assert.Empty(await Reports(b.Id));

        // The worklist finds the memberships the insurer reports inactive, and the drifting ones.
        var inactive = await api.Host.Worklist(_seluma, "?regency=17.05&insurerStatus=inactive&pageSize=200");
        Assert.Contains(inactiveThere.Id, inactive.Items.Select(c => c.Id));
        Assert.DoesNotContain(inSync.Id, inactive.Items.Select(c => c.Id));
        var drifting = (await api.Host.Worklist(_seluma, "?regency=17.05&drift=true&pageSize=200")).Items.Select(c => c.Id).ToList();
        Assert.Contains(inactiveThere.Id, drifting);
        Assert.Contains(paidHere.Id, drifting);
        Assert.DoesNotContain(inSync.Id, drifting);

        // Only one finding asked for.
        var onlyDrift = await api.Host.Read<ReconciliationView>(_seluma, $"/api/reconciliations/{view.Id}?finding=drift&pageSize=2&page=2");
        Assert.Equal((3L, 1), (onlyDrift.Rows.Total, onlyDrift.Rows.Items.Count));
        Assert.Equal(5, onlyDrift.Rows.Items[0].Row);
    }

    [Fact]
    public async Task sending_the_same_file_again_answers_with_the_first_reconciliation_and_writes_nothing()
    {
        var worker = await Enrolled();
        var rows = new[] { Row(worker.Kpj, worker.Nik, "inactive") };
        var (status, first) = await Send(_seluma, rows);
        Assert.Equal(HttpStatusCode.Accepted, status);
        await Finished(first);
        await using var session = api.Store.QuerySession();
        var events = (await session.Events.FetchStreamAsync(worker.Id)).Count;

        // Another caseworker of the same regency sends the same bytes.
        var (again, second) = await Send(api.Token("caseworker", "17.05"), rows);

        Assert.Equal((HttpStatusCode.OK, first), (again, second));
        Assert.Equal(events, (await session.Events.FetchStreamAsync(worker.Id)).Count);
        var sha = (await Finished(first)).FileSha256;
        Assert.Equal(1, await session.Query<Reconciliation>().CountAsync(r => r.FileSha256 == sha));
    }

    [Fact]
    public async Task a_later_file_supersedes_an_earlier_one_and_an_older_file_is_recorded_without_overriding()
    {
        var worker = await Enrolled();
        var february = await Reconciled(_seluma, Row(worker.Kpj, worker.Nik, "inactive", "", "2026-02-28"));
        Assert.Equal(MembershipStatus.Inactive, (await api.Host.GetCase(_seluma, worker.Id)).Insurer!.Status);

        var march = await Reconciled(_seluma, Row(worker.Kpj, worker.Nik, "active", "", "2026-03-01"));
        var shown = (await api.Host.GetCase(_seluma, worker.Id)).Insurer!;
        Assert.Equal((MembershipStatus.Active, march.Id, false), (shown.Status, shown.ReconciliationId, shown.Drifting));

        var january = await Reconciled(_seluma, Row(worker.Kpj, worker.Nik, "inactive", "", "2026-01-31"));
        Assert.Equal(Finding.OlderThanShown, RowAt(january, 2).Finding);
        Assert.Contains("2026-03-01", RowAt(january, 2).Reasons![0]);
        Assert.Equal((1, 0), (january.Counts.Matched, january.Counts.Drift));
        Assert.Equal(march.Id, (await api.Host.GetCase(_seluma, worker.Id)).Insurer!.ReconciliationId);

        var reports = await Reports(worker.Id);
        Assert.Equal([february.Id, march.Id, january.Id], reports.Select(r => r.ReconciliationId));
        Assert.Equal([true, true, false], reports.Select(r => r.Applied));
    }

    [Fact]
    public async Task rows_of_other_regencies_are_matched_only_by_their_own_caseworkers()
    {
        var kaur = api.Token("caseworker", "17.04");
        var inSeluma = await Enrolled();
        var inKaur = await Enrolled("17.04", kaur);
        string[] rows = [Row(inSeluma.Kpj, inSeluma.Nik, "inactive"), Row(inKaur.Kpj, inKaur.Nik, "inactive")];

        var bySeluma = await Reconciled(_seluma, rows);
        Assert.Equal((1, 1), (bySeluma.Counts.Matched, bySeluma.Counts.Unknown));
        // Told only that no case of Seluma carries them: whether Kaur has one is not for Seluma to learn.
        Assert.Equal((Finding.Unknown, (Guid?)null), (RowAt(bySeluma, 3).Finding, RowAt(bySeluma, 3).CaseId));
        Assert.Equal(["17.05"], bySeluma.Scope);
        Assert.Empty(await Reports(inKaur.Id));
        // Kaur's caseworker cannot read Seluma's report.
        var refused = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/reconciliations/{bySeluma.Id}");
            s.WithBearerToken(kaur);
            s.StatusCodeShouldBe(404);
        });
        Assert.Equal("not-found", (await refused.Problem()).Slug());

        // The same file from Kaur is Kaur's own reconciliation, which records Kaur's row only.
        var byKaur = await Reconciled(kaur, rows);
        Assert.NotEqual(bySeluma.Id, byKaur.Id);
        Assert.Equal((inKaur.Id, Finding.Drift), (RowAt(byKaur, 3).CaseId, RowAt(byKaur, 3).Finding));
        Assert.Single(await Reports(inKaur.Id));
        Assert.Single(await Reports(inSeluma.Id));

        // The province's planner reconciles every regency: both rows were already recorded from this file.
        var province = await Reconciled(api.Token("planner"), rows);
        Assert.Equal([Finding.AlreadyRecorded, Finding.AlreadyRecorded], province.Rows.Items.Select(r => r.Finding));
        Assert.Single(await Reports(inKaur.Id));
    }

    [Theory]
    [InlineData("kpj,nik,status,reportedOn", "missing column 'paidThrough'")]
    [InlineData("kpj,nik,status,paidThrough,reportedOn,NIK", "column 'nik' appears twice")]
    [InlineData("", "empty")]
    public async Task a_file_whose_header_is_wrong_is_refused_whole_and_changes_nothing(string header, string expected)
    {
        var worker = await Enrolled();
        await using var session = api.Store.QuerySession();
        var before = await session.Query<Reconciliation>().CountAsync();

        using var client = api.Host.Client(_seluma);
        var response = await client.PostAsync("/api/reconciliations",
            new StringContent($"{header}\r\n{Row(worker.Kpj, worker.Nik, "inactive")}", Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("validation", problem.Slug());
        Assert.Contains(expected, problem.GetProperty("errors").GetProperty("header")[0].GetString());
        Assert.Equal(before, await session.Query<Reconciliation>().CountAsync());
        Assert.Empty(await Reports(worker.Id));
    }

    [Fact]
    public async Task a_large_file_is_reconciled_in_chunks_with_progress()
    {
        var (first, last) = (await Enrolled(), await Enrolled());
        var rows = Enumerable.Range(0, 2_498).Select(_ => Row(NextKpj(), Niks.Next("1705"), "active")).ToList();
        rows.Insert(0, Row(first.Kpj, first.Nik, "inactive"));
        rows.Add(Row(last.Kpj, last.Nik, "active", "2026-02"));

        var (_, id) = await Send(_seluma, rows.ToArray());
        var view = await Finished(id, "?page=3&pageSize=1000");

        Assert.Equal((ImportStatus.Completed, 2_500, 2_500), (view.Status, view.Total, view.Done));
        Assert.Equal((2, 2, 2_498), (view.Counts.Matched, view.Counts.Drift, view.Counts.Unknown));
        Assert.Equal((2_500L, 500), (view.Rows.Total, view.Rows.Items.Count));
        Assert.Equal((2_501, last.Id, Finding.Drift), (view.Rows.Items[^1].Row, view.Rows.Items[^1].CaseId, view.Rows.Items[^1].Finding));
        await using var session = api.Store.QuerySession();
        Assert.Equal(3, await session.Query<ReconciliationChunkFindings>().CountAsync(c => c.ReconciliationId == id));
        Assert.Single(await Reports(first.Id));
    }

    [Fact]
    public async Task a_workbook_is_read_like_csv_and_a_nik_the_spreadsheet_turned_into_a_number_is_an_invalid_row()
    {
        var worker = await Enrolled();
        var xlsx = Workbooks.Xlsx(
            ["KPJ", "NIK", "Status", "paidThrough", "reportedOn"],
            [worker.Kpj, worker.Nik, "inactive", "2026-02", "2026-02-28"],
            [NextKpj(), 1.70402e15, "active", "", "2026-02-28"]);
        using var client = api.Host.Client(_seluma);
        using var content = new ByteArrayContent(xlsx);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        var response = await client.PostAsync("/api/reconciliations?fileName=status.xlsx", content);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var view = await Finished((await response.Content.ReadFromJsonAsync<ReconciliationAccepted>())!.Id);
        Assert.Equal(("status.xlsx", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(xlsx))), (view.FileName, view.FileSha256));
        Assert.Equal((worker.Id, Finding.Drift), (RowAt(view, 2).CaseId, RowAt(view, 2).Finding));
        Assert.Equal(Finding.Invalid, RowAt(view, 3).Finding);
        Assert.Contains(RowAt(view, 3).Reasons!, r => r.StartsWith("nik: ") && r.Contains("format the column as Text"));
    }

    [Fact]
    public async Task findings_and_caseworkers_commands_racing_on_the_same_cases_lose_nothing_and_decide_on_what_was_there()
    {
        var workers = new List<(Guid Id, string Nik, string Kpj)>();
        for (var i = 0; i < 8; i++) workers.Add(await Enrolled());

        using var client = api.Host.Client(_seluma);
        var send = Send(_seluma, workers.Select(w => Row(w.Kpj, w.Nik, "active", "2026-03")).ToArray());
        var payments = workers.Select(w => client.PostJson($"/api/cases/{w.Id}/premium-payments",
            new { month = "2026-03", amount = 16800, paidOn = "2026-03-01" })).ToList();
        var view = await Finished((await send).Id);
        Assert.All(await Task.WhenAll(payments), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(8, view.Counts.Matched);

        await using var session = api.Store.QuerySession();
        foreach (var worker in workers)
        {
            var stream = (await session.Events.FetchStreamAsync(worker.Id)).Select(e => e.Data).ToList();
            Assert.Single(stream.OfType<PremiumPaid>());
            var report = Assert.Single(stream.OfType<InsurerStatusReported>());
            // The finding saw exactly the payments recorded before it in the stream, never a stale view.
            var paidBefore = stream.TakeWhile(e => e is not InsurerStatusReported).OfType<PremiumPaid>().Any();
            Assert.Equal(paidBefore ? new YearMonth(2026, 3) : null, report.OurPaidThrough);
            Assert.Equal(paidBefore ? [] : [Drift.PaidThroughDiffers], report.Drift);
        }
    }

    [Fact]
    public async Task subject_access_finds_a_status_file_row_and_erasure_blanks_it()
    {
        var nik = Niks.Next("1705");
        var view = await Reconciled(_seluma, Row(NextKpj(), nik, "active"));

        var report = await api.Host.Scenario(s =>
        {
            s.Post.Json(new { nik }).ToUrl("/api/audit/subject-access");
            s.WithBearerToken(api.Token("auditor"));
        });
        var held = Assert.Single((await report.ReadAsJsonAsync<SubjectAccessReport>())!.ReconciliationRows);
        Assert.Equal((view.Id, 2, Finding.Unknown, nik), (held.ReconciliationId, held.Row, held.Finding, held.Cells.Nik));

        await api.Host.Scenario(s =>
        {
            s.Post.Json(new { nik, legalBasis = "UU 27/2022 art. 8", reference = "ORD-RECON-1" }).ToUrl("/api/audit/erasures");
            s.WithBearerToken(api.Token("admin"));
            s.StatusCodeShouldBe(201);
        });

        await using var session = api.Store.QuerySession();
        Assert.Empty(await session.QueryAsync<ReconciliationChunk>("where strpos(d.data::text, ?) > 0", nik));
        var after = await Finished(view.Id);
        Assert.Equal((Finding.Unknown, null, null), (RowAt(after, 2).Finding, RowAt(after, 2).MaskedNik, RowAt(after, 2).Kpj));
    }

    [Fact]
    public async Task an_erasure_re_applied_by_subject_id_after_a_restore_blanks_the_status_file_rows_too()
    {
        var (nik, other) = (Niks.Next("1705"), Niks.Next("1705"));
        var view = await Reconciled(_seluma, Row(NextKpj(), nik, "active"), Row(NextKpj(), other, "inactive"));
        var privacy = api.Host.Services.GetRequiredService<EnrolmentCases.Privacy.PersonalData>();

        // What ErasureReapplication runs when the register names a person the restored database holds again.
        await using (var session = api.Store.LightweightSession())
        {
            var blanked = await ReconciliationRowErasure.EraseSubjectsAsync(session, new HashSet<string> { privacy.SubjectOf(nik) }, privacy.SubjectOf,
                CancellationToken.None);
            await session.SaveChangesAsync();
            Assert.Equal(1, blanked);
        }

        var after = await Finished(view.Id);
        Assert.Equal((null, null), (RowAt(after, 2).MaskedNik, RowAt(after, 2).Insurer.Status));
        Assert.Equal(other[..6] + "**********", RowAt(after, 3).MaskedNik);
    }
}
