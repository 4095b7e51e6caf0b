using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EnrolmentCases.Identity;
using EnrolmentCases.Lapses.Risk;
using EnrolmentCases.Regencies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static EnrolmentCases.Tests.Api.WebApp;
using static Microsoft.Playwright.Assertions;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The rest of the planners' and caseworkers' work in the browser, in the same class (and so on the same API process and
/// browser) as the planner and auditor pages: the insurer's status file reconciled and its finding on the case page, a
/// target set, the daily lapse-risk list, the app in English, and a worker identified through the form. What it writes
/// stays out of the other demo tests' way: a status-file row and a new worker in Rejang Lebong (17.02, with a NIK district
/// the demo never issues), a target four years ahead, and the daily lists of a day a week before the soonest lapse.
/// </summary>
public partial class WebAppPlanAudit
{
    private const string Regency = "17.02";
    private const string NewWorkerNik = "1702884505900003";

    [Fact]
    public async Task a_planner_reconciles_the_insurers_file_sets_a_target_reads_the_daily_lapse_risk_in_both_languages_and_a_caseworker_sees_the_finding_and_identifies_a_worker()
    {
        var server = await browser.ServerAsync(demo);
        var plannerToken = server.Token(Roles.Planner);
        var caseworkerToken = server.Token(Roles.Caseworker, Regency);

        // A demo member of Rejang Lebong (not one a browser test made), whom the insurer reports inactive.
        using var caseworkerClient = server.ClientFor(caseworkerToken);
        var enrolled = (await caseworkerClient.GetFromJsonAsync<JsonObject>($"/api/cases?regency={Regency}&stage=enrolled&pageSize=50"))!["items"]!
            .AsArray().Select(c => c!.AsObject()).First(c => c["nik"]!.GetValue<string>().Substring(4, 2) != "88");
        var (caseId, nik, kpj) = (enrolled["id"]!.GetValue<string>(), enrolled["nik"]!.GetValue<string>(), enrolled["membershipNumber"]!.GetValue<string>());
        var reportedOn = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var statusFile = $"kpj,nik,status,paidThrough,reportedOn\r\n{kpj},{nik},inactive,,{reportedOn}\r\n";

        var (page, errors) = await browser.PageAsync(server, phone: false);
        await SignInAsync(page, plannerToken);

        // The status file, uploaded; the report names the regency.
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Rekonsiliasi" }).ClickAsync();
        await page.Locator("#statusFile").SetInputFilesAsync(new FilePayload { Name = "status-bpjs.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(statusFile) });
        await page.Locator("form:has(#statusFile) button[type=submit]").ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/reconciliations/[0-9a-f-]{36}$"));
        await Expect(page.GetByTestId("recon-status")).ToHaveTextAsync("Selesai", new() { Timeout = 60_000 });
        await Expect(page.GetByTestId("recon-rows").Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("recon-rows").Locator("tbody tr td").Nth(4)).ToHaveTextAsync("Kabupaten Rejang Lebong");
        await Expect(page.GetByTestId("recon-regencies").Locator($"tr[data-code='{Regency}'] th")).ToHaveTextAsync("Kabupaten Rejang Lebong");
        await AssertAccessibleAsync(page, "planner: reconciliation report");

        // A target for a year four years ahead, read back in that year's timeline (opened by its address, as a reload would).
        var year = DateTime.UtcNow.Year + 4;
        await page.GotoAsync($"/timeline/{Regency}?from={year}-01&to={year}-02");
        var months = page.GetByTestId("timeline-table").Locator("tbody tr");
        await Expect(months).ToHaveCountAsync(2);
        var target = page.GetByTestId("target-form");
        await target.Locator("#target-year").FillAsync(year.ToString(CultureInfo.InvariantCulture));
        await target.Locator("#target-eligibleWorkers").FillAsync("12.345");
        await target.Locator("#target-source").FillAsync("Uji peramban");
        await target.Locator("button[type=submit]").ClickAsync();
        await Expect(target.GetByRole(AriaRole.Status)).ToHaveTextAsync("Tersimpan.");
        await Expect(months.First).ToContainTextAsync("12.345");

        // A daily list with cases in it: the soonest lapse the API knows of, and the lists the daily job records a week before
        // it (on the demo host, at that day's 09:00 WIB on the demo's clock; no other test reads the daily lists).
        using var auditorClient = server.ClientFor(server.Token(Roles.Auditor));
        var soonest = (await auditorClient.GetFromJsonAsync<JsonObject>("/api/lapse-risk?withinDays=366&pageSize=1"))!["items"]![0]!;
        var (riskRegency, lapsesOn) = (soonest["regencyCode"]!.GetValue<string>(), DateOnly.Parse(soonest["lapsesOn"]!.GetValue<string>(), CultureInfo.InvariantCulture));
        var day = (await RecordDailyListsAsync(lapsesOn.AddDays(-7))).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using var plannerClient = server.ClientFor(plannerToken);
        var list = await plannerClient.GetFromJsonAsync<JsonObject>($"/api/lapse-risk/daily?regency={riskRegency}&on={day}");
        var cases = list!["counts"]!["cases"]!.GetValue<int>();
        Assert.True(cases > 0, $"the list of {riskRegency} on {day} is empty");

        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Risiko menunggak harian" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Daftar risiko menunggak harian" })).ToBeVisibleAsync();
        await page.GotoAsync($"/lapse-risk?regency={riskRegency}&on={day}");
        await Expect(page.GetByTestId("daily-risk-cases")).ToHaveTextAsync(cases.ToString("N0", new CultureInfo("id-ID")));
        var rows = page.GetByTestId("daily-risk-table").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(Math.Min(cases, 50));
        await Expect(rows.First.Locator("td").Nth(1)).ToHaveTextAsync(IndonesianDate);
        await Expect(page.GetByTestId("daily-risk-table").Locator("a")).ToHaveCountAsync(0); // planners do not open cases
        await AssertAccessibleAsync(page, "planner: daily lapse risk");
        await NoHorizontalScrollAsync(page, "planner: daily lapse risk");
        await browser.ScreenshotAsync(page, "planner-lapse-risk");

        // A day without a recorded list says so.
        await page.Locator("#on").FillAsync("2026-01-05");
        await Expect(page).ToHaveURLAsync(new Regex("on=2026-01-05"));
        await Expect(page.GetByTestId("daily-risk-none")).ToContainTextAsync("Tidak ada daftar yang dicatat");
        await AssertAccessibleAsync(page, "planner: daily lapse risk, no list");

        // In English: English texts, dates and numbers.
        await page.GotoAsync($"/lapse-risk?regency={riskRegency}&on={day}");
        await page.GetByLabel("Bahasa").SelectOptionAsync("en");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Daily lapse-risk list" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("daily-risk-table").Locator("thead")).ToContainTextAsync("Lapses on");
        await Expect(rows.First.Locator("td").Nth(1)).ToHaveTextAsync(new Regex(@"^\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$"));
        await Expect(page.GetByTestId("daily-risk-cases")).ToHaveTextAsync(cases.ToString("N0", CultureInfo.GetCultureInfo("en-GB")));
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Subsidy forecast" }).ClickAsync();
        await Expect(page.GetByTestId("needed-cost")).ToHaveTextAsync(new Regex(@"^Rp \d+(\.\d)? (thousand|million|billion|trillion)$"));
        await AssertAccessibleAsync(page, "planner: forecast in English");
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        // The caseworker of the regency, on a phone: the insurer's finding on the case page.
        var (phone, phoneErrors) = await browser.PageAsync(server, phone: true);
        await SignInAsync(phone, caseworkerToken);
        await phone.GotoAsync($"/cases/{caseId}");
        var finding = phone.GetByTestId("insurer-finding");
        await Expect(finding).ToBeVisibleAsync();
        await Expect(finding).ToContainTextAsync("Tidak aktif");
        await AssertAccessibleAsync(phone, "caseworker: case with the insurer's finding");

        // A worker identified through the form: a NIK too short is refused under its field, then the case opens.
        await phone.GotoAsync("/cases");
        await phone.GetByTestId("identify-link").ClickAsync();
        var form = phone.GetByTestId("identify-form");
        await form.Locator("#identify-nik").FillAsync("17028845");
        await form.Locator("#identify-fullName").FillAsync("Wulan Kemuning Pratiwi");
        await form.Locator("#identify-village").FillAsync("Desa Talang Benih");
        await form.Locator("#identify-occupation").FillAsync("penjual sayur");
        await form.Locator("#identify-source").SelectOptionAsync("VILLAGE_LIST");
        await Expect(form.Locator("#identify-regencyCode")).ToHaveValueAsync(Regency);
        await form.GetByTestId("identify-send").ClickAsync();
        await Expect(form.Locator("#identify-nik")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(form.Locator("#identify-nik-error")).Not.ToBeEmptyAsync();
        await AssertAccessibleAsync(phone, "caseworker: identify a worker, refused");
        await NoHorizontalScrollAsync(phone, "caseworker: identify a worker");
        await form.Locator("#identify-nik").FillAsync(NewWorkerNik);
        await form.GetByTestId("identify-send").ClickAsync();
        await Expect(phone).ToHaveURLAsync(new Regex("/cases/[0-9a-f-]{36}$"));
        await Expect(phone.GetByRole(AriaRole.Heading, new() { Name = "Wulan Kemuning Pratiwi" })).ToBeVisibleAsync();
        await Expect(phone.GetByTestId("case-stage")).ToHaveTextAsync("Teridentifikasi");
        var created = new Uri(phone.Url).AbsolutePath["/cases/".Length..];

        // The same worker again: duplicate-case, with the open case linked.
        await phone.GotoAsync("/cases/new");
        await form.Locator("#identify-nik").FillAsync(NewWorkerNik);
        await form.Locator("#identify-fullName").FillAsync("Wulan Kemuning Pratiwi");
        await form.Locator("#identify-occupation").FillAsync("penjual sayur");
        await form.GetByTestId("identify-send").ClickAsync();
        await Expect(form.GetByRole(AriaRole.Alert)).ToContainTextAsync("Sudah ada kasus terbuka untuk NIK ini.");
        await Expect(form.GetByTestId("existing-case").Locator("a")).ToHaveAttributeAsync("href", $"/cases/{created}");
        Assert.Empty(phoneErrors);
    }

    /// <summary>
    /// Runs the daily job on the demo host as of a day's 09:00 WIB. The demo's clock is set for this call's flow only (an
    /// AsyncLocal: the change does not return to the caller), so the host's clock stays as it was for everyone else.
    /// </summary>
    private async Task<DateOnly> RecordDailyListsAsync(DateOnly day)
    {
        ((EnrolmentCases.DemoData.DemoClock)demo.Host.Services.GetRequiredService<TimeProvider>()).Set(
            new DateTimeOffset(day.ToDateTime(new TimeOnly(9, 0)), TimeSpan.FromHours(7)));
        await demo.Host.Services.GetRequiredService<DailyLapseRiskJob>().RecordAsync(CancellationToken.None);
        var calendar = demo.Host.Services.GetRequiredService<ProvinceCalendar>();
        return calendar.DateOn(calendar.Now);
    }
}
