using System.Text.RegularExpressions;
using EnrolmentCases.Infrastructure;
using JasperFx.Events;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every event a command appends says who acted (the token's sub, name and role), which user action
/// it belongs to (the caller's X-Correlation-Id) and which request wrote it (method and path), on the
/// case's stream and on every budget stream the command touched. Cases are in Kaur (17.04), set up by
/// another caseworker than the one acting; money uses fresh budget years, targets Kota Bengkulu (17.71).
/// </summary>
[Collection(ApiCollection.Name)]
public class CommandMetadata(ApiFixture api)
{
    private readonly string _setup = api.Token("caseworker", "17.04");

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 9) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));

    private static string NewCorrelation() => $"corr-{Guid.NewGuid():N}";

    private sealed record Actor(string Subject, string Token)
    {
        public string Name => $"Tester {Subject}";
    }

    private Actor NewActor(string role, params string[] regencies)
    {
        var subject = $"{role}-{Guid.NewGuid():N}";
        return new Actor(subject, api.TokenFor(role, subject, regencies));
    }

    private async Task<CommandAccepted> Send(string token, string method, string url, object body, int status,
        string? correlation)
    {
        var result = await api.Host.Scenario(s =>
        {
            if (method == "PUT") s.Put.Json(body).ToUrl(url);
            else s.Post.Json(body).ToUrl(url);
            s.WithBearerToken(token);
            if (correlation is not null) s.WithRequestHeader("X-Correlation-Id", correlation);
            s.StatusCodeShouldBe(status);
        });
        return await result.Accepted();
    }

    private async Task<IReadOnlyList<IEvent>> Stream(Guid id)
    {
        await using var session = api.Store.QuerySession();
        return await session.Events.FetchStreamAsync(id);
    }

    private async Task<long> VersionOf(Guid stream) => (await Stream(stream)).LastOrDefault()?.Version ?? 0;

    private async Task<IReadOnlyList<IEvent>> AppendedAfter(Guid stream, long version) =>
        (await Stream(stream)).Where(e => e.Version > version).ToList();

    /// <summary>The events of one request: all by the actor, in the caller's correlation, caused by that request.</summary>
    private static void AssertWrittenBy(IReadOnlyList<IEvent> events, Actor actor, string role, string correlation,
        string method, string path)
    {
        Assert.NotEmpty(events);
        Assert.All(events, e =>
        {
            Assert.Equal(actor.Subject, e.UserName);
            Assert.Equal(actor.Name, e.GetHeader("userName")?.ToString());
            Assert.Equal(role, e.GetHeader("role")?.ToString());
            Assert.Equal(correlation, e.CorrelationId);
            Assert.Matches($"^{Regex.Escape($"{method} {path}")}( |$)", e.CausationId ?? "");
        });
        Assert.Single(events.Select(e => e.CausationId).Distinct());
    }

    /// <summary>The command under test: where it goes, and what it should append to the case and to the budget.</summary>
    private sealed record Step(Guid? CaseId, string Url, object Body, string[] CaseEvents, Guid? BudgetId = null,
        string[]? BudgetEvents = null, int Status = 200);

    public static TheoryData<string> CaseCommands() =>
    [
        "identify", "contact-attempts", "enrolment", "subsidy", "premium-payments", "premium-payments of a subsidised month",
        "closure", "closure of a subsidised case", "reopening"
    ];

    /// <summary>A case brought (by another caseworker) to where the command succeeds, in budget year <paramref name="year"/>.</summary>
    private async Task<Step> Prepare(string command, int year)
    {
        async Task<Guid> Contacted()
        {
            var id = await api.Host.IdentifyWorker(_setup);
            await api.Host.Reach(_setup, id);
            return id;
        }

        Task<Guid> Enrolled() => api.Host.EnrolledCase(_setup, "17.04", effectiveDate: $"{year}-01-01");

        async Task<(Guid Case, Guid Budget)> Subsidised()
        {
            var budget = await Allocation(year);
            var id = await Enrolled();
            await api.Host.Command(_setup, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 3));
            return (id, budget);
        }

        switch (command)
        {
            case "identify":
                return new Step(null, "/api/cases", Scenarios.NewWorker(), ["worker_identified", "case_stage_changed"], Status: 201);
            case "contact-attempts":
            {
                var id = await api.Host.IdentifyWorker(_setup);
                return new Step(id, $"/api/cases/{id}/contact-attempts", new { channel = "phone", outcome = "reached" },
                    ["contact_attempted", "case_stage_changed"]);
            }
            case "enrolment":
            {
                var id = await Contacted();
                return new Step(id, $"/api/cases/{id}/enrolment",
                    new { membershipNumber = "12345678901", programmes = new[] { "JKK", "JKM" }, declaredMonthlyIncome = 1_000_000, effectiveDate = $"{year}-01-01" },
                    ["worker_enrolled", "case_stage_changed"]);
            }
            case "subsidy":
            {
                var budget = await Allocation(year);
                var id = await Enrolled();
                return new Step(id, $"/api/cases/{id}/subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 3),
                    ["subsidy_granted", "case_stage_changed"], budget, ["subsidy_committed"]);
            }
            case "premium-payments":
            {
                var id = await Enrolled();
                return new Step(id, $"/api/cases/{id}/premium-payments", new { month = $"{year}-01", amount = 20_000, paidOn = $"{year}-02-05" },
                    ["premium_paid"]);
            }
            case "premium-payments of a subsidised month":
            {
                var (id, budget) = await Subsidised();
                return new Step(id, $"/api/cases/{id}/premium-payments", new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-05" },
                    ["premium_paid"], budget, ["premium_disbursed"]);
            }
            case "closure":
            {
                var id = await Contacted();
                return new Step(id, $"/api/cases/{id}/closure", new { reason = "declined", note = "prefers a private insurer" },
                    ["case_closed", "case_stage_changed"]);
            }
            case "closure of a subsidised case":
            {
                var (id, budget) = await Subsidised();
                return new Step(id, $"/api/cases/{id}/closure", new { reason = "wage_earner" },
                    ["subsidy_ended", "case_stage_changed", "case_closed", "case_stage_changed"], budget, ["commitment_released"]);
            }
            case "reopening":
            {
                var id = await Contacted();
                await api.Host.Command(_setup, id, "closure", new { reason = "unreachable" });
                return new Step(id, $"/api/cases/{id}/reopening", new { note = "found at the harvest" },
                    ["case_reopened", "case_stage_changed"]);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(command));
        }
    }

    private async Task<Guid> Allocation(int year) =>
        (await Send(api.Token("planner"), "POST", "/api/budgets",
            new { payer = "APBD_REGENCY", regencyCode = "17.04", year, amount = 1_000_000, kind = "APBD" }, 201, null)).Id;

    [Theory]
    [MemberData(nameof(CaseCommands))]
    public async Task every_event_a_case_command_appends_carries_the_actor_the_callers_correlation_and_the_request(string command)
    {
        var year = MoneyScenarios.FreshBudgetYear();
        using var clock = api.ClockAt(Wib(year, 2, 10));
        var step = await Prepare(command, year);
        var caseBefore = step.CaseId is { } existing ? await VersionOf(existing) : 0;
        var budgetBefore = step.BudgetId is { } budgetId ? await VersionOf(budgetId) : 0;

        var actor = NewActor("caseworker", "17.04");
        var correlation = NewCorrelation();
        var accepted = await Send(actor.Token, "POST", step.Url, step.Body, step.Status, correlation);
        var caseId = step.CaseId ?? accepted.Id;
        Assert.Equal(caseId, accepted.Id);

        var appended = await AppendedAfter(caseId, caseBefore);
        Assert.Equal(step.CaseEvents, appended.Select(e => e.EventTypeName));
        Assert.Equal(accepted.Version, appended[^1].Version);
        AssertWrittenBy(appended, actor, "caseworker", correlation, "POST", step.Url);

        if (step.BudgetId is { } budget)
        {
            var booked = await AppendedAfter(budget, budgetBefore);
            Assert.Equal(step.BudgetEvents!, booked.Select(e => e.EventTypeName));
            AssertWrittenBy(booked, actor, "caseworker", correlation, "POST", step.Url);
            // One transaction, one request: the budget's entry names the same cause as the case's events.
            Assert.Equal(appended[0].CausationId, booked[0].CausationId);
        }

        // The history shows the same to whoever reads it.
        var history = await api.Host.History(_setup, caseId);
        Assert.Equal(caseId, history.CaseId);
        var entries = history.Events.Where(e => e.Version > caseBefore).ToList();
        Assert.Equal(step.CaseEvents, entries.Select(e => e.Type));
        Assert.All(entries, e =>
        {
            Assert.Equal(actor.Subject, e.User);
            Assert.Equal(correlation, e.CorrelationId);
            Assert.Equal(appended[0].CausationId, e.CausationId);
        });
    }

    [Fact]
    public async Task requests_sharing_a_correlation_id_keep_it_but_each_is_the_cause_of_its_own_events()
    {
        var id = await api.Host.IdentifyWorker(_setup);
        var actor = NewActor("caseworker", "17.04");
        var correlation = NewCorrelation();
        var url = $"/api/cases/{id}/contact-attempts";

        await Send(actor.Token, "POST", url, new { channel = "phone", outcome = "unreachable" }, 200, correlation);
        await Send(actor.Token, "POST", url, new { channel = "phone", outcome = "unreachable" }, 200, correlation);

        var attempts = await AppendedAfter(id, 2);
        Assert.Equal(2, attempts.Count);
        AssertWrittenBy([attempts[0]], actor, "caseworker", correlation, "POST", url);
        AssertWrittenBy([attempts[1]], actor, "caseworker", correlation, "POST", url);
        Assert.NotEqual(attempts[0].CausationId, attempts[1].CausationId);
    }

    [Fact]
    public async Task a_request_without_a_correlation_id_gets_one_of_its_own_for_all_its_events()
    {
        var actor = NewActor("caseworker", "17.04");
        var first = await Send(actor.Token, "POST", "/api/cases", Scenarios.NewWorker(), 201, null);
        await Send(actor.Token, "POST", $"/api/cases/{first.Id}/contact-attempts", new { channel = "visit", outcome = "reached" }, 200, null);

        var events = await Stream(first.Id);
        Assert.Equal(4, events.Count);
        var identified = events.Take(2).Select(e => e.CorrelationId).Distinct().ToList();
        var contacted = events.Skip(2).Select(e => e.CorrelationId).Distinct().ToList();
        Assert.Single(identified);
        Assert.Single(contacted);
        // Each request's own W3C trace id.
        Assert.Matches("^[0-9a-f]{32}$", identified[0]);
        Assert.Matches("^[0-9a-f]{32}$", contacted[0]);
        Assert.NotEqual(identified[0], contacted[0]);
    }

    [Fact]
    public async Task a_caller_tracing_its_requests_finds_their_events_under_its_trace_id_unless_it_names_a_correlation()
    {
        var actor = NewActor("caseworker", "17.04");
        async Task<Guid> Identify(string traceId, string? correlation)
        {
            var result = await api.Host.Scenario(s =>
            {
                s.Post.Json(Scenarios.NewWorker()).ToUrl("/api/cases");
                s.WithBearerToken(actor.Token);
                s.WithRequestHeader("traceparent", $"00-{traceId}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01");
                if (correlation is not null) s.WithRequestHeader("X-Correlation-Id", correlation);
                s.StatusCodeShouldBe(201);
            });
            return (await result.Accepted()).Id;
        }

        var traced = System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString();
        var events = await Stream(await Identify(traced, null));
        Assert.All(events, e => Assert.Equal(traced, e.CorrelationId));

        var correlation = NewCorrelation();
        var named = await Stream(await Identify(System.Diagnostics.ActivityTraceId.CreateRandom().ToHexString(), correlation));
        Assert.All(named, e => Assert.Equal(correlation, e.CorrelationId));
    }

    [Theory]
    [InlineData("two words")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("corr;drop table mt_events")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 65 characters
    public async Task a_correlation_id_that_is_not_short_and_plain_is_replaced_not_recorded(string supplied)
    {
        var actor = NewActor("caseworker", "17.04");
        var accepted = await Send(actor.Token, "POST", "/api/cases", Scenarios.NewWorker(), 201, supplied);

        var recorded = (await Stream(accepted.Id)).Select(e => e.CorrelationId).Distinct().ToList();
        Assert.Single(recorded);
        Assert.False(string.IsNullOrWhiteSpace(recorded[0]));
        Assert.NotEqual(supplied, recorded[0]);
    }

    [Fact]
    public async Task a_budget_allocation_carries_the_planner_the_callers_correlation_and_the_request()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var planner = NewActor("planner");
        var correlation = NewCorrelation();

        var accepted = await Send(planner.Token, "POST", "/api/budgets",
            new { payer = "APBD_REGENCY", regencyCode = "17.04", year, amount = 500_000, kind = "APBD" }, 201, correlation);

        var events = await Stream(accepted.Id);
        Assert.Equal(["budget_allocated"], events.Select(e => e.EventTypeName));
        Assert.Equal(accepted.Version, events[^1].Version);
        AssertWrittenBy(events, planner, "planner", correlation, "POST", "/api/budgets");
    }

    [Fact]
    public async Task a_target_carries_the_planner_the_callers_correlation_and_the_request()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var planner = NewActor("planner");
        var correlation = NewCorrelation();
        var url = $"/api/regencies/17.71/targets/{year}";

        var accepted = await Send(planner.Token, "PUT", url, new { eligibleWorkers = 1_200, source = "DTSEN 2025" }, 200, correlation);

        var events = await Stream(accepted.Id);
        Assert.Equal(["target_set"], events.Select(e => e.EventTypeName));
        Assert.Equal(accepted.Version, events[^1].Version);
        AssertWrittenBy(events, planner, "planner", correlation, "PUT", url);
    }
}
