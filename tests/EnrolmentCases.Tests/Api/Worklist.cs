using System.Text.Json;
using Alba;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Worklist(ApiFixture api)
{
    // Bengkulu Tengah is used by no other test class, so its worklist holds only what these tests put there.
    private readonly string _tengah = api.Token("caseworker", "17.09");

    private async Task<JsonElement> Page(string token, string query, int status = 200)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases{query}");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(status);
        });
        return await result.ReadAsJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task the_worklist_pages_newest_first_and_filters_by_stage()
    {
        // A minute apart, so "newest first" has one answer; each ClockAt puts the shared clock back.
        var start = api.Clock.GetUtcNow();
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            using (api.ClockAt(start.AddMinutes(i + 1)))
                ids.Add(await api.Host.IdentifyWorker(_tengah, Scenarios.NewWorker(regency: "17.09")));
        }

        await api.Host.Reach(_tengah, ids[1]);
        await api.Host.Reach(_tengah, ids[3]);

        var first = await Page(_tengah, "?regency=17.09&page=1&pageSize=2");
        Assert.Equal(5, first.GetProperty("total").GetInt64());
        Assert.Equal(1, first.GetProperty("page").GetInt32());
        Assert.Equal(2, first.GetProperty("pageSize").GetInt32());
        Assert.Equal([ids[4], ids[3]], first.GetProperty("items").EnumerateArray().Select(x => x.GetProperty("id").GetGuid()));

        var third = await Page(_tengah, "?regency=17.09&page=3&pageSize=2");
        Assert.Equal([ids[0]], third.GetProperty("items").EnumerateArray().Select(x => x.GetProperty("id").GetGuid()));

        var contacted = await Page(_tengah, "?regency=17.09&stage=contacted");
        Assert.Equal(2, contacted.GetProperty("total").GetInt64());
        Assert.Equal([ids[3], ids[1]], contacted.GetProperty("items").EnumerateArray().Select(x => x.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task a_caseworker_never_sees_other_regencies_in_the_worklist()
    {
        var seluma = api.Token("caseworker", "17.05");
        await api.Host.IdentifyWorker(seluma, Scenarios.NewWorker(regency: "17.05"));
        var kaur = api.Token("caseworker", "17.04");
        await api.Host.IdentifyWorker(kaur);

        var asked = await Page(kaur, "?regency=17.05");
        Assert.Equal(0, asked.GetProperty("total").GetInt64());
        var own = await Page(kaur, "?pageSize=200");
        Assert.All(own.GetProperty("items").EnumerateArray(), x => Assert.Equal("17.04", x.GetProperty("regencyCode").GetString()));

        var auditor = await Page(api.Token("auditor"), "?regency=17.05");
        Assert.True(auditor.GetProperty("total").GetInt64() >= 1);
    }

    [Theory]
    [InlineData("?stage=sleeping", "stage")]
    [InlineData("?page=0", "page")]
    [InlineData("?pageSize=1000", "pageSize")]
    [InlineData("?page=abc", "page")]
    public async Task bad_paging_or_filters_are_validation_problems(string query, string field)
    {
        var problem = await Page(_tengah, query, 400);
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
