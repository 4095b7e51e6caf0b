using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace EnrolmentCases.Bench;

/// <summary>
/// The product's mix in the floor's terms: a new stream stands for identify, four appends to it for contact, enrolment,
/// subsidy and payment, and a read of its inline snapshot for the GET; one request at a time per stream, as for cases.
/// </summary>
public sealed class FloorMix(HttpClient http)
{
    private static readonly string[] Steps = ["start", "append", "append", "append", "append", "read"];
    private static readonly string Body = """{"note":"Agreed to enrol at the village meeting"}""";
    private readonly ConcurrentQueue<(Guid Id, int Step)> _waiting = new();

    public Task<Sent> NextAsync() =>
        _waiting.TryDequeue(out var next) ? StepAsync(next.Id, next.Step) : StartAsync();

    private async Task<Sent> StartAsync()
    {
        using var response = await http.PostAsync("/floor", Json());
        if (response.StatusCode != HttpStatusCode.Created)
            return new Sent(Steps[0], $"POST /floor -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        _waiting.Enqueue((Guid.Parse(response.Headers.Location!.OriginalString.Split('/')[^1]), 1));
        return new Sent(Steps[0]);
    }

    private async Task<Sent> StepAsync(Guid id, int step)
    {
        var read = step == Steps.Length - 1;
        using var response = read ? await http.GetAsync($"/floor/{id}") : await http.PostAsync($"/floor/{id}", Json());
        if (response.StatusCode != HttpStatusCode.OK)
            return new Sent(Steps[step], $"{(read ? "GET" : "POST")} /floor/{id} -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        await response.Content.ReadAsByteArrayAsync();
        if (!read) _waiting.Enqueue((id, step + 1));
        return new Sent(Steps[step]);
    }

    private static StringContent Json() => new(Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
}
