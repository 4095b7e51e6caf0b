using System.Net.Http.Json;
using Alba;
using EnrolmentCases.Imports;
using EnrolmentCases.Money;
using EnrolmentCases.Targets;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Callers learn only what their role and regencies allow: a regency's planner plans for that regency
/// only, and a duplicate names the existing case only to someone who may see it.
/// </summary>
[Collection(ApiCollection.Name)]
public class LeastKnowledge(ApiFixture api)
{
    private async Task<int> TargetRevisions(string regency, int year)
    {
        await using var session = api.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(RegencyTarget.IdFor(regency, year))).Count;
    }

    private Task<IScenarioResult> SetTarget(string token, string regency, int year, int status) => api.Host.Scenario(s =>
    {
        s.Put.Json(new { eligibleWorkers = 1_000, source = "Bappeda survey" }).ToUrl($"/api/regencies/{regency}/targets/{year}");
        s.WithBearerToken(token);
        s.StatusCodeShouldBe(status);
    });

    private Task<IScenarioResult> Allocate(string token, string payer, string? regency, int year, int status) => api.Host.Scenario(s =>
    {
        s.Post.Json(new { payer, regencyCode = regency, year, amount = 5_000, kind = "APBD" }).ToUrl("/api/budgets");
        s.WithBearerToken(token);
        s.StatusCodeShouldBe(status);
    });

    private async Task<long> Allocated(int year, Payer payer, string? regency) =>
        (await api.Host.Budgets(api.Token("auditor"), year)).Items
        .SingleOrDefault(l => l.Payer == payer && l.RegencyCode == regency)?.Allocated ?? 0;

    [Fact]
    public async Task a_regency_planner_sets_its_own_regencys_target_and_is_refused_another()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var rejangLebongPlanner = api.Token("planner", "17.04");

        await SetTarget(rejangLebongPlanner, "17.04", year, 200);
        var refused = await SetTarget(rejangLebongPlanner, "17.07", year, 403);

        Assert.Equal("forbidden", (await refused.Problem()).Slug());
        Assert.Equal(1, await TargetRevisions("17.04", year));
        Assert.Equal(0, await TargetRevisions("17.07", year));
    }

    [Fact]
    public async Task a_regency_planner_records_its_own_regencys_allocation_and_is_refused_another_and_the_provinces()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var planner = api.Token("planner", "17.04");

        await Allocate(planner, "APBD_REGENCY", "17.04", year, 201);
        var otherRegency = await Allocate(planner, "APBD_REGENCY", "17.07", year, 403);
        var province = await Allocate(planner, "APBD_PROVINCE", null, year, 403);

        Assert.Equal("forbidden", (await otherRegency.Problem()).Slug());
        Assert.Equal("forbidden", (await province.Problem()).Slug());
        Assert.Equal(5_000, await Allocated(year, Payer.ApbdRegency, "17.04"));
        Assert.Equal(0, await Allocated(year, Payer.ApbdRegency, "17.07"));
        Assert.Equal(0, await Allocated(year, Payer.ApbdProvince, null));
    }

    [Fact]
    public async Task a_province_planner_sets_any_target_and_records_any_allocation()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var province = api.Token("planner");

        await SetTarget(province, "17.04", year, 200);
        await SetTarget(province, "17.07", year, 200);
        await Allocate(province, "APBD_REGENCY", "17.07", year, 201);
        await Allocate(province, "APBD_PROVINCE", null, year, 201);

        Assert.Equal((1, 1), (await TargetRevisions("17.04", year), await TargetRevisions("17.07", year)));
        Assert.Equal(5_000, await Allocated(year, Payer.ApbdRegency, "17.07"));
        Assert.Equal(5_000, await Allocated(year, Payer.ApbdProvince, null));
    }

    private async Task<System.Text.Json.JsonElement> Duplicate(string token, string nik, string regency)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker(nik, regency)).ToUrl("/api/cases");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(409);
        });
        var problem = await result.Problem();
        Assert.Equal("duplicate-case", problem.Slug());
        return problem;
    }

    [Fact]
    public async Task the_duplicate_answer_names_the_existing_case_only_to_a_caller_who_may_see_it()
    {
        var nik = Niks.Next();
        var existing = await api.Host.IdentifyWorker(api.Token("caseworker", "17.04"), Scenarios.NewWorker(nik, "17.04"));

        var stranger = await Duplicate(api.Token("caseworker", "17.07"), nik, "17.07");
        Assert.False(stranger.TryGetProperty("existingCaseId", out _));
        Assert.False(stranger.TryGetProperty("regencyCode", out _));
        Assert.DoesNotContain(existing.ToString(), stranger.GetRawText());
        Assert.DoesNotContain("17.04", stranger.GetRawText());

        var colleague = await Duplicate(api.Token("caseworker", "17.04"), nik, "17.04");
        Assert.Equal(existing, colleague.GetProperty("existingCaseId").GetGuid());
    }

    [Fact]
    public async Task an_import_row_names_the_existing_case_only_when_the_importer_may_see_it()
    {
        var nik = Niks.Next();
        var existing = await api.Host.IdentifyWorker(api.Token("caseworker", "17.04"), Scenarios.NewWorker(nik, "17.04"));
        var importer = api.Token("caseworker", "17.07");
        var csv = "nik,fullName,regencyCode,district,village,occupation,phone,source\n" +
                  $"{nik},Dewi Lestari,17.07,Kota Arga Makmur,Desa Kali,coffee farmer,0812-3333-4444,DTSEN";

        var id = await api.Host.StartImport(importer, csv, "");
        var view = await api.Host.FinishedImport(importer, id);

        var row = Assert.Single(view.Rows);
        Assert.Equal((RowOutcome.Duplicate, (Guid?)null), (row.Outcome, row.CaseId));
        Assert.Equal(1, view.Counts.Duplicate);

        var download = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/imports/{id}/outcomes.csv");
            s.WithBearerToken(importer);
            s.StatusCodeShouldBeOk();
        });
        var text = await download.ReadAsTextAsync();
        Assert.DoesNotContain(existing.ToString(), text);
        Assert.Equal("2,duplicate,,", text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
