using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EnrolmentCases.Budgets;
using EnrolmentCases.Cases.Closing;
using EnrolmentCases.Cases.Contacting;
using EnrolmentCases.Cases.Enrolling;
using EnrolmentCases.Cases.Identifying;
using EnrolmentCases.Forecast;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses.Sweeping;
using EnrolmentCases.Money;
using EnrolmentCases.Payments;
using EnrolmentCases.Subsidies;
using EnrolmentCases.Targets;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.DemoData;

public sealed record DemoSummary(int Cases, int Commands, TimeSpan Took);

/// <summary>
/// Plays the demo plan through the API, as caseworkers and planners with development tokens, each
/// command at its own instant of 2025-2026 on the demo clock: the same validation, decisions and
/// handlers as every other request. Amounts come from the tariff and the forecast settings.
/// </summary>
public sealed class DemoLoader(HttpClient api, TimeProvider clock, CaseSweep sweep, IOptions<AuthOptions> auth,
    IHostEnvironment environment, IOptions<TariffOptions> tariff, IOptions<ForecastOptions> forecast, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    // The API's own JSON settings: the demo writes its requests as the API reads them.
    private JsonSerializerOptions Json => json.Value.SerializerOptions;

    /// <summary>One token per user the demo acts as: a caseworker per regency, and the planner.</summary>
    private readonly ConcurrentDictionary<string, string> _tokens = new();

    private DemoClock Clock => clock as DemoClock
                               ?? throw new InvalidOperationException("The demo runs on the demo clock (see DemoData.Configuration).");

    public async Task<DemoSummary> LoadAsync(double scale, int workers, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var premium = Tariff.SubsidisedPackage(tariff.Value);
        var plan = DemoPlan.Cases(scale, premium, forecast.Value.ProvinceShare);

        await SetTargetsAsync(scale, 2025, ct);
        await SetTargetsAsync(scale, 2026, ct);
        await AllocateAsync(plan, 2025, premium, ct);
        var lanes = Enumerable.Range(0, workers).Select(i => new Lane(this, plan.Where((_, n) => n % workers == i).ToList())).ToList();
        var commands = (await Task.WhenAll(lanes.Select(l => l.RunAsync(at => at < DemoPlan.YearTurn, ct)))).Sum();
        await SweepAsync(DemoPlan.YearTurn, ct);

        await AllocateAsync(plan, 2026, premium, ct);
        commands += (await Task.WhenAll(lanes.Select(l => l.RunAsync(_ => true, ct)))).Sum();
        await SweepAsync(DemoPlan.End, ct);
        return new DemoSummary(plan.Count, commands, DateTimeOffset.UtcNow - started);
    }

    private async Task SetTargetsAsync(double scale, int year, CancellationToken ct)
    {
        Clock.Set(Wib(year, 1, 2));
        foreach (var regency in DemoPlan.Regencies)
            await SendAsync(HttpMethod.Put, $"/api/regencies/{regency.Code}/targets/{year}",
                new SetTarget(DemoPlan.Eligible(regency, scale), DemoPlan.TargetSource), Planner, ct);
    }

    /// <summary>Budgets on the plan's split: what its grants commit, with headroom, and an APBD-P top-up in August.</summary>
    private async Task AllocateAsync(IReadOnlyList<DemoCase> plan, int year, long premium, CancellationToken ct)
    {
        var grants = plan.SelectMany(c => c.Steps.Select(s => (c.RegencyCode, s.Command)))
            .Where(x => x.Command is GrantSubsidy g && g.BudgetYear == year)
            .Select(x => (x.RegencyCode, Grant: (GrantSubsidy)x.Command)).ToList();
        foreach (var group in grants.GroupBy(g => (g.Grant.Payer!.Value, g.Grant.Payer == Payer.ApbdRegency ? g.RegencyCode : null)))
        {
            var need = group.Sum(g => g.Grant.Months!.Value * premium);
            var (payer, regency) = group.Key;
            Clock.Set(Wib(year, 1, 2));
            await SendAsync(HttpMethod.Post, "/api/budgets",
                new RecordAllocation(payer, regency, year, need * 105 / 100, BudgetKind.Apbd, "demo: APBD as passed"), Planner, ct);
            if (year != 2026) continue;
            Clock.Set(Wib(year, 8, 15));
            await SendAsync(HttpMethod.Post, "/api/budgets",
                new RecordAllocation(payer, regency, year, need * 5 / 100 + premium, BudgetKind.ApbdP, "demo: revised budget top-up"),
                Planner, ct);
        }
    }

    private async Task SweepAsync(DateTimeOffset at, CancellationToken ct)
    {
        Clock.Set(at);
        await sweep.RunOnceAsync(ct);
    }

    private string Planner => Token("demo-planner", "Demo planner", Roles.Planner);

    private string CaseworkerOf(string regency) =>
        Token($"demo-caseworker-{regency}", $"Demo caseworker {regency}", Roles.Caseworker, regency);

    private string Token(string subject, string name, string role, params string[] regencies) =>
        _tokens.GetOrAdd(subject, _ => Authentication.IssueToken(auth.Value,
            Authentication.SigningKeyFor(auth.Value, environment)
            ?? throw new InvalidOperationException("The demo signs its requests with the development key or Auth:SigningKey."),
            subject, name, role, regencies, TimeSpan.FromHours(8), DateTimeOffset.UtcNow));

    private async Task<CommandAccepted> SendAsync(HttpMethod method, string url, object body, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url) { Content = JsonContent.Create(body, body.GetType(), options: Json) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await api.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException(
                $"The demo plan is inconsistent: {body} was refused: {await response.Content.ReadAsStringAsync(ct)}");
        return (await response.Content.ReadFromJsonAsync<CommandAccepted>(Json, ct))!;
    }

    private static string PathOf(object command, Guid caseId) => command switch
    {
        IdentifyWorker => "/api/cases",
        RecordContactAttempt => $"/api/cases/{caseId}/contact-attempts",
        EnrolWorker => $"/api/cases/{caseId}/enrolment",
        GrantSubsidy => $"/api/cases/{caseId}/subsidy",
        RecordPremiumPayment => $"/api/cases/{caseId}/premium-payments",
        CloseCase => $"/api/cases/{caseId}/closure",
        _ => throw new InvalidOperationException($"The demo has no {command.GetType().Name} command")
    };

    private static DateTimeOffset Wib(int year, int month, int day) => new(year, month, day, 8, 0, 0, TimeSpan.FromHours(7));

    /// <summary>A share of the cases, replayed in time order on a clock of its own.</summary>
    private sealed class Lane(DemoLoader loader, IReadOnlyList<DemoCase> cases)
    {
        private readonly Dictionary<DemoCase, (Guid Id, int Next)> _progress = new();

        public async Task<int> RunAsync(Func<DateTimeOffset, bool> upTo, CancellationToken ct)
        {
            var count = 0;
            foreach (var demoCase in cases)
            {
                var caseworker = loader.CaseworkerOf(demoCase.RegencyCode);
                var (id, next) = _progress.GetValueOrDefault(demoCase);
                for (; next < demoCase.Steps.Count && upTo(demoCase.Steps[next].At); next++, count++)
                {
                    var step = demoCase.Steps[next];
                    loader.Clock.Set(step.At);
                    id = (await loader.SendAsync(HttpMethod.Post, PathOf(step.Command, id), step.Command, caseworker, ct)).Id;
                }

                _progress[demoCase] = (id, next);
            }

            return count;
        }
    }
}
