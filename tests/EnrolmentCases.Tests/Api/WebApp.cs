using System.Net;
using System.Text.Json.Nodes;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using EnrolmentCases.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The web app in a real browser (Debian's headless Chromium driven by Playwright) against the built API as a
/// process of its own, on the demo's schema as DemoFixture loaded it: planners, auditors and caseworkers sign in
/// with a pasted token and do their work; axe-core checks every page; each role's main page is kept as a
/// screenshot under artifacts/screenshots. Any script error or Content-Security-Policy violation fails the test.
/// </summary>
[Collection(DemoCollection.Name)]
public class WebApp(DemoFixture demo, BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task a_planner_signs_in_with_a_token_and_reads_coverage_in_indonesian_then_as_of_an_earlier_day()
    {
        var server = await browser.ServerAsync(demo);
        var (page, errors) = await browser.PageAsync(server, phone: false);

        await SignInAsync(page, server.Token(Roles.Planner));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/coverage$"));
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cakupan terhadap target per kabupaten/kota" })).ToBeVisibleAsync();
        var table = page.GetByTestId("coverage-table");
        await Expect(Coverage(table, "17")).ToHaveTextAsync("37%");
        await Expect(Coverage(table, "17.04")).ToHaveTextAsync("75%");
        await Expect(Coverage(table, "17.07")).ToHaveTextAsync("17%");
        // Kaur first, Lebong last: the bars and the table are sorted by coverage.
        await Expect(table.Locator("tbody tr").First).ToHaveAttributeAsync("data-code", "17.04");
        await Expect(table.Locator("tbody tr").Last).ToHaveAttributeAsync("data-code", "17.07");
        await Expect(page.Locator(".tile[data-code='17.04'] .tile-value")).ToHaveTextAsync("75%");
        await Expect(page.GetByTestId("as-of")).ToHaveTextAsync(IndonesianDate);
        await AssertAccessibleAsync(page, "planner: coverage");
        await NoHorizontalScrollAsync(page, "planner: coverage");
        await browser.ScreenshotAsync(page, "planner-coverage");

        // Every chart's data as CSV, with plain numbers.
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Unduh CSV" }).ClickAsync());
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.StartsWith("\ufeffcode,name,identified,contacted,enrolled,subsidized,lapsed,closed,covered,eligibleWorkers,ratio,asOf,basis", csv);
        Assert.Matches(@"\r\n17\.04,Kabupaten Kaur,(\d+,){7}\d+,0\.7\d*,", csv);

        // A year earlier the province had covered fewer workers: the figures follow the date.
        await page.GetByLabel("Per tanggal").FillAsync("2025-11-24");
        await Expect(page.GetByTestId("as-of")).ToContainTextAsync("24 Nov 2025");
        await Expect(Coverage(table, "17")).Not.ToHaveTextAsync("37%");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"asOf=2025-11-24"));
        await page.GetByLabel("Dasar perhitungan").SelectOptionAsync("effective");
        await Expect(page.GetByTestId("as-of")).ToContainTextAsync("Efektif");

        // A day before the data begins: the API's validation problem, in Indonesian, next to the field.
        await page.GetByLabel("Per tanggal").FillAsync("2001-01-01");
        await Expect(page.Locator("#asOf-error")).ToHaveTextAsync("harus berupa tanggal yang sah dan tidak di luar rentang data");
        await Expect(page.GetByLabel("Per tanggal")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Ada isian yang tidak valid");

        // English on request, remembered across a reload.
        await page.GetByLabel("Bahasa").SelectOptionAsync("en");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Coverage against target per regency" })).ToBeVisibleAsync();
        await page.GotoAsync("/coverage");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Coverage against target per regency" })).ToBeVisibleAsync();
        await Expect(Coverage(table, "17")).ToHaveTextAsync("37%");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task an_auditor_verifies_the_chain()
    {
        var server = await browser.ServerAsync(demo);
        var (page, errors) = await browser.PageAsync(server, phone: false);

        await SignInAsync(page, server.Token(Roles.Auditor));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/audit$"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Verifikasi rantai" }).ClickAsync();
        await Expect(page.GetByTestId("chain-verdict")).ToContainTextAsync("Rantai utuh", new() { Timeout = 60_000 });
        var checkedCount = await page.GetByTestId("events-checked").TextContentAsync();
        Assert.True(long.Parse(checkedCount!.Replace(".", "")) > 1_000, checkedCount);
        await AssertAccessibleAsync(page, "auditor: verify the chain");
        await browser.ScreenshotAsync(page, "auditor-verify");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task a_caseworker_works_the_worklist_on_a_phone_and_opens_a_case()
    {
        var server = await browser.ServerAsync(demo);
        var (page, errors) = await browser.PageAsync(server, phone: true);

        await SignInAsync(page, server.Token(Roles.Caseworker, "17.04"));
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/cases$"));
        var cards = page.GetByTestId("worklist").Locator("li");
        await Expect(cards.First).ToBeVisibleAsync();
        Assert.Equal(20, await cards.CountAsync());
        await AssertAccessibleAsync(page, "caseworker: worklist");
        await NoHorizontalScrollAsync(page, "caseworker: worklist");
        await browser.ScreenshotAsync(page, "caseworker-worklist");

        var first = await cards.First.Locator("a").GetAttributeAsync("href");
        await page.GetByRole(AriaRole.Button, new() { Name = "Berikutnya" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("page=2"));
        await Expect(page.GetByText("Halaman 2 dari")).ToBeVisibleAsync();
        await Expect(cards.First.Locator("a")).Not.ToHaveAttributeAsync("href", first!);

        await page.GetByLabel("Tahap").SelectOptionAsync("enrolled");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/cases\\?stage=enrolled$"));
        await Expect(cards.Locator(".stage").Filter(new() { HasNotText = "Terdaftar" })).ToHaveCountAsync(0);
        await Expect(cards.First).ToBeVisibleAsync();

        await cards.First.Locator("a").ClickAsync();
        await Expect(page.GetByTestId("case-stage")).ToHaveTextAsync("Terdaftar");
        await Expect(page.GetByTestId("timeline").Locator("li").First).ToBeVisibleAsync();
        await AssertAccessibleAsync(page, "caseworker: case");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task the_app_is_served_anonymously_under_a_self_only_policy_and_never_shadows_the_api()
    {
        var server = await browser.ServerAsync(demo);
        // A regency's timeline is a page although its last segment has a dot (a reload must not be a 404).
        foreach (var path in new[] { "/", "/coverage", "/cases/00000000-0000-0000-0000-000000000001", "/timeline/17.04" })
        {
            using var page = await server.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", policy);
            Assert.Contains("script-src 'self';", policy);
            Assert.Contains("frame-ancestors 'none'", policy);
            Assert.Equal("no-cache", page.Headers.CacheControl?.ToString());
        }

        var html = await server.Client.GetStringAsync("/");
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        using (var asset = await server.Client.GetAsync(script))
        {
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            Assert.Contains("immutable", asset.Headers.CacheControl?.ToString());
        }

        // The API's own paths answer as the API: problem details, not the app's page.
        foreach (var path in new[] { "/api/no-such-route", "/api/cases", "/health/nothing", "/assets/missing.js" })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized, $"{path} -> {response.StatusCode}");
            Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
        }

        var config = JsonNode.Parse(await server.Client.GetStringAsync("/api/app-config"))!;
        Assert.True(config["developmentTokens"]!.GetValue<bool>());
        Assert.Null(config["oidc"]);
    }

    [Fact]
    public async Task the_web_clients_copy_of_the_openapi_document_is_current()
    {
        var server = await browser.ServerAsync(demo);
        var live = JsonNode.Parse(await server.Client.GetStringAsync("/openapi/v1.json"))!.AsObject();
        live.Remove("servers");
        var path = Path.Combine(BrowserFixture.RepositoryRoot, "web", "openapi", "v1.json");
        if (Environment.GetEnvironmentVariable("WRITE_WEB_OPENAPI") == "1")
            await File.WriteAllTextAsync(path, live.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(path));
        Assert.True(JsonNode.DeepEquals(live, committed),
            "web/openapi/v1.json, which the web app's typed client is generated from, differs from the API's /openapi/v1.json. " +
            "Write it afresh and commit it: WRITE_WEB_OPENAPI=1 ./test.sh --filter \"FullyQualifiedName~WebApp.the_web_clients\"");
    }

    internal static readonly System.Text.RegularExpressions.Regex IndonesianDate =
        new(@"\b\d{1,2} (Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des) \d{4}\b");

    private static ILocator Coverage(ILocator table, string code) => table.Locator($"tr[data-code='{code}'] td").Last;

    internal static async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("Token").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Masuk", Exact = true }).ClickAsync();
    }

    /// <summary>No serious or critical violation of WCAG 2.1 A/AA rules, as axe-core finds them on the page as it stands.</summary>
    internal static async Task AssertAccessibleAsync(IPage page, string what)
    {
        var result = await page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{what}: " + string.Join("\n", serious.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
    }

    internal static async Task NoHorizontalScrollAsync(IPage page, string what)
    {
        // Against the viewport asked for: an emulated phone widens its layout (and window.innerWidth) to fit a page too wide.
        var (scroll, width) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), page.ViewportSize?.Width ?? await page.EvaluateAsync<int>("window.innerWidth"));
        Assert.True(scroll <= width, $"{what}: the page is {scroll}px wide in a {width}px window");
    }
}

