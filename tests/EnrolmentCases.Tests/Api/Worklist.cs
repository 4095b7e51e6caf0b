using EnrolmentCases.Cases;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Worklist(ApiFixture api)
{
    // Bengkulu Tengah is used by no other test class, so its worklist holds only what these tests put there.
    private readonly string _tengah = api.Token("caseworker", "17.09");

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

        var first = await api.Host.Worklist(_tengah, "?regency=17.09&page=1&pageSize=2");
        Assert.Equal((5L, 1, 2), (first.Total, first.Page, first.PageSize));
        Assert.Equal([ids[4], ids[3]], first.Items.Select(c => c.Id));

        var third = await api.Host.Worklist(_tengah, "?regency=17.09&page=3&pageSize=2");
        Assert.Equal([ids[0]], third.Items.Select(c => c.Id));

        var contacted = await api.Host.Worklist(_tengah, "?regency=17.09&stage=contacted");
        Assert.Equal(2, contacted.Total);
        Assert.Equal([ids[3], ids[1]], contacted.Items.Select(c => c.Id));
        Assert.All(contacted.Items, c => Assert.Equal(CaseStage.Contacted, c.Stage));
    }

    [Fact]
    public async Task a_caseworker_never_sees_other_regencies_in_the_worklist()
    {
        var seluma = api.Token("caseworker", "17.05");
        await api.Host.IdentifyWorker(seluma, Scenarios.NewWorker(regency: "17.05"));
        var kaur = api.Token("caseworker", "17.04");
        await api.Host.IdentifyWorker(kaur);

        var asked = await api.Host.Worklist(kaur, "?regency=17.05");
        Assert.Equal(0, asked.Total);
        var own = await api.Host.Worklist(kaur, "?pageSize=200");
        Assert.All(own.Items, c => Assert.Equal("17.04", c.RegencyCode));

        var auditor = await api.Host.Worklist(api.Token("auditor"), "?regency=17.05");
        Assert.True(auditor.Total >= 1);
    }

    [Theory]
    [InlineData("?stage=sleeping", "stage")]
    [InlineData("?page=0", "page")]
    [InlineData("?pageSize=1000", "pageSize")]
    [InlineData("?page=abc", "page")]
    public async Task bad_paging_or_filters_are_validation_problems(string query, string field)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases{query}");
            s.WithBearerToken(_tengah);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
