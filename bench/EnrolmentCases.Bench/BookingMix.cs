using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace EnrolmentCases.Bench;

/// <summary>
/// Premium payments alone, every one booked on a budget: prepared cases are subsidised from their regency's budget for
/// months still to come, and each arrival pays the next unpaid month of one case. A case goes back in line only once its
/// payment is answered, so no two requests touch one case at once and the only lock they can share is their budget's.
/// Given one regency, every payment books on that regency's one budget; given several, on theirs in turn.
/// </summary>
public sealed class BookingMix(HttpClient http, params string[] regencies)
{
    private readonly ConcurrentQueue<(Guid Id, int Month)> _ready = new();
    private static long _workers = Random.Shared.Next(0, 1_000_000) * 1000L;

    /// <summary>
    /// The subsidy every prepared case gets, every month of it payable now: from this month to December while at least seven
    /// months remain, else next year's months before this one (a payment may be at most a year ahead): six to twelve a case.
    /// A subsidy that starts now or later never lapses while the run waits for its payments.
    /// </summary>
    public static (int Year, int FirstMonth, int Months) Subsidy => CommandMix.Today is var today && today.Month <= 6
        ? (today.Year, today.Month, 13 - today.Month)
        : (today.Year + 1, 1, today.Month - 1);

    private long _left;
    private long _paid;

    /// <summary>Months the prepared cases still have to pay.</summary>
    public long PaymentsLeft => Interlocked.Read(ref _left);

    /// <summary>Prepared cases not paid up and not in flight.</summary>
    public int Waiting => _ready.Count;

    /// <summary>Payments answered 200 so far.</summary>
    public long Paid => Interlocked.Read(ref _paid);

    /// <summary>Identifies, reaches, enrols and subsidises <paramref name="cases"/> workers, <paramref name="concurrency"/> at a time.</summary>
    public async Task PrepareAsync(int cases, int concurrency)
    {
        var next = 0;
        var (year, first, months) = Subsidy;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= cases)
            {
                var n = Interlocked.Increment(ref _workers);
                using var created = await PostAsync("/api/cases", CommandMix.Worker(n, regencies[n % regencies.Length]), HttpStatusCode.Created);
                var id = Guid.Parse(created.Headers.Location!.OriginalString.Split('/')[^1]);
                (await PostAsync($"/api/cases/{id}/contact-attempts", CommandMix.Contact, HttpStatusCode.OK)).Dispose();
                (await PostAsync($"/api/cases/{id}/enrolment", CommandMix.Enrolment(id), HttpStatusCode.OK)).Dispose();
                (await PostAsync($"/api/cases/{id}/subsidy",
                    $$"""{"payer":"APBD_REGENCY","budgetYear":{{year}},"startMonth":"{{year}}-{{first:D2}}","months":{{months}}}""", HttpStatusCode.OK)).Dispose();
                Interlocked.Add(ref _left, months);
                _ready.Enqueue((id, first));
            }
        })));
    }

    /// <summary>Pays one case's next month; "no case waiting" when every prepared case is in flight or paid up.</summary>
    public async Task<Sent> NextAsync()
    {
        if (!_ready.TryDequeue(out var next)) return new Sent("payment", "no prepared case was waiting for a payment (prepare more)");
        var (year, first, months) = Subsidy;
        var body = $$"""{"month":"{{year}}-{{next.Month:D2}}","amount":{{CommandMix.MonthlyPremium}},"paidOn":"{{CommandMix.Today:yyyy-MM-dd}}"}""";
        using var response = await http.PostAsync($"/api/cases/{next.Id}/premium-payments", new StringContent(body, Encoding.UTF8, "application/json"));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            // The case leaves the line with the months it had left.
            Interlocked.Add(ref _left, -(first + months - next.Month));
            return new Sent("payment", $"POST /api/cases/{next.Id}/premium-payments {body}\n  -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        Interlocked.Decrement(ref _left);
        Interlocked.Increment(ref _paid);
        if (next.Month + 1 < first + months) _ready.Enqueue((next.Id, next.Month + 1));
        return new Sent("payment");
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string body, HttpStatusCode expected)
    {
        var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        if (response.StatusCode == expected) return response;
        var text = await response.Content.ReadAsStringAsync();
        response.Dispose();
        throw new InvalidOperationException($"POST {path} {body.ReplaceLineEndings(" ")}\n  -> {(int)response.StatusCode} {text}");
    }
}
