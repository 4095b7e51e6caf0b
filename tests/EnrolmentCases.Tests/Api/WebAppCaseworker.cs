using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using EnrolmentCases.Identity;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The caseworker's part of the web app in a real browser on a 390 px wide phone, against the demo's data (as WebApp):
/// a worker found with the search box, contacted, enrolled and subsidised through the case page's forms, a
/// budget-exceeded refusal read in Indonesian, a premium payment, the lapses-soon view and a list upload with its
/// outcomes. What it writes stays out of the other demo tests' way: a regency the browser tests do not read
/// (Rejang Lebong, 17.02), a NIK district the demo never issues (88), a KPJ outside the insurer's sample file, and a
/// budget of 2027, a year the demo allocated nothing for; the demo host counts coverage as of its own clock
/// (24 Nov 2026), before anything here was recorded.
/// </summary>
[Collection(DemoCollection.Name)]
public class WebAppCaseworker(DemoFixture demo, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Regency = "17.02";
    private const string Nik = "1702884505900001";
    private const string Name = "Ratna Kemuning Sulistyawati";

    [Fact]
    public async Task a_caseworker_on_a_phone_finds_a_worker_enrols_and_subsidises_them_meets_an_exhausted_budget_records_a_payment_and_uploads_a_list()
    {
        var server = await browser.ServerAsync(demo);
        // Arranged through the API: a regency budget of 2027 too small for a whole year's subsidy, and a worker just identified.
        using (var planner = server.ClientFor(server.Token(Roles.Planner)))
        using (var allocated = await planner.PostAsJsonAsync("/api/budgets",
                   new { payer = "APBD_REGENCY", regencyCode = Regency, year = 2027, amount = 100_000, kind = "APBD", note = "browser test" }))
            Assert.True(allocated.IsSuccessStatusCode, await allocated.Content.ReadAsStringAsync());
        var token = server.Token(Roles.Caseworker, Regency);
        using (var caseworker = server.ClientFor(token))
        using (var opened = await caseworker.PostAsJsonAsync("/api/cases", new
               {
                   nik = Nik, fullName = Name, regencyCode = Regency, district = "Kecamatan Curup", village = "Desa Talang Benih",
                   occupation = "coffee farmer", phone = "081234567890", source = "FIELD"
               }))
            Assert.True(opened.StatusCode == HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());

        var (page, errors) = await browser.PageAsync(server, phone: true);
        await WebApp.SignInAsync(page, token);
        await Expect(page).ToHaveURLAsync(new Regex("/cases$"));

        // Found by words of the name with the search box.
        await page.GetByLabel("Cari (nama, desa, NIK)").FillAsync("kemuning sulistya");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cari", Exact = true }).ClickAsync();
        var cards = page.GetByTestId("worklist").Locator("li");
        await Expect(cards).ToHaveCountAsync(1);
        await Expect(cards.First).ToContainTextAsync(Name);
        await cards.First.Locator("a").ClickAsync();
        var stage = page.GetByTestId("case-stage");
        await Expect(stage).ToHaveTextAsync("Teridentifikasi");
        await Expect(page.Locator(".unavailable [data-command='enrolment']")).ToContainTextAsync("Hanya pekerja yang sudah dihubungi");

        // The next step's form is open: a visit that reached the worker.
        var contact = page.GetByTestId("contact-form");
        await contact.GetByLabel("Cara kontak").SelectOptionAsync("visit");
        await contact.GetByLabel("Hasil").SelectOptionAsync("reached");
        await contact.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        await Expect(stage).ToHaveTextAsync("Dihubungi");
        await Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Tersimpan. Kasus dimuat ulang.");

        // Enrolment: a KPJ of the wrong length is refused next to its field, in Indonesian; then the right one.
        var enrol = page.GetByTestId("enrolment-form");
        await enrol.GetByLabel("Nomor KPJ").FillAsync("12345");
        await enrol.GetByLabel("Penghasilan per bulan (Rp)").FillAsync("2.000.000");
        await Expect(enrol.GetByText("Terbaca: Rp 2.000.000")).ToBeVisibleAsync();
        await enrol.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        await Expect(page.Locator("#enrol-membershipNumber-error")).ToHaveTextAsync("harus nomor KPJ 11 digit");
        await Expect(enrol.GetByLabel("Nomor KPJ")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(enrol.GetByRole(AriaRole.Alert)).ToContainTextAsync("Ada isian yang tidak valid");
        await AssertAccessibleAsync(page, "caseworker: a refused enrolment");
        await enrol.GetByLabel("Nomor KPJ").FillAsync("90000000017");
        await enrol.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        await Expect(stage).ToHaveTextAsync("Terdaftar");

        // A whole year of 2027 does not fit the regency's budget: budget-exceeded, in Indonesian, with what is left.
        var subsidy = page.GetByTestId("subsidy-form");
        await subsidy.GetByLabel("Tahun anggaran").FillAsync("2027");
        await Expect(subsidy.GetByLabel("Bulan mulai")).ToHaveValueAsync("2027-01");
        await Expect(subsidy.GetByLabel("Jumlah bulan")).ToHaveValueAsync("12");
        await subsidy.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        var refusal = subsidy.GetByRole(AriaRole.Alert);
        await Expect(refusal).ToContainTextAsync("Anggaran pembayar tidak mencukupi untuk subsidi ini.");
        await Expect(refusal).ToContainTextAsync("Sisa anggaran: Rp 100.000");
        await Expect(stage).ToHaveTextAsync("Terdaftar");
        await AssertAccessibleAsync(page, "caseworker: budget exceeded");
        // Five months fit.
        await subsidy.GetByLabel("Jumlah bulan").FillAsync("5");
        await subsidy.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        await Expect(stage).ToHaveTextAsync("Bersubsidi");
        var months = page.GetByTestId("payment-months").Locator("li");
        await Expect(months).ToHaveCountAsync(5);
        await Expect(months.First).ToHaveAttributeAsync("data-state", "scheduled");

        // A payment: the form proposes the subsidy's first month at the subsidised premium, paid today.
        var payment = page.GetByTestId("payment-form");
        await Expect(payment.GetByLabel("Bulan iuran")).ToHaveValueAsync("2027-01");
        await Expect(payment.GetByText("Terbaca: Jan 2027")).ToBeVisibleAsync();
        await Expect(payment.Locator("#payment-paidOn-help")).ToHaveTextAsync(WebApp.IndonesianDate);
        await Expect(payment.GetByLabel("Jumlah (Rp)")).Not.ToHaveValueAsync("");
        // The first answer is lost on the way back (the API recorded the payment): the form says so and keeps its
        // Idempotency-Key, so pressing again repeats the same request and gets the first answer, not a conflict.
        var keys = new List<string>();
        var lost = false;
        await page.RouteAsync("**/premium-payments", async route =>
        {
            lock (keys) keys.Add(route.Request.Headers.GetValueOrDefault("idempotency-key") + " " + route.Request.Headers.GetValueOrDefault("if-match"));
            if (lost) { await route.ContinueAsync(); return; }
            lost = true;
            var answered = await route.FetchAsync();
            Assert.Equal(200, answered.Status);
            await route.AbortAsync("connectionreset");
        });
        await payment.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        await Expect(payment.GetByRole(AriaRole.Alert)).ToContainTextAsync("Server tidak dapat dihubungi");
        await Expect(payment.GetByText("tidak akan tercatat dua kali")).ToBeVisibleAsync();
        await payment.GetByRole(AriaRole.Button, new() { Name = "Simpan" }).ClickAsync();
        await Expect(page.Locator(".months li[data-month='2027-01']")).ToHaveAttributeAsync("data-state", "paid");
        await page.UnrouteAllAsync();
        Assert.Equal(2, keys.Count);
        Assert.Equal(keys[0], keys[1]);
        Assert.Matches("^[!-~]{1,100} \"\\d+\"$", keys[0]);
        // The browser logs the dropped connection; nothing else may be logged.
        lock (errors) errors.RemoveAll(e => e.Contains("ERR_CONNECTION_RESET", StringComparison.Ordinal) || e.Contains("ERR_FAILED", StringComparison.Ordinal));
        await Expect(page.Locator(".months li[data-month='2027-01']")).ToContainTextAsync("Dibayar");
        await Expect(page.GetByTestId("timeline").GetByText("Iuran dibayar")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("timeline")).ToContainTextAsync("Subsidi diberikan");
        await AssertAccessibleAsync(page, "caseworker: case page");
        await WebApp.NoHorizontalScrollAsync(page, "caseworker: case page");
        await browser.ScreenshotAsync(page, "caseworker-case");

        // Lapses soon, from the worklist.
        await page.GetByRole(AriaRole.Link, new() { Name = "Daftar kerja", Exact = true }).ClickAsync();
        await page.GetByTestId("lapsing-link").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Segera menunggak" })).ToBeVisibleAsync();
        await Expect(page.GetByTestId("lapsing").Or(page.GetByText("Tidak ada peserta yang akan menunggak"))).ToBeVisibleAsync();
        await page.GetByLabel("Dalam").SelectOptionAsync("90");
        await Expect(page).ToHaveURLAsync(new Regex("within=90"));
        await AssertAccessibleAsync(page, "caseworker: lapsing soon");
        await WebApp.NoHorizontalScrollAsync(page, "caseworker: lapsing soon");

        // A list of three: one new worker, the one above again (duplicate), one NIK too short (invalid).
        await page.GetByRole(AriaRole.Link, new() { Name = "Unggah daftar", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Unggah daftar pekerja" })).ToBeVisibleAsync();
        var template = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Unduh templat .xlsx" }).ClickAsync());
        Assert.Equal("PK"u8.ToArray(), (await File.ReadAllBytesAsync(await template.PathAsync())).Take(2).ToArray());
        var csv = "nik,fullName,regencyCode,district,village,occupation,phone,source\r\n" +
                  $"1702884505900002,Sekar Kemuning Lestari,{Regency},Kecamatan Curup,Desa Talang Benih,coffee farmer,,VILLAGE_LIST\r\n" +
                  $"{Nik},{Name},{Regency},Kecamatan Curup,Desa Talang Benih,coffee farmer,,VILLAGE_LIST\r\n" +
                  $"12345,Nama Keliru,{Regency},Kecamatan Curup,Desa Talang Benih,coffee farmer,,VILLAGE_LIST\r\n";
        await page.GetByLabel("Berkas daftar").SetInputFilesAsync(new FilePayload { Name = "daftar-desa.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv) });
        await page.GetByRole(AriaRole.Button, new() { Name = "Unggah", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/imports\?id="));
        await Expect(page.GetByTestId("import-status")).ToHaveTextAsync("Selesai", new() { Timeout = 60_000 });
        var counts = page.GetByTestId("import-counts");
        await Expect(counts.Locator("[data-count='created']")).ToHaveTextAsync("1");
        await Expect(counts.Locator("[data-count='duplicate']")).ToHaveTextAsync("1");
        await Expect(counts.Locator("[data-count='invalid']")).ToHaveTextAsync("1");
        var rows = page.GetByTestId("import-rows").Locator("li");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(page.Locator("[data-testid='import-rows'] li[data-outcome='invalid']")).ToContainTextAsync("16");
        await Expect(page.Locator("[data-testid='import-rows'] li[data-outcome='created']").GetByRole(AriaRole.Link, new() { Name = "Buka kasus" })).ToBeVisibleAsync();
        var outcomes = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Unduh hasil (CSV)" }).ClickAsync());
        var outcomesCsv = await File.ReadAllTextAsync(await outcomes.PathAsync());
        Assert.Contains("created", outcomesCsv);
        Assert.Contains("invalid", outcomesCsv);
        await AssertAccessibleAsync(page, "caseworker: list upload");
        await WebApp.NoHorizontalScrollAsync(page, "caseworker: list upload");
        await browser.ScreenshotAsync(page, "caseworker-imports");

        // The new worker's case opens from its row.
        await page.Locator("[data-testid='import-rows'] li[data-outcome='created']").GetByRole(AriaRole.Link, new() { Name = "Buka kasus" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sekar Kemuning Lestari" })).ToBeVisibleAsync();
        await Expect(stage).ToHaveTextAsync("Teridentifikasi");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    private static Task AssertAccessibleAsync(IPage page, string what) => WebApp.AssertAccessibleAsync(page, what);
}
