using EnrolmentCases.Forecast;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Forecasts(ApiFixture api)
{
    [Fact]
    public async Task the_forecast_costs_the_subsidised_cohort_against_its_budgets()
    {
        var kaur = api.Token("caseworker", "17.04");
        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_REGENCY", "17.04", year, 300_000);
        await api.Host.Allocate("APBD_PROVINCE", null, year, 1_000_000);
        for (var i = 0; i < 2; i++)
            await api.Host.Command(kaur, await api.Host.EnrolledCase(kaur), "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-07", 6));
        await api.Host.Command(kaur, await api.Host.EnrolledCase(kaur), "subsidy", MoneyScenarios.Grant("APBD_PROVINCE", year, $"{year}-01", 12));
        // The cohort counts are kept by the async daemon (ADR 0042), like the coverage the forecast shows beside them.
        await api.Host.ProjectionsCaughtUp();

        var report = await api.Host.Read<SubsidyForecastReport>(api.Token("planner"),
            $"/api/subsidy-forecast?year={year}&targetCoverage=0.5&provinceShare=0.3");
        var kaurRow = report.Regencies.Single(r => r.Code == "17.04");

        Assert.Equal(new ByPayer(Regency: 2, Province: 1), kaurRow.SubsidizedWorkers);
        Assert.Equal(2 * 16_800, kaurRow.MonthlyCost.Regency);
        Assert.Equal(new ByPayer(Regency: 2 * 6 * 16_800, Province: 12 * 16_800), kaurRow.YearlyCost);
        Assert.Equal(2 * 6 * 16_800 - 300_000, kaurRow.Gap.Regency);
        Assert.Equal(300_000, kaurRow.RegencyAllocation?.Allocated);
        Assert.Equal(1_000_000, report.Province.ProvinceAllocation?.Allocated);
    }

    [Theory]
    [InlineData("?targetCoverage=1.5")]
    [InlineData("?targetCoverage=0")]
    [InlineData("?provinceShare=-0.1")]
    [InlineData("?year=1999")]
    [InlineData("?year=next")]
    public async Task impossible_forecast_questions_are_refused(string query)
    {
        await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/subsidy-forecast{query}");
            s.WithBearerToken(api.Token("auditor"));
            s.StatusCodeShouldBe(400);
        });
    }
}
