using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace EnrolmentCases.Bench;

/// <summary>
/// Caseworkers' days, by default in Kaur (17.04): each worker is identified, reached, enrolled,
/// subsidised from the regency budget, paid for this month and read back, one request at a time.
/// Every arrival takes the next step of a case that is waiting for one, or identifies a new worker
/// when none is, so the steady mix is one sixth of each and no two requests touch the same case at
/// once. Given several regencies, new workers are spread over them (and over their budgets).
/// </summary>
public sealed class CommandMix(HttpClient http, params string[] regencies)
{
    public const string Regency = "17.04";
    public static readonly string[] AllRegencies = ["17.01", "17.02", "17.03", "17.04", "17.05", "17.06", "17.07", "17.08", "17.09", "17.71"];
    public const long MonthlyPremium = 16_800; // JKK 1 % of Rp 1,000,000 + JKM Rp 6,800

    private static long _workers = Random.Shared.Next(0, 1_000_000) * 1000L;
    private readonly ConcurrentQueue<(Guid Id, int Step)> _waiting = new();

    private static readonly string[] Steps = ["identify", "contact", "enrol", "subsidy", "payment", "read"];

    // Months in Western Indonesia Time, as the API counts them.
    public static readonly DateTime Today = DateTime.UtcNow.AddHours(7).Date;
    public static int Year => Today.Year;
    private static readonly string Month = $"{Today:yyyy-MM}";

    public static readonly string Contact = """{"channel":"visit","outcome":"reached","note":"Agreed to enrol at the village meeting"}""";
    private static readonly string Subsidy = $$"""{"payer":"APBD_REGENCY","budgetYear":{{Year}},"startMonth":"{{Month}}","months":{{13 - Today.Month}}}""";
    private static readonly string Payment = $$"""{"month":"{{Month}}","amount":{{MonthlyPremium}},"paidOn":"{{Today:yyyy-MM-dd}}"}""";

    public static string Budget(string regency, long amount, int year) =>
        $$"""{"payer":"APBD_REGENCY","regencyCode":"{{regency}}","year":{{year}},"amount":{{amount}},"kind":"APBD","note":"benchmark"}""";

    /// <summary>
    /// Records a regency budget large enough for any run (POST /api/budgets as the planner), for this year unless another is
    /// given; anything but 201 stops the run.
    /// </summary>
    public static async Task RecordBudgetAsync(HttpClient http, string plannerToken, string regency, int? year = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/budgets");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", plannerToken.Trim());
        request.Content = new StringContent(Budget(regency, 1_000_000_000_000, year ?? Year), Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /api/budgets -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public Task<Sent> NextAsync() =>
        _waiting.TryDequeue(out var next) ? StepAsync(next.Id, next.Step) : IdentifyAsync();

    public async Task<Sent> IdentifyAsync()
    {
        var n = Interlocked.Increment(ref _workers);
        var body = Worker(n, regencies.Length == 0 ? Regency : regencies[n % regencies.Length]);
        using var response = await http.PostAsync("/api/cases", Json(body));
        if (response.StatusCode != HttpStatusCode.Created)
            return new Sent(Steps[0], await Failure("POST /api/cases", body, response));
        var id = Guid.Parse(response.Headers.Location!.OriginalString.Split('/')[^1]);
        _waiting.Enqueue((id, 1));
        return new Sent(Steps[0]);
    }

    private async Task<Sent> StepAsync(Guid id, int step)
    {
        var (path, body) = step switch
        {
            1 => ($"/api/cases/{id}/contact-attempts", Contact),
            2 => ($"/api/cases/{id}/enrolment", Enrolment(id)),
            3 => ($"/api/cases/{id}/subsidy", Subsidy),
            4 => ($"/api/cases/{id}/premium-payments", Payment),
            _ => ($"/api/cases/{id}", null)
        };
        using var response = body is null ? await http.GetAsync(path) : await http.PostAsync(path, Json(body));
        if (response.StatusCode != HttpStatusCode.OK)
            return new Sent(Steps[step], await Failure((body is null ? "GET " : "POST ") + path, body, response));
        if (step < Steps.Length - 1) _waiting.Enqueue((id, step + 1));
        else await response.Content.ReadAsByteArrayAsync();
        return new Sent(Steps[step]);
    }

    /// <summary>POST /api/cases for worker number n, domiciled in the regency.</summary>
    public static string Worker(long n, string regency) => $$"""
        {"nik":"{{Nik(n)}}","fullName":"Worker {{n}}","regencyCode":"{{regency}}","district":"Kaur Selatan",
         "village":"Padang Petron","occupation":"rubber tapper","phone":"0812-7000-1234","source":"P3KE"}
        """;

    public static string Enrolment(Guid id) =>
        $$"""{"membershipNumber":"24{{(uint)id.GetHashCode() % 1_000_000_000:D9}}","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000,"effectiveDate":"{{Today:yyyy-MM}}-01"}""";

    /// <summary>A valid, unique NIK of Kaur: 17 04, district, birth date (DDMMYY), serial.</summary>
    public static string Nik(long n)
    {
        var serial = n % 9999 + 1;
        n /= 9999;
        var day = n % 28 + 1;
        n /= 28;
        var month = n % 12 + 1;
        n /= 12;
        var year = n % 100;
        var district = n / 100 % 99 + 1;
        return $"1704{district:D2}{day:D2}{month:D2}{year:D2}{serial:D4}";
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static async Task<string> Failure(string request, string? body, HttpResponseMessage response) =>
        $"{request} {body?.ReplaceLineEndings(" ")}\n  -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
}
