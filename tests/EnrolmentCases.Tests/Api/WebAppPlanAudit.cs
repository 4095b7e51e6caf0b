using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EnrolmentCases.Identity;
using Microsoft.Playwright;
using static EnrolmentCases.Tests.Api.WebApp;
using static Microsoft.Playwright.Assertions;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The planners' and auditors' pages beyond coverage and the chain, in the browser against the demo data. The demo is
/// shared with other tests: the only thing written is an allocation for a year no other test reads, and the forecast's
/// and the case's figures are asserted relative to each other, not as numbers.
/// </summary>
[Collection(DemoCollection.Name)]
public partial class WebAppPlanAudit(DemoFixture demo, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task a_planner_reads_kaurs_timeline_the_budgets_and_the_forecast_and_records_allocations()
    {
        var server = await browser.ServerAsync(demo);
        var (page, errors) = await browser.PageAsync(server, phone: false);
        await SignInAsync(page, server.Token(Roles.Planner));

        // From the coverage page to Kaur's monthly timeline.
        await page.GetByTestId("coverage-table").GetByRole(AriaRole.Link, new() { Name = "Kabupaten Kaur" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/timeline/17\\.04$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cakupan bulanan · Kabupaten Kaur" })).ToBeVisibleAsync();
        var months = page.GetByTestId("timeline-table").Locator("tbody tr");
        await Expect(months).ToHaveCountAsync(12);
        await Expect(months.Last.Locator("td").Last).ToHaveTextAsync(new Regex(@"^\d+%$"));
        await AssertAccessibleAsync(page, "planner: timeline");

        // Budgets of this year: one line per payer and regency, every figure in rupiah.
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Anggaran" }).ClickAsync();
        var lines = page.GetByTestId("budgets-table").Locator("tbody tr");
        await Expect(lines.First).ToBeVisibleAsync();
        Assert.True(await lines.CountAsync() >= 2);
        await Expect(page.GetByTestId("budgets-table").Locator("tr[data-payer='APBD_PROVINCE'] td").First).ToHaveTextAsync(new Regex(@"^Rp \d"));
        await AssertAccessibleAsync(page, "planner: budgets");
        await NoHorizontalScrollAsync(page, "planner: budgets");
        await browser.ScreenshotAsync(page, "planner-budgets");

        // A bad amount: the API's validation problem, in Indonesian, next to the field; nothing written.
        var form = page.GetByTestId("allocation-form");
        await form.GetByLabel("Jumlah (Rp)").FillAsync("-5000");
        await form.GetByRole(AriaRole.Button, new() { Name = "Catat alokasi" }).ClickAsync();
        await Expect(page.Locator("#allocation-amount-error")).ToHaveTextAsync("harus berupa jumlah rupiah yang positif");
        await Expect(form.GetByLabel("Jumlah (Rp)")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(form.GetByRole(AriaRole.Alert)).ToContainTextAsync("Ada isian yang tidak valid");

        // A good one, for a year far ahead that no other test reads: it shows on that year's page.
        var farYear = DateTime.UtcNow.Year + 5;
        await form.GetByLabel("Tahun").FillAsync(farYear.ToString());
        await form.GetByLabel("Jumlah (Rp)").FillAsync("1.500.000");
        await form.GetByRole(AriaRole.Button, new() { Name = "Catat alokasi" }).ClickAsync();
        await Expect(form.GetByRole(AriaRole.Status)).ToHaveTextAsync("Tersimpan.");
        // The save reloads this year's budgets (in the same render that shows "Tersimpan."): type the year only once they
        // are back, and check the field holds it before leaving it, so the change that navigates is the one typed.
        await Expect(page.GetByTestId("budgets-data")).ToHaveAttributeAsync("aria-busy", "false");
        var yearField = page.Locator("#year");
        await yearField.FillAsync(farYear.ToString());
        await Expect(yearField).ToHaveValueAsync(farYear.ToString());
        await yearField.PressAsync("Enter");
        await yearField.BlurAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"year={farYear}"));
        await Expect(page.GetByTestId("budgets-data")).ToHaveAttributeAsync("aria-busy", "false");
        await Expect(page.GetByTestId("budgets-table").Locator("tbody tr").First.Locator("td").First).ToHaveTextAsync(new Regex(@"^Rp 1[.,]5"));

        // The forecast: a higher target costs more.
        await page.GetByRole(AriaRole.Navigation).GetByRole(AriaRole.Link, new() { Name = "Proyeksi subsidi" }).ClickAsync();
        var needed = page.GetByTestId("needed-cost");
        await Expect(needed).ToHaveTextAsync(new Regex("^Rp "));
        var at39 = await page.GetByTestId("workers-needed").TextContentAsync();
        var costAt39 = await needed.TextContentAsync();
        await AssertAccessibleAsync(page, "planner: forecast");
        await NoHorizontalScrollAsync(page, "planner: forecast");
        await browser.ScreenshotAsync(page, "planner-forecast");
        await page.GetByLabel("Target cakupan (%)").FillAsync("80");
        await page.GetByRole(AriaRole.Button, new() { Name = "Hitung ulang" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("target=80"));
        await Expect(needed).Not.ToHaveTextAsync(costAt39!);
        Assert.True(Number(await page.GetByTestId("workers-needed").TextContentAsync()) > Number(at39), "a higher target needs more workers");

        // A target above 100 %: the API's problem, next to the field.
        await page.GetByLabel("Target cakupan (%)").FillAsync("150");
        await page.GetByRole(AriaRole.Button, new() { Name = "Hitung ulang" }).ClickAsync();
        await Expect(page.Locator("#targetCoverage-error")).ToHaveTextAsync("harus persentase di atas 0 dan paling tinggi 100");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task an_auditor_reads_a_case_history_time_travels_it_and_runs_subject_access()
    {
        var server = await browser.ServerAsync(demo);
        var token = server.Token(Roles.Auditor);
        using var client = server.ClientFor(token);
        var found = await client.GetFromJsonAsync<JsonObject>("/api/cases?stage=subsidized&pageSize=1");
        var subject = found!["items"]![0]!;
        var (id, nik) = (subject["id"]!.GetValue<string>(), subject["nik"]!.GetValue<string>());

        var (page, errors) = await browser.PageAsync(server, phone: true);
        await SignInAsync(page, token);
        await page.GotoAsync($"/history/{id}");
        await Expect(page.GetByTestId("as-of-stage")).ToHaveTextAsync("Bersubsidi");
        var events = page.GetByTestId("audit-timeline").Locator("li");
        await Expect(events.First).ToBeVisibleAsync();
        Assert.True(await events.CountAsync() >= 3);
        await Expect(events.First.GetByTestId("event-user")).Not.ToBeEmptyAsync();
        await AssertAccessibleAsync(page, "auditor: case history");
        await NoHorizontalScrollAsync(page, "auditor: case history");
        await browser.ScreenshotAsync(page, "auditor-case-history");

        // The case as it stood at its first version: identified, not yet subsidised.
        await events.First.GetByRole(AriaRole.Link, new() { Name = "Kasus pada versi 1" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("version=1$"));
        await Expect(page.GetByTestId("as-of-version")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("as-of-stage")).ToHaveTextAsync("Teridentifikasi");

        // Subject access by NIK: the person's case is there, and nothing of the answer is kept in the browser's storage.
        await page.GotoAsync("/subject-access");
        await page.GetByLabel("NIK").FillAsync(nik);
        await page.GetByRole(AriaRole.Button, new() { Name = "Cari data subjek" }).ClickAsync();
        await Expect(page.GetByTestId("subject-cases")).Not.ToHaveTextAsync("0");
        await Expect(page.GetByTestId("subject-report").Locator($"a[href='/history/{id}']")).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "auditor: subject access");
        var stored = await page.EvaluateAsync<string>("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)");
        Assert.DoesNotContain(nik, stored);

        // The access log shows the reads just made.
        await page.GotoAsync($"/access-log?caseId={id}");
        await Expect(page.GetByTestId("access-log").Locator("tbody tr").First).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "auditor: access log");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static long Number(string? text) => long.Parse(Regex.Replace(text ?? "", @"[^\d]", ""));
}
