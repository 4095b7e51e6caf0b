using Alba;
using EnrolmentCases.Cases;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using JasperFx.Events;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A case whose lapse fell due while no sweep ran: the lapse is history that the next accepted
/// command records before its own event, but a refused command writes nothing at all, not even
/// that lapse. Kepahiang (17.08) holds only these tests' cases; money uses fresh budget years.
/// </summary>
[Collection(ApiCollection.Name)]
public class RefusalsOnADueLapse(ApiFixture api)
{
    private readonly string _kepahiang = api.Token("caseworker", "17.08");

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 9) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));

    private async Task<IReadOnlyList<IEvent>> Stream(Guid id)
    {
        await using var session = api.Store.QuerySession();
        return await session.Events.FetchStreamAsync(id);
    }

    private static string Describe(IEnumerable<IEvent> events) => string.Join(", ", events.Select(e => $"{e.Version}:{e.EventTypeName}:{e.Id}"));

    /// <summary>
    /// Enrolled from January 2026 and never paid; on 1 August the lapse is long due (it fell due on
    /// 1 May) but only the reading side knows it.
    /// </summary>
    private async Task<Guid> CaseWithAnUnrecordedLapse()
    {
        using (api.ClockAt(Wib(2026, 1, 5)))
            return await api.Host.EnrolledCase(_kepahiang, "17.08", effectiveDate: "2026-01-01");
    }

    private static readonly string[] RefusalKinds =
    [
        "subsidy on the lapsed case",
        "closure with a stale expectedVersion",
        "closure with a stale If-Match",
        "closure without a reason",
        "payment of a month before premiums fell due",
        "reopening a case that is not closed",
        "contact attempt by a caseworker of another regency",
        "contact attempt by an auditor"
    ];

    public static TheoryData<string> Refusals() => new(RefusalKinds);

    /// <summary>Sends the refused command and checks the answer says why.</summary>
    private async Task Refuse(string refusal, Guid id, long version)
    {
        switch (refusal)
        {
            case "subsidy on the lapsed case":
            {
                var year = MoneyScenarios.FreshBudgetYear();
                await api.Host.Allocate("APBD_REGENCY", "17.08", year, 1_000_000);
                var result = await api.Host.Command(_kepahiang, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 1), 409);
                var problem = await result.Problem();
                Assert.Equal("invalid-transition", problem.Slug());
                Assert.Equal("lapsed", problem.GetProperty("stage").GetString());
                Assert.Equal(0, (await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.08")).Committed);
                return;
            }
            case "closure with a stale expectedVersion":
            {
                var result = await api.Host.Command(_kepahiang, id, "closure", new { reason = "declined", expectedVersion = version - 1 }, 409);
                var problem = await result.Problem();
                Assert.Equal("concurrency-conflict", problem.Slug());
                Assert.Equal(version, problem.GetProperty("currentVersion").GetInt64());
                return;
            }
            case "closure with a stale If-Match":
            {
                var result = await api.Host.Scenario(s =>
                {
                    s.Post.Json(new { reason = "declined" }).ToUrl($"/api/cases/{id}/closure");
                    s.WithBearerToken(_kepahiang);
                    s.WithRequestHeader("If-Match", $"\"{version - 1}\"");
                    s.StatusCodeShouldBe(409);
                });
                var problem = await result.Problem();
                Assert.Equal("concurrency-conflict", problem.Slug());
                Assert.Equal(version, problem.GetProperty("currentVersion").GetInt64());
                return;
            }
            case "closure without a reason":
            {
                var result = await api.Host.Command(_kepahiang, id, "closure", new { note = "no reason given" }, 400);
                var problem = await result.Problem();
                Assert.Equal("validation", problem.Slug());
                Assert.True(problem.GetProperty("errors").TryGetProperty("reason", out _), problem.ToString());
                return;
            }
            case "payment of a month before premiums fell due":
            {
                // Well-formed, so only the decision (which runs after the lapse is worked out) can refuse it.
                var result = await api.Host.Command(_kepahiang, id, "premium-payments", new { month = "2025-12", amount = 16_800, paidOn = "2026-07-30" }, 400);
                var problem = await result.Problem();
                Assert.Equal("validation", problem.Slug());
                Assert.True(problem.GetProperty("errors").TryGetProperty("month", out _), problem.ToString());
                return;
            }
            case "reopening a case that is not closed":
            {
                var result = await api.Host.Command(_kepahiang, id, "reopening", new { note = "by mistake" }, 409);
                var problem = await result.Problem();
                Assert.Equal("invalid-transition", problem.Slug());
                Assert.Equal("lapsed", problem.GetProperty("stage").GetString());
                return;
            }
            case "contact attempt by a caseworker of another regency":
            {
                var result = await api.Host.Command(api.Token("caseworker", "17.07"), id, "contact-attempts", new { channel = "visit", outcome = "reached" }, 404);
                Assert.Equal("not-found", (await result.Problem()).Slug());
                return;
            }
            case "contact attempt by an auditor":
            {
                var result = await api.Host.Command(api.Token("auditor"), id, "contact-attempts", new { channel = "visit", outcome = "reached" }, 403);
                Assert.Equal("forbidden", (await result.Problem()).Slug());
                return;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(refusal));
        }
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task a_refused_command_writes_nothing_not_even_the_lapse_that_fell_due(string refusal)
    {
        var id = await CaseWithAnUnrecordedLapse();
        using var clock = api.ClockAt(Wib(2026, 8, 1));

        // The lapse is due (reads show it) but not recorded (no sweep ran).
        var view = await api.Host.GetCase(_kepahiang, id);
        Assert.Equal(CaseStage.Lapsed, view.Stage);
        var version = view.Version;
        var before = await Stream(id);
        Assert.Equal(version, before[^1].Version);
        Assert.DoesNotContain(before, e => e.EventTypeName == "case_lapsed");

        await Refuse(refusal, id, version);

        var after = await Stream(id);
        Assert.Equal(Describe(before), Describe(after));
        Assert.Equal(version, (await api.Host.GetCase(_kepahiang, id)).Version);
    }

    [Fact]
    public async Task after_refusals_the_next_accepted_command_records_the_lapse_before_its_own_event()
    {
        var id = await CaseWithAnUnrecordedLapse();
        using var clock = api.ClockAt(Wib(2026, 8, 1));
        var version = (await api.Host.GetCase(_kepahiang, id)).Version;
        foreach (var refusal in RefusalKinds)
            await Refuse(refusal, id, version);
        Assert.Equal(version, (await Stream(id))[^1].Version);

        var correlation = $"corr-{Guid.NewGuid():N}";
        var accepted = await api.Host.Scenario(s =>
        {
            s.Post.Json(new { channel = "phone", outcome = "unreachable" }).ToUrl($"/api/cases/{id}/contact-attempts");
            s.WithBearerToken(_kepahiang);
            s.WithRequestHeader("X-Correlation-Id", correlation);
            s.StatusCodeShouldBeOk();
        });
        Assert.Equal(new CommandAccepted(id, version + 3), await accepted.Accepted());

        var appended = (await Stream(id)).Where(e => e.Version > version).ToList();
        Assert.Equal(["case_lapsed", "case_stage_changed", "contact_attempted"], appended.Select(e => e.EventTypeName));
        Assert.Equal(new[] { version + 1, version + 2, version + 3 }, appended.Select(e => e.Version));
        // Written in the accepted command's own transaction, not by a sweep.
        Assert.All(appended, e => Assert.Equal(correlation, e.CorrelationId));

        var view = await api.Host.GetCase(_kepahiang, id);
        Assert.Equal(CaseStage.Lapsed, view.Stage);
        Assert.Equal(version + 3, view.Version);
        Assert.Equal(2, view.ContactAttempts); // the reach before enrolment, and this attempt
    }
}