/// <summary>
/// Headless Chromium (Debian's, /usr/bin/chromium; ./test.sh installs it) and the API as a process of its own on the
/// demo's schema, started once for the class and stopped after it. The background sweep stays off, as in the loading host,
/// so "now" shows what the demo left.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private readonly SemaphoreSlim _starting = new(1, 1);
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private ApiServer? _server;
    private DemoFixture? _demo;
    private IReadOnlyList<Uri> _hostAgents = [];

    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EnrolmentCases.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("EnrolmentCases.sln not found above the tests");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task<ApiServer> ServerAsync(DemoFixture demo)
    {
        await _starting.WaitAsync();
        try
        {
            if (_server is not null) return _server;
            _demo = demo;
            _hostAgents = Agents(demo);
            return _server = await ApiServer.StartAsync("demo_check", settings: new Dictionary<string, string>
            {
                ["Audit:Anchors:Directory"] = demo.AnchorDirectory,
                ["Lapse:SweepIntervalMinutes"] = "0",
                ["Audit:ErasureRegister:IntervalSeconds"] = "0",
                ["RateLimiting:PermitLimit"] = "100000"
            });
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>A fresh browser context (no stored token or language) on the server; script errors and console errors are collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> PageAsync(ApiServer server, bool phone)
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: ./test.sh installs Debian's chromium package (apt-get install -y chromium) when run as root.");
        await _starting.WaitAsync();
        try
        {
            _playwright ??= await Microsoft.Playwright.Playwright.CreateAsync();
            _browser ??= await _playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
            });
        }
        finally
        {
            _starting.Release();
        }

        var context = await _browser.NewContextAsync(new()
        {
            BaseURL = server.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = phone ? new() { Width = 390, Height = 844 } : new() { Width = 1280, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
            Locale = "id-ID",
            TimezoneId = "Asia/Jakarta",
            AcceptDownloads = true
        });
        context.SetDefaultTimeout(20_000);
        SetDefaultExpectTimeout(20_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        // A refusal the page shows (a 400 for a bad date) is logged by the browser too: that one is expected.
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal))
                lock (errors) errors.Add($"console: {message.Text}");
        };
        page.PageError += (_, error) => { lock (errors) errors.Add($"script: {error}"); };
        return (page, errors);
    }

    /// <summary>Kept under artifacts/screenshots (not committed; docs/screenshots holds the copies the README shows).</summary>
    public async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(RepositoryRoot, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    private static IReadOnlyList<Uri> Agents(DemoFixture demo) =>
        demo.Host.Services.GetRequiredService<Wolverine.Runtime.IWolverineRuntime>().Agents.AllRunningAgentUris();

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        if (_server is null) return;
        // Stopped as a node stops (SIGTERM). The loading host, which the second node took agents from, runs them all
        // again before the collection's next tests (a projection rebuild must not meet an agent starting up).
        await _server.StopAsync();
        await _server.DisposeAsync();
        var until = DateTime.UtcNow.AddSeconds(90);
        while (_hostAgents.Except(Agents(_demo!)).Any() && DateTime.UtcNow < until) await Task.Delay(250);
        var missing = _hostAgents.Except(Agents(_demo!)).ToList();
        if (missing.Count > 0) throw new TimeoutException($"The demo host did not take back {string.Join(", ", missing)}");
    }
}
