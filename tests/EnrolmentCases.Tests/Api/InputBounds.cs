using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alba;
using EnrolmentCases.Imports;
using Marten;
using Microsoft.AspNetCore.Http;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A host on a schema of its own with the production input bounds (ReferenceData:EarliestDate
/// 2014-01-01, HorizonYears 10, so with the clock on 2026-03-02 nothing after 2036): its event count
/// moves only with this collection's tests, which run one at a time, so "nothing written" is a count.
/// </summary>
public sealed class InputsFixture() : HostFixture("inputs_check", new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    protected override void Configure(IDictionary<string, string> settings) => settings["ReferenceData:HorizonYears"] = "10";

    /// <summary>Everything the store holds that a command could have written: events, imports and reconciliations.</summary>
    public async Task<(long Events, int Imports, int Reconciliations)> WrittenAsync()
    {
        var events = await TestSql.ScalarAsync("select count(*) from inputs_check.mt_events");
        await using var session = Store.QuerySession();
        return (events, await session.Query<Import>().CountAsync(), await session.Query<EnrolmentCases.Reconciliations.Reconciliation>().CountAsync());
    }
}

[CollectionDefinition(Name)]
public sealed class InputsCollection : ICollectionFixture<InputsFixture>
{
    public const string Name = "inputs";
}

[Collection(InputsCollection.Name)]
public class InputBounds(InputsFixture api)
{
    private const string Csv = "nik,fullName,regencyCode,district,village,occupation,phone,source";

    private readonly string _kaur = api.Token("caseworker", "17.04");
    private readonly string _planner = api.Token("planner");

    /// <summary>Sends a request and asserts a 400 validation problem naming the field, and nothing written.</summary>
    private async Task RefusedNaming(string field, Action<Scenario> request, string token)
    {
        var before = await api.WrittenAsync();
        var result = await api.Host.Scenario(s =>
        {
            request(s);
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        Assert.Equal(before, await api.WrittenAsync());
    }

    private static Action<Scenario> PostJson(string url, string json) => s =>
    {
        s.Post.Text(json).ToUrl(url);
        s.WithRequestHeader("Content-Type", "application/json");
    };

    [Theory]
    [InlineData("/api/coverage?asOf=9999-12-31", "asOf")]
    [InlineData("/api/coverage?asOf=9999-12-31T23:59:59Z", "asOf")]
    [InlineData("/api/coverage?asOf=0001-01-01", "asOf")]
    [InlineData("/api/coverage?asOf=2013-12-31", "asOf")]
    [InlineData("/api/coverage?asOf=2037-01-01", "asOf")]
    [InlineData("/api/coverage/17.04/timeline?from=9999-01&to=9999-12", "to")]
    [InlineData("/api/coverage/17/timeline?to=9999-12", "to")]
    [InlineData("/api/coverage/17.04/timeline?from=2013-12&to=2014-06", "from")]
    [InlineData("/api/budgets?year=9999", "year")]
    [InlineData("/api/budgets?year=2013", "year")]
    [InlineData("/api/subsidy-forecast?year=2037", "year")]
    public async Task reads_of_dates_outside_the_programme_are_refused(string url, string field) =>
        await RefusedNaming(field, s => s.Get.Url(url), _planner);

    [Theory]
    [InlineData("0001-01-01")]
    [InlineData("2013-12-31")]
    public async Task an_effective_date_before_the_programme_is_refused(string effectiveDate)
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Reach(_kaur, id);
        await RefusedNaming("effectiveDate", PostJson($"/api/cases/{id}/enrolment",
            $$"""{"membershipNumber":"12345678901","programmes":["JKK","JKM"],"declaredMonthlyIncome":1000000,"effectiveDate":"{{effectiveDate}}"}"""), _kaur);
    }

    [Fact]
    public async Task a_contact_attempt_before_the_programme_is_refused()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await RefusedNaming("occurredAt", PostJson($"/api/cases/{id}/contact-attempts",
            """{"channel":"visit","outcome":"reached","occurredAt":"2013-12-31T00:00:00+07:00"}"""), _kaur);
    }

    [Theory]
    [InlineData("fullName")]
    [InlineData("occupation")]
    [InlineData("district")]
    [InlineData("village")]
    public async Task a_control_character_in_a_worker_field_is_refused(string field)
    {
        var worker = JsonSerializer.SerializeToNode(Scenarios.NewWorker())!.AsObject();
        worker[field] = "\u0000";
        await RefusedNaming(field, PostJson("/api/cases", worker.ToJsonString()), _kaur);
        worker[field] = "Siti\u001bAminah";
        await RefusedNaming(field, PostJson("/api/cases", worker.ToJsonString()), _kaur);
    }

    [Theory]
    [InlineData("contact-attempts", """{"channel":"visit","outcome":"reached","note":"\u0000"}""")]
    [InlineData("closure", """{"reason":"declined","note":"met\u0007"}""")]
    [InlineData("reopening", """{"note":"\u0000"}""")]
    public async Task a_control_character_in_a_note_is_refused(string action, string body)
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await RefusedNaming("note", PostJson($"/api/cases/{id}/{action}", body), _kaur);
    }

    [Fact]
    public async Task a_note_may_span_lines()
    {
        var id = await api.Host.IdentifyWorker(_kaur);
        await api.Host.Command(_kaur, id, "contact-attempts", new { channel = "visit", outcome = "unreachable", note = "Not home.\r\nNeighbour:\tback Friday." });
    }

    [Theory]
    [InlineData("""{"payer":"APBD_PROVINCE","year":2037,"amount":1000,"kind":"APBD"}""", "year")]
    [InlineData("""{"payer":"APBD_PROVINCE","year":2013,"amount":1000,"kind":"APBD"}""", "year")]
    [InlineData("""{"payer":"APBD_PROVINCE","year":2026,"amount":1000,"kind":"APBD","note":"\u0000"}""", "note")]
    public async Task an_allocation_outside_the_bounds_is_refused(string body, string field) =>
        await RefusedNaming(field, PostJson("/api/budgets", body), _planner);

    [Theory]
    [InlineData(2037)]
    [InlineData(2013)]
    [InlineData(9999)]
    public async Task a_target_for_a_year_outside_the_bounds_is_refused(int year) =>
        await RefusedNaming("year", s => s.Put.Json(new { eligibleWorkers = 100, source = "BPS" }).ToUrl($"/api/regencies/17.04/targets/{year}"), _planner);

    [Fact]
    public async Task a_subsidy_for_a_budget_year_beyond_the_horizon_is_refused()
    {
        var id = await api.Host.EnrolledCase(_kaur);
        await RefusedNaming("budgetYear", PostJson($"/api/cases/{id}/subsidy",
            """{"payer":"APBD_PROVINCE","budgetYear":2037,"startMonth":"2037-01","months":12}"""), _kaur);
    }

    [Fact]
    public async Task a_huge_rows_page_is_refused_and_a_page_past_the_end_is_empty()
    {
        var import = await api.Host.StartImport(_kaur, Csv + "\r\n");
        await api.Host.FinishedImport(_kaur, import);
        await RefusedNaming("rowsPage", s => s.Get.Url($"/api/imports/{import}?rowsPage={int.MaxValue}&rowsPageSize=10000"), _kaur);
        await RefusedNaming("rowsPage", s => s.Get.Url($"/api/imports/{import}?rowsPage=0"), _kaur);
        Assert.Empty((await api.Host.GetImport(_kaur, import, "?rowsPage=100000&rowsPageSize=10000")).Rows);
    }

    [Theory]
    [InlineData("?page=2147483647&pageSize=200", "page")]
    [InlineData("?page=100001", "page")]
    [InlineData("?page=1&pageSize=2147483647", "pageSize")]
    [InlineData("?regency=%00", "regency")]
    public async Task absurd_worklist_pages_are_refused(string query, string field) =>
        await RefusedNaming(field, s => s.Get.Url($"/api/cases{query}"), _kaur);

    [Theory]
    [InlineData("fileName", 256, "")]
    [InlineData("fileName", 10, "\u0000")]
    [InlineData("fileName", 10, "\n")]
    [InlineData("listSource", 301, "")]
    [InlineData("listSource", 10, "\u0007")]
    public async Task an_import_with_a_long_or_control_character_name_is_refused(string parameter, int length, string tail)
    {
        var value = Uri.EscapeDataString(new string('a', length) + tail);
        await RefusedNaming(parameter, s =>
        {
            s.Post.Text($"{Csv}\r\n{Niks.Next()},Siti,17.04,,,farmer,,P3KE\r\n").ToUrl("/api/imports");
            s.ConfigureHttpContext(c => c.Request.QueryString = new QueryString($"?{parameter}={value}"));
            s.WithRequestHeader("Content-Type", "text/csv");
        }, _kaur);
    }

    [Fact]
    public async Task an_import_file_with_a_nul_character_is_refused() =>
        await RefusedNaming("file", s =>
        {
            s.Post.Text($"{Csv}\r\n{Niks.Next()},Siti\u0000,17.04,,,farmer,,P3KE\r\n").ToUrl("/api/imports");
            s.WithRequestHeader("Content-Type", "text/csv");
        }, _kaur);

    [Fact]
    public async Task a_row_with_a_control_character_is_invalid_and_opens_no_case()
    {
        var before = await api.WrittenAsync();
        var import = await api.Host.StartImport(_kaur, $"{Csv}\r\n{Niks.Next()},Siti\u0007,17.04,,,farmer,,P3KE\r\n");
        var view = await api.Host.FinishedImport(_kaur, import);
        var row = Assert.Single(view.Rows);
        Assert.Equal(RowOutcome.Invalid, row.Outcome);
        Assert.Equal(before.Events, (await api.WrittenAsync()).Events);
    }
}
