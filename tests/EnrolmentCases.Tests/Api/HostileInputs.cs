using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Alba;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every write route, sent what a careless script or a curious caller might send: malformed JSON,
/// wrong types, a 100,000-character string, control characters, absurd numbers and dates. Each must
/// be a 4xx problem (never a 500) that writes nothing.
/// </summary>
[Collection(InputsCollection.Name)]
public class HostileInputs(InputsFixture api)
{
    private static readonly string Huge = new('x', 100_000);

    private static readonly string[] Malformed = ["{", "not json", "[]", "null", "\"text\"", "{\"a\":", "{}}", "\u0000"];

    // Each list holds only values no field of that kind may take.
    private static readonly JsonNode?[] AbsurdText = [Huge, "\u0000", "a\u001bb", 1e308, -1, long.MaxValue, true, new JsonObject()];
    private static readonly JsonNode?[] AbsurdNumbers = [1e308, -1, long.MaxValue, "\u0000", Huge, true, JsonNode.Parse(new string('9', 5_000))];
    private static readonly JsonNode?[] AbsurdDates = ["9999-12-31", "0001-01-01", "1900-01-01", 1e308, -1, "\u0000", Huge];
    private static readonly JsonNode?[] AbsurdInstants = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2013-12-31T00:00:00Z", 1e308, -1, "\u0000", Huge];
    private static readonly JsonNode?[] AbsurdMonths = ["9999-12", "0001-01", "2013-12", 1e308, -1, "\u0000", Huge];

    private enum Kind { Text, Number, Date, Instant, Month }

    private sealed record Route(string Method, string Url, string Role, string Body, params (string Field, Kind Kind)[] Fields);

    private static readonly Dictionary<string, Route> Routes = new()
    {
        ["identify"] = new("POST", "/api/cases", "caseworker",
            """{"nik":"1704010101900001","fullName":"Siti","regencyCode":"17.04","occupation":"farmer","source":"P3KE","district":"Kaur","village":"Padang","phone":"081270001234"}""",
            ("nik", Kind.Text), ("fullName", Kind.Text), ("regencyCode", Kind.Text), ("occupation", Kind.Text), ("source", Kind.Text),
            ("district", Kind.Text), ("village", Kind.Text), ("phone", Kind.Text)),
        ["contact"] = new("POST", "/api/cases/{id}/contact-attempts", "caseworker", """{"channel":"visit","outcome":"reached","note":"ok"}""",
            ("channel", Kind.Text), ("outcome", Kind.Text), ("note", Kind.Text), ("occurredAt", Kind.Instant)),
        ["enrol"] = new("POST", "/api/cases/{id}/enrolment", "caseworker",
            """{"membershipNumber":"12345678901","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000,"effectiveDate":"2026-03-01"}""",
            ("membershipNumber", Kind.Text), ("programmes", Kind.Text), ("declaredMonthlyIncome", Kind.Number), ("effectiveDate", Kind.Date)),
        ["subsidy"] = new("POST", "/api/cases/{id}/subsidy", "caseworker", """{"payer":"APBD_PROVINCE","budgetYear":2026,"startMonth":"2026-04","months":3}""",
            ("payer", Kind.Text), ("budgetYear", Kind.Number), ("startMonth", Kind.Month), ("months", Kind.Number)),
        ["payment"] = new("POST", "/api/cases/{id}/premium-payments", "caseworker", """{"month":"2026-03","amount":16800,"paidOn":"2026-03-01"}""",
            ("month", Kind.Month), ("amount", Kind.Number), ("paidOn", Kind.Date)),
        ["closure"] = new("POST", "/api/cases/{id}/closure", "caseworker", """{"reason":"declined","note":"ok"}""",
            ("reason", Kind.Text), ("note", Kind.Text)),
        ["reopening"] = new("POST", "/api/cases/{id}/reopening", "caseworker", """{"note":"ok"}""", ("note", Kind.Text)),
        ["allocation"] = new("POST", "/api/budgets", "planner", """{"payer":"APBD_PROVINCE","year":2026,"amount":1000,"kind":"APBD","note":"ok"}""",
            ("payer", Kind.Text), ("year", Kind.Number), ("amount", Kind.Number), ("kind", Kind.Text), ("note", Kind.Text)),
        ["target"] = new("PUT", "/api/regencies/17.04/targets/2026", "planner", """{"eligibleWorkers":100,"source":"BPS","note":"ok"}""",
            ("eligibleWorkers", Kind.Number), ("source", Kind.Text), ("note", Kind.Text)),
    };

    public static TheoryData<string> RouteNames => new(Routes.Keys);

    [Theory]
    [MemberData(nameof(RouteNames))]
    public async Task hostile_bodies_are_refused_with_a_problem_and_write_nothing(string name)
    {
        var route = Routes[name];
        var token = api.Token(route.Role, "17.04");
        var caseId = route.Url.Contains("{id}") ? await api.Host.EnrolledCase(token) : Guid.Empty;
        var url = route.Url.Replace("{id}", caseId.ToString());

        var bodies = new List<string>(Malformed);
        foreach (var (field, kind) in route.Fields)
        {
            foreach (var value in kind switch
                     {
                         Kind.Text => AbsurdText, Kind.Number => AbsurdNumbers, Kind.Date => AbsurdDates,
                         Kind.Instant => AbsurdInstants, _ => AbsurdMonths
                     })
            {
                var body = JsonNode.Parse(route.Body)!.AsObject();
                body[field] = value?.DeepClone();
                bodies.Add(body.ToJsonString());
            }
        }

        await AssertRefused(token, route.Method, url, bodies, "application/json");
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

    /// <summary>Sends each body to the url (or a valid body to each of the extra urls); every answer must be a 4xx problem and nothing may be written.</summary>
    private async Task AssertRefused(string token, string method, string? url, IEnumerable<string> bodies, string contentType,
        IEnumerable<string>? urls = null, string? validBody = null)
    {
        var requests = (url is null ? [] : bodies.Select(b => (Url: url, Body: b)))
            .Concat((urls ?? []).Select(u => (Url: u, Body: validBody ?? bodies.First())));
        using var client = api.Host.Client(token);
        var before = await api.WrittenAsync();
        var failures = new List<string>();
        foreach (var (target, body) in requests)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), target)
            {
                Content = new StringContent(body, Encoding.UTF8)
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            if (status is < 400 or > 499 || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{method} {target[..Math.Min(target.Length, 120)]} {Shorten(body)} -> {status} {response.Content.Headers.ContentType}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, await api.WrittenAsync());
    }

    private static string Shorten(string body) => body.Length > 160 ? body[..160] + $"... ({body.Length} chars)" : body;
}
