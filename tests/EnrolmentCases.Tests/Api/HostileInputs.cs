using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alba;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every route of the table in Routes, sent what a careless script or a curious caller might send:
/// malformed JSON, wrong types, huge and control-character strings, absurd numbers and dates, the wrong
/// content type, a body over its limit, absurd query values and ids. Each must be a 4xx problem with a
/// `type` (never a 500) that writes nothing. Fields and query parameters come from each route's sample
/// request, so a route added to the table is attacked here without another line.
/// </summary>
[Collection(InputsCollection.Name)]
public class HostileInputs(InputsFixture api)
{
    private static readonly string Huge = new('x', 100_000);

    private static readonly string[] Malformed = ["{", "not json", "[]", "null", "\"text\"", "{\"a\":", "{}}", "\u0000", "{\"note\":\"\\ud800\"}"];

    // Each list holds only values no field of that kind may take. (A lone surrogate such as "\ud800" is not
    // among them: the JSON reader turns it into U+FFFD, a character like any other.)
    private static readonly JsonNode?[] AbsurdText = [Huge, "\u0000", "a\u001bb", 1e308, -1, long.MaxValue, true, new JsonObject()];
    private static readonly JsonNode?[] AbsurdNumbers = [1e308, -1, -1e308, long.MaxValue, ulong.MaxValue, "NaN", "Infinity", "\u0000", Huge, true, 0.5,
        JsonNode.Parse(new string('9', 5_000))];
    /// <summary>For a field whose sample is negative (an adjustment's amount): a signed amount, so -1 is fair, and 0 is not.</summary>
    private static readonly JsonNode?[] AbsurdSignedNumbers = [.. AbsurdNumbers.Where(n => n?.ToJsonString() != "-1"), 0];
    private static readonly JsonNode?[] AbsurdDates = ["9999-12-31", "0001-01-01", "1900-01-01", "2026-02-30", "yesterday", 1e308, -1, "\u0000", Huge];
    private static readonly JsonNode?[] AbsurdInstants = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2013-12-31T00:00:00Z", "2026-03-01T25:00:00Z",
        "now", 1e308, -1, "\u0000", Huge];
    private static readonly JsonNode?[] AbsurdMonths = ["9999-12", "0001-01", "2013-12", "2026-13", "March", 1e308, -1, "\u0000", Huge];

    /// <summary>The kind of a field, read from its value in the route's sample body.</summary>
    private static JsonNode?[] AbsurdFor(JsonNode? sample) => sample switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) && Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}$") => AbsurdDates,
        JsonValue v when v.TryGetValue<string>(out var text) && Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}T") => AbsurdInstants,
        JsonValue v when v.TryGetValue<string>(out var text) && Regex.IsMatch(text, @"^\d{4}-\d{2}$") => AbsurdMonths,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.ToJsonString().StartsWith('-') => AbsurdSignedNumbers,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => AbsurdNumbers,
        _ => AbsurdText
    };

    /// <summary>Over the 1 MiB a JSON body may hold: a valid-looking body whose note is huge.</summary>
    private static readonly string OverOneMebibyte = $$"""{"note":"{{new string('x', 1024 * 1024 + 1)}}"}""";

    public static TheoryData<string> JsonRoutes => new(Routes.All.Where(r => r is { TakesBody: true, Body: not null, ContentType: "application/json" }).Select(r => r.Key));

    public static TheoryData<string> WriteRoutes => new(Routes.All.Where(r => r.TakesBody).Select(r => r.Key));

    public static TheoryData<string> QueryRoutes => new(Routes.All.Where(r => r.Method == "GET" && r.Query.Length > 0).Select(r => r.Key));

    public static TheoryData<string> IdRoutes => new(Routes.All.Where(r => r.Id != Routes.Resource.None).Select(r => r.Key));

    /// <summary>The route's path for a resource the allowed caller may reach (a Kaur case, their own import), and the caller's token.</summary>
    private async Task<(string Token, Guid Id)> CallerOf(Routes.Route route)
    {
        var role = route.Allowed[0];
        var token = api.Token(role, role == "caseworker" ? ["17.04"] : []);
        var id = route.Id switch
        {
            Routes.Resource.Case => await api.Host.EnrolledCase(token),
            Routes.Resource.Import => await api.Host.StartImport(token, Routes.CsvHeader),
            _ => Guid.Empty
        };
        return (token, id);
    }

    [Theory]
    [MemberData(nameof(JsonRoutes))]
    public async Task hostile_bodies_are_refused_with_a_problem_and_write_nothing(string key)
    {
        var route = Routes.All.Single(r => r.Key == key);
        var (token, id) = await CallerOf(route);
        var sample = JsonNode.Parse(route.SampleBody()!)!.AsObject();

        var bodies = new List<string>(Malformed);
        foreach (var (field, value) in sample)
        {
            foreach (var absurd in AbsurdFor(value))
            {
                var body = sample.DeepClone().AsObject();
                body[field] = absurd?.DeepClone();
                bodies.Add(body.ToJsonString());
            }
        }

        await AssertRefused(token, route.Method, route.Url(id), bodies, "application/json");
    }

    [Theory]
    [MemberData(nameof(JsonRoutes))]
    public async Task a_json_body_of_another_content_type_is_415(string key)
    {
        var route = Routes.All.Single(r => r.Key == key);
        var (token, id) = await CallerOf(route);
        foreach (var type in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded" })
            await AssertRefused(token, route.Method, route.Url(id), [route.SampleBody()!], type, expected: 415);
    }

    [Theory]
    [MemberData(nameof(WriteRoutes))]
    public async Task a_body_over_its_limit_is_413(string key)
    {
        var route = Routes.All.Single(r => r.Key == key);
        var (token, id) = await CallerOf(route);
        var (body, type) = route.ContentType == "text/csv"
            ? (Routes.CsvHeader + new string('x', (int)EnrolmentCases.Imports.StartImportEndpoint.MaxBytes), "text/csv")
            : (OverOneMebibyte, "application/json");
        await AssertRefused(token, route.Method, route.Url(id), [body], type, expected: 413);
    }

    // Per kind of query value, values no parameter of that kind may take.
    private static readonly string[] HugeQuery = [new('1', 5_000)];
    private static readonly string[] AbsurdCounts = ["-1", "99999999999999999999999", "1e308", "NaN", "1.5", "abc", "%00", .. HugeQuery];
    private static readonly string[] AbsurdPositive = ["0", "2147483648", .. AbsurdCounts];
    private static readonly string[] AbsurdYears = ["0", "-1", "1", "9999", "2013", "2147483648", "1e308", "abc", "%00", .. HugeQuery];
    private static readonly string[] AbsurdFractions = ["-1", "2", "1e308", "-1e308", "NaN", "Infinity", "abc", "%00", .. HugeQuery];
    private static readonly string[] AbsurdQueryDates = ["9999-12-31", "0001-01-01", "2013-12-31", "2026-13-45", "9999-12-31T23:59:59Z",
        "0001-01-01T00:00:00Z", "yesterday", "%00", .. HugeQuery];
    private static readonly string[] AbsurdQueryMonths = ["9999-12", "0001-01", "2013-12", "2026-13", "2026-00", "March", "%00", .. HugeQuery];
    private static readonly string[] AbsurdWords = ["unknown", "%00", "a%1bb", .. HugeQuery];
    private static readonly string[] AbsurdQueryText = ["%00", "a%1bb", new('x', 5_000)];

    private static string[] AbsurdQueryFor(string name, string sample) => sample switch
    {
        _ when name == "year" => AbsurdYears,
        _ when Regex.IsMatch(sample, @"^\d{4}-\d{2}-\d{2}") => AbsurdQueryDates,
        _ when Regex.IsMatch(sample, @"^\d{4}-\d{2}$") => AbsurdQueryMonths,
        "0" => AbsurdCounts,
        _ when Regex.IsMatch(sample, @"^\d+$") => AbsurdPositive,
        _ when Regex.IsMatch(sample, @"^0\.\d+$") => AbsurdFractions,
        _ when Regex.IsMatch(sample, "^[a-z_]+$") => AbsurdWords,
        _ => AbsurdQueryText
    };

    /// <summary>Queries beyond one spoiled value: ranges the wrong way round, pages past any end.</summary>
    private static readonly Dictionary<string, string[]> HostileQueries = new()
    {
        ["GET /api/coverage/{code}/timeline"] = ["from=2026-06&to=2026-01", "from=2014-01&to=2036-12"],
        ["GET /api/cases"] = ["page=2147483647&pageSize=200", "pageSize=2147483647"],
        ["GET /api/cases/{id}"] = ["version=0", "version=-1", "version=9223372036854775808", "version=1e308", "version=abc", "version=%00",
            "version=1&asOf=2026-03-01", "asOf=9999-12-31", "asOf=9999-12-31T23:59:59Z", "asOf=0001-01-01", "asOf=2013-12-31", "asOf=yesterday",
            "asOf=%00"],
        ["GET /api/imports/{id}"] = ["rowsPage=2147483647&rowsPageSize=10000"],
    };

    [Theory]
    [MemberData(nameof(QueryRoutes))]
    public async Task hostile_query_values_are_refused_with_a_problem(string key)
    {
        var route = Routes.All.Single(r => r.Key == key);
        var (token, id) = await CallerOf(route);
        var sample = route.Query.Split('&').Select(p => p.Split('=', 2)).Select(p => (Name: p[0], Value: p[1])).ToList();
        var queries = new List<string>(HostileQueries.GetValueOrDefault(route.Key, []));
        foreach (var (name, value) in sample)
        foreach (var absurd in AbsurdQueryFor(name, value))
            queries.Add(string.Join("&", sample.Select(p => p.Name == name ? $"{name}={absurd}" : $"{p.Name}={p.Value}")));

        await AssertRefused(token, "GET", null, [""], "application/json", queries.Select(q => $"{route.Path(id)}?{q}"));
    }

    [Theory]
    [MemberData(nameof(IdRoutes))]
    public async Task hostile_ids_in_the_path_are_refused(string key)
    {
        var route = Routes.All.Single(r => r.Key == key);
        var (token, _) = await CallerOf(route);
        var path = route.Path(Guid.Empty);
        var urls = new[] { "not-a-guid", "%07", "00000000-0000-0000-0000-00000000000g", new string('1', 5_000), "..%2F..%2Fhealth" }
            .Select(bad => path.Replace(Guid.Empty.ToString(), bad));
        await AssertRefused(token, route.Method, null, [route.SampleBody() ?? ""], route.ContentType, urls);
    }

    [Fact]
    public async Task hostile_target_years_in_the_path_are_refused() =>
        await AssertRefused(api.Token("planner"), "PUT", null, ["""{"eligibleWorkers":100,"source":"BPS"}"""], "application/json",
            ["/api/regencies/17.04/targets/9999", "/api/regencies/17.04/targets/-1", "/api/regencies/17.04/targets/2013",
             "/api/regencies/17.04/targets/99999999999", "/api/regencies/17.04/targets/1e308", "/api/regencies/17.04%07/targets/2026"]);

    [Fact]
    public async Task hostile_imports_are_refused() =>
        await AssertRefused(api.Token("caseworker", "17.04"), "POST", "/api/imports",
            ["", "\u0000", Huge, "nik\r\n" + Huge, "nik,fullName\u0000,regencyCode\r\n"], "text/csv",
            ["/api/imports?fileName=" + Uri.EscapeDataString(Huge[..1000]), "/api/imports?fileName=a%00b", "/api/imports?listSource=%1b"],
            validBody: "nik,fullName,regencyCode,district,village,occupation,phone,source\r\n");

    /// <summary>Workbooks that are damaged, disguised, too wide, or that would inflate to gigabytes: each a 400 problem, nothing written.</summary>
    [Fact]
    public async Task hostile_workbooks_are_refused()
    {
        var good = Workbooks.Xlsx(["nik", "fullName", "regencyCode", "occupation", "source"], [Niks.Next(), "Siti", "17.04", "fisher", "P3KE"]);
        var garbled = good.ToArray();
        for (var i = 100; i < garbled.Length - 100; i += 5) garbled[i] ^= 0x55;
        // 300 MB of zeros packed into a few hundred kilobytes: refused from the sizes its directory declares, before any inflating.
        var bomb = Workbooks.WithPart(good, "xl/media/zeros.bin", part =>
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 300; i++) part.Write(zeros);
        });
        var wide = Workbooks.Xlsx([.. Enumerable.Range(0, 150).Select(i => (object?)$"c{i}")], ["x"]);
        byte[] legacy = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, .. new byte[512]];
        byte[][] bodies = [good[..(good.Length / 2)], garbled, bomb, wide, legacy, "PK\u0003\u0004 not a zip"u8.ToArray()];

        using var client = api.Host.Client(api.Token("caseworker", "17.04"));
        var before = await api.WrittenAsync();
        foreach (var (body, i) in bodies.Select((b, i) => (b, i)))
        foreach (var type in new[] { EnrolmentCases.Infrastructure.Tables.TableReader.XlsxContentType, "text/csv" })
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue(type);
            using var response = await client.PostAsync("/api/imports?fileName=list.xlsx", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == 400 && text.Contains("/problems/validation"), $"workbook {i} as {type}: {(int)response.StatusCode} {Shorten(text)}");
        }

        Assert.Equal(before, await api.WrittenAsync());
    }

    /// <summary>Sends each body to the url (or a valid body to each of the extra urls); every answer must be a 4xx problem and nothing may be written.</summary>
    private async Task AssertRefused(string token, string method, string? url, IEnumerable<string> bodies, string contentType,
        IEnumerable<string>? urls = null, string? validBody = null, int? expected = null)
    {
        var requests = (url is null ? [] : bodies.Select(b => (Url: url, Body: b)))
            .Concat((urls ?? []).Select(u => (Url: u, Body: validBody ?? bodies.First())));
        using var client = api.Host.Client(token);
        var before = await api.WrittenAsync();
        var failures = new List<string>();
        foreach (var (target, body) in requests)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), target);
            if (method != "GET")
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
            }

            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            var type = response.Content.Headers.ContentType?.MediaType == "application/problem+json"
                ? JsonNode.Parse(text)?["type"]?.GetValue<string>()
                : null;
            if (status is < 400 or > 499 || (expected is not null && status != expected) || type is null)
                failures.Add($"{method} {Shorten(target)} {Shorten(body)} -> {status} {Shorten(text)}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, await api.WrittenAsync());
    }

    private static string Shorten(string text) => text.Length > 160 ? text[..160] + $"... ({text.Length} chars)" : text;
}
