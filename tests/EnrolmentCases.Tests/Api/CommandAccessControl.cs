using EnrolmentCases.Cases;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every command on an existing case, sent by each caller who may not send it. The case is first
/// brought to the stage where the command succeeds, so a refusal can only be about who asks; and the
/// owning caseworker then sends the very same command, which succeeds. Cases are in Kaur (17.04);
/// the outsider is a caseworker of Lebong (17.07); subsidies draw on a fresh budget year.
/// </summary>
[Collection(ApiCollection.Name)]
public class CommandAccessControl(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    private static readonly string[] Commands = ["contact-attempts", "enrolment", "subsidy", "premium-payments", "closure", "reopening"];

    private static DateTimeOffset Wib(int year, int month, int day, int hour = 9) => new(year, month, day, hour, 0, 0, TimeSpan.FromHours(7));

    /// <summary>Who asks, the status they get and its problem slug.</summary>
    public static TheoryData<string, string> CommandsAndOutsiders()
    {
        var data = new TheoryData<string, string>();
        foreach (var command in Commands)
        foreach (var caller in new[] { "caseworker of another regency", "caseworker of no regency", "auditor", "planner of the regency", "admin" })
            data.Add(command, caller);
        return data;
    }

    private string TokenOf(string caller) => caller switch
    {
        "caseworker of another regency" => api.Token("caseworker", "17.07"),
        "caseworker of no regency" => api.Token("caseworker"),
        // The other roles even carry the case's regency: the role alone must refuse them.
        "auditor" => api.Token("auditor", "17.04"),
        "planner of the regency" => api.Token("planner", "17.04"),
        "admin" => api.Token("admin", "17.04"),
        _ => throw new ArgumentOutOfRangeException(nameof(caller))
    };

    private static (int Status, string Slug) RefusalFor(string caller) =>
        caller.StartsWith("caseworker") ? (404, "not-found") : (403, "forbidden");

    /// <summary>A Kaur case at the stage where the command is accepted, and the body that gets it accepted.</summary>
    private async Task<(Guid Id, object Body)> CaseReadyFor(string command)
    {
        switch (command)
        {
            case "contact-attempts":
                return (await api.Host.IdentifyWorker(_kaur), new { channel = "visit", outcome = "reached" });
            case "enrolment":
            {
                var id = await api.Host.IdentifyWorker(_kaur);
                await api.Host.Reach(_kaur, id);
                return (id, new
                {
                    membershipNumber = "12345678901", programmes = new[] { "JKK", "JKM" }, declaredMonthlyIncome = 1_000_000,
                    effectiveDate = "2026-03-01"
                });
            }
            case "subsidy":
            {
                var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur);
                return (id, MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 2));
            }
            case "premium-payments":
                return (await api.Host.EnrolledCase(_kaur), new { month = "2026-03", amount = 16_800, paidOn = "2026-03-05" });
            case "closure":
            {
                var id = await api.Host.IdentifyWorker(_kaur);
                await api.Host.Reach(_kaur, id);
                return (id, new { reason = "declined", note = "prefers a private insurer" });
            }
            case "reopening":
            {
                var id = await api.Host.IdentifyWorker(_kaur);
                await api.Host.Command(_kaur, id, "closure", new { reason = "unreachable" });
                return (id, new { note = "found at the harvest" });
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(command));
        }
    }

    /// <summary>What the owner sees of the case, and every event of its stream (version, type, id).</summary>
    private async Task<(long Version, CaseStage Stage, string Events)> StateOf(Guid id)
    {
        var view = await api.Host.GetCase(_kaur, id);
        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(id);
        return (view.Version, view.Stage, string.Join(", ", events.Select(e => $"{e.Version}:{e.EventTypeName}:{e.Id}")));
    }

    [Theory]
    [MemberData(nameof(CommandsAndOutsiders))]
    public async Task only_a_caseworker_of_the_cases_regency_may_run_a_command_on_it(string command, string caller)
    {
        using var clock = api.ClockAt(Wib(2026, 3, 10));
        var (id, body) = await CaseReadyFor(command);
        var before = await StateOf(id);
        var (status, slug) = RefusalFor(caller);

        var refused = await api.Host.Command(TokenOf(caller), id, command, body, status);
        Assert.Equal(slug, (await refused.Problem()).Slug());
        Assert.Equal(before, await StateOf(id));

        // The same command from the owner goes through: the refusal was about who asked.
        var accepted = await api.Host.Command(_kaur, id, command, body);
        var version = (await accepted.Accepted()).Version;
        Assert.True(version > before.Version, $"{command} by the owner should have appended to version {before.Version}");
        Assert.Equal(version, (await StateOf(id)).Version);
    }

    [Fact]
    public async Task a_refused_subsidy_commits_nothing_against_the_budget()
    {
        using var clock = api.ClockAt(Wib(2026, 3, 10));
        var (id, year) = await api.Host.EnrolledCaseWithABudget(_kaur);
        var grant = MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 12);

        foreach (var caller in new[] { "caseworker of another regency", "auditor", "planner of the regency", "admin" })
            await api.Host.Command(TokenOf(caller), id, "subsidy", grant, RefusalFor(caller).Status);

        var line = await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04");
        Assert.Equal((0L, 1_000_000L), (line.Committed, line.Remaining));

        await api.Host.Command(_kaur, id, "subsidy", grant);
        Assert.Equal(12 * 16_800, (await api.Host.BudgetLine(year, Payer.ApbdRegency, "17.04")).Committed);
    }
}
