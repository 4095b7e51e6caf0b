using System.Net;
using EnrolmentCases.Cases;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Concurrency(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    [Fact]
    public async Task a_stale_expected_version_is_a_conflict_naming_the_current_version()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Reach(_kaur, id);

        var result = await api.Host.Command(_kaur, id, "closure", new { reason = "declined", expectedVersion = 2 }, 409);
        var problem = await result.Problem();
        Assert.Equal("concurrency-conflict", problem.Slug());
        Assert.Equal(4, problem.GetProperty("currentVersion").GetInt64());
        Assert.Equal(CaseStage.Contacted, (await api.Host.GetCase(_kaur, id)).Stage);
    }

    [Fact]
    public async Task if_match_carries_the_expected_version_too()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Scenario(s =>
        {
            s.Post.Json(new { channel = "visit", outcome = "reached" }).ToUrl($"/api/cases/{id}/contact-attempts");
            s.WithBearerToken(_kaur);
            s.WithRequestHeader("If-Match", "\"2\"");
            s.StatusCodeShouldBe(200);
        });
        var stale = await api.Host.Scenario(s =>
        {
            s.Post.Json(new { reason = "declined" }).ToUrl($"/api/cases/{id}/closure");
            s.WithBearerToken(_kaur);
            s.WithRequestHeader("If-Match", "\"2\"");
            s.StatusCodeShouldBe(409);
        });
        Assert.Equal("concurrency-conflict", (await stale.Problem()).Slug());
    }

    [Fact]
    public async Task an_if_match_that_disagrees_with_the_body_is_invalid()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(new { channel = "visit", outcome = "reached", expectedVersion = 1 }).ToUrl($"/api/cases/{id}/contact-attempts");
            s.WithBearerToken(_kaur);
            s.WithRequestHeader("If-Match", "\"2\"");
            s.StatusCodeShouldBe(400);
        });
        Assert.Equal("validation", (await result.Problem()).Slug());
    }

    [Fact]
    public async Task two_writers_expecting_the_same_version_get_one_success_and_one_conflict()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        using var client = api.Host.Client(_kaur);
        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => client.PostJson(
            $"/api/cases/{id}/contact-attempts", new { channel = "visit", outcome = "unreachable", expectedVersion = 2 })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        Assert.Equal(1, (await api.Host.GetCase(_kaur, id)).ContactAttempts);
    }

    [Fact]
    public async Task simultaneous_writers_without_an_expected_version_never_lose_each_others_work()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        using var client = api.Host.Client(_kaur);
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.PostJson(
            $"/api/cases/{id}/contact-attempts", new { channel = "phone", outcome = "unreachable", note = $"call {i}" })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var view = await api.Host.GetCase(_kaur, id);
        Assert.Equal((8, 10L), (view.ContactAttempts, view.Version));
    }
}
