using Alba;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using EnrolmentCases.Cases;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class AccessControl(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");
    private readonly string _lebong = api.Token("caseworker", "17.07");

    [Theory]
    [InlineData("GET", "/api/cases")]
    [InlineData("POST", "/api/cases")]
    [InlineData("GET", "/api/regencies")]
    public async Task requests_without_a_valid_token_are_unauthorized(string method, string url)
    {
        foreach (var token in new string?[] { null, "not.a.token", ForgedToken() })
        {
            var result = await api.Host.Scenario(s =>
            {
                if (method == "GET") s.Get.Url(url);
                else s.Post.Json(Scenarios.NewWorker()).ToUrl(url);
                if (token != null) s.WithBearerToken(token);
                s.StatusCodeShouldBe(401);
            });
            Assert.Equal("unauthorized", (await result.Problem()).Slug());
        }
    }

    private static string ForgedToken()
    {
        var key = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey("someone-elses-signing-key-that-is-long-enough"u8.ToArray());
        return EnrolmentCases.Identity.Authentication.IssueToken(new EnrolmentCases.Identity.AuthOptions(), key, "mallory", "Mallory",
            "auditor", [], TimeSpan.FromHours(1), DateTimeOffset.UtcNow);
    }

    [Theory]
    [InlineData("planner")]
    [InlineData("auditor")]
    [InlineData("admin")]
    public async Task only_caseworkers_identify_workers(string role)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker()).ToUrl("/api/cases");
            s.WithBearerToken(api.Token(role, "17.04"));
            s.StatusCodeShouldBe(403);
        });
        Assert.Equal("forbidden", (await result.Problem()).Slug());
    }

    [Fact]
    public async Task planners_do_not_read_personal_case_data()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        foreach (var url in new[] { $"/api/cases/{id}", "/api/cases" })
        {
            await api.Host.Scenario(s =>
            {
                s.Get.Url(url);
                s.WithBearerToken(api.Token("planner"));
                s.StatusCodeShouldBe(403);
            });
        }
    }

    [Fact]
    public async Task a_caseworker_identifies_workers_only_in_their_own_regencies()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker(regency: "17.04")).ToUrl("/api/cases");
            s.WithBearerToken(_lebong);
            s.StatusCodeShouldBe(403);
        });
        Assert.Equal("forbidden", (await result.Problem()).Slug());
    }

    [Fact]
    public async Task a_case_of_another_regency_does_not_exist_for_a_caseworker()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        var read = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases/{id}");
            s.WithBearerToken(_lebong);
            s.StatusCodeShouldBe(404);
        });
        Assert.Equal("not-found", (await read.Problem()).Slug());

        await api.Host.Command(_lebong, id, "closure", new { reason = "declined" }, 404);
        Assert.Equal(CaseStage.Identified, (await api.Host.GetCase(_kaur, id)).Stage);
    }

    [Fact]
    public async Task a_caseworker_of_several_regencies_works_in_each()
    {
        var both = api.Token("caseworker", "17.04", "17.07");
        var inKaur = await api.Host.IdentifyWorker(both, Scenarios.NewWorker(regency: "17.04"));
        var inLebong = await api.Host.IdentifyWorker(both, Scenarios.NewWorker(regency: "17.07"));
        await api.Host.Reach(both, inKaur);
        await api.Host.Reach(both, inLebong);
    }

    [Fact]
    public async Task auditors_read_every_case_but_change_none()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        var auditor = api.Token("auditor");
        Assert.Equal(CaseStage.Identified, (await api.Host.GetCase(auditor, id)).Stage);
        await api.Host.Command(auditor, id, "closure", new { reason = "declined" }, 403);
    }

    private string TokenWithRoles(string[] roles, params string[] regencies) =>
        EnrolmentCases.Identity.Authentication.IssueToken(
            api.Host.Services.GetRequiredService<IOptions<EnrolmentCases.Identity.AuthOptions>>().Value,
            new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(
                System.Text.Encoding.UTF8.GetBytes(EnrolmentCases.Identity.Authentication.DevelopmentSigningKey)),
            $"multi-{Guid.NewGuid():N}", "Tester", roles, regencies, TimeSpan.FromHours(1), DateTimeOffset.UtcNow);

    [Fact]
    public async Task every_role_claim_counts_a_caseworker_who_is_also_an_auditor_does_both()
    {
        var lebongCase = await api.Host.IdentifyWorker(_lebong, Scenarios.NewWorker(regency: "17.07"));
        var both = TokenWithRoles(["caseworker", "auditor"], "17.04");

        // As a caseworker of Kaur: identifies there.
        await api.Host.IdentifyWorker(both, Scenarios.NewWorker(regency: "17.04"));
        // As an auditor: reads a case of Lebong and its history, and verifies the chain.
        Assert.Equal(CaseStage.Identified, (await api.Host.GetCase(both, lebongCase)).Stage);
        foreach (var url in new[] { $"/api/cases/{lebongCase}/history", "/api/audit/verify" })
            await api.Host.Scenario(s =>
            {
                s.Get.Url(url);
                s.WithBearerToken(both);
                s.StatusCodeShouldBeOk();
            });
        // Neither role changes a case of Lebong.
        await api.Host.Command(both, lebongCase, "closure", new { reason = "declined" }, 404);
        Assert.Equal(CaseStage.Identified, (await api.Host.GetCase(_lebong, lebongCase)).Stage);
    }

    public static TheoryData<string[]> RefusedRoles => new()
    {
        new[] { "system" },
        new[] { "wizard" },
        new[] { "Caseworker" },
        new[] { "caseworker", "system" },
        new[] { "auditor", "superuser" },
        Array.Empty<string>()
    };

    [Theory]
    [MemberData(nameof(RefusedRoles))]
    public async Task a_token_with_an_unknown_role_or_the_system_role_or_none_is_refused_on_every_route(string[] roles)
    {
        var kaurCase = await api.Host.IdentifyWorker(_kaur);
        var token = TokenWithRoles(roles, "17.07");

        // Nothing: not an aggregate, not a read, and no regency bypass for `system`.
        foreach (var url in new[] { "/api/regencies", "/api/coverage", $"/api/cases/{kaurCase}", "/api/cases", "/api/audit/verify" })
        {
            var read = await api.Host.Scenario(s =>
            {
                s.Get.Url(url);
                s.WithBearerToken(token);
                s.StatusCodeShouldBe(403);
            });
            Assert.Equal("forbidden", (await read.Problem()).Slug());
        }

        var identify = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker(regency: "17.04")).ToUrl("/api/cases");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(403);
        });
        Assert.Equal("forbidden", (await identify.Problem()).Slug());
        await api.Host.Command(token, kaurCase, "closure", new { reason = "declined" }, 403);
        Assert.Equal(CaseStage.Identified, (await api.Host.GetCase(_kaur, kaurCase)).Stage);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://127.0.0.2:5080", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://10.1.2.3:5080", false)]
    [InlineData("http://api.example.go.id", false)]
    public void the_development_key_counts_only_loopback_addresses_as_private(string address, bool loopback) =>
        Assert.Equal(loopback, EnrolmentCases.Identity.DevelopmentKeyOnLoopback.IsLoopback(address));
}

/// <summary>
/// Independent of timing: the shared host's window (ApiFixture.RateWindowSeconds, a day) never ends
/// while the run lasts, so however long the requests take, the one over the limit is refused.
/// </summary>
[Collection(ApiCollection.Name)]
public class RateLimits(ApiFixture api)
{
    [Fact]
    public async Task a_client_over_its_allowance_gets_429_with_retry_after_while_others_carry_on()
    {
        using var greedy = api.Host.Client(api.Token("planner"));
        var statuses = new List<int>();
        for (var i = 0; i <= ApiFixture.RateLimit; i++)
            statuses.Add((int)(await greedy.GetAsync("/api/regencies")).StatusCode);
        Assert.All(statuses.Take(ApiFixture.RateLimit), s => Assert.Equal(200, s));

        var refused = await greedy.GetAsync("/api/regencies");
        Assert.Equal(429, (int)refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
        var problem = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rate-limited", problem.Slug());

        using var other = api.Host.Client(api.Token("planner"));
        Assert.Equal(200, (int)(await other.GetAsync("/api/regencies")).StatusCode);
    }
}
