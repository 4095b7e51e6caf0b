using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class IdentifyingWorkers(ApiFixture api)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");

    private async Task<int> CasesWithNik(string nik)
    {
        await using var session = api.Store.QuerySession();
        var subject = api.Host.Services.GetRequiredService<PersonalData>().SubjectOf(nik);
        return await session.Query<CaseDetails>().CountAsync(c => c.Subject == subject);
    }

    [Fact]
    public async Task a_new_worker_gets_a_case_with_location_etag_and_every_field()
    {
        var nik = Niks.Next();
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker(nik)).ToUrl("/api/cases");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(201);
            s.Header("ETag").SingleValueShouldEqual("\"2\"");
        });
        var accepted = await result.Accepted();
        Assert.Equal($"/api/cases/{accepted.Id}", result.Context.Response.Headers.Location.ToString());
        // WorkerIdentified, then CaseStageChanged into "identified".
        Assert.Equal(2, accepted.Version);

        var now = api.Clock.GetUtcNow();
        Assert.Equal(
            new CaseDetails(accepted.Id, nik, "Siti Aminah", "17.04", "Kaur Selatan", "Padang Petron", "rubber tapper", "081270001234",
                WorkerSource.P3Ke, CaseStage.Identified, OpenedAt: now, UpdatedAt: now) { Version = 2, ContactAttempts = 0 },
            await api.Host.GetCase(_kaur, accepted.Id));

        // On the wire, fields without a value are left out rather than sent as null, and so are the
        // members the read model keeps only for the application's own queries.
        var json = await api.Host.Read<JsonElement>(_kaur, $"/api/cases/{accepted.Id}");
        Assert.Equal(
            ["contactAttempts", "district", "erased", "fullName", "id", "nik", "occupation", "openedAt", "phone", "regencyCode", "source", "stage", "updatedAt",
             "version", "village"],
            json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task the_case_belongs_to_the_domicile_regency_not_the_nik_prefix()
    {
        // Issued in Rejang Lebong (17.02), living in Kaur (17.04).
        var nik = Niks.Next("1702");
        var id = await api.Host.IdentifyWorker(_kaur, Scenarios.NewWorker(nik, "17.04"));
        Assert.Equal("17.04", (await api.Host.GetCase(_kaur, id)).RegencyCode);
    }

    public static TheoryData<string, string> InvalidWorkers => new()
    {
        { """{"nik":"17040145069","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "nik" },
        { """{"nik":"17040145069X0001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "nik" },
        { """{"nik":"9904014506900001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "nik" },
        { """{"nik":"1704013206900001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "nik" },
        { """{"nik":"1704014513900001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "nik" },
        { """{"nik":"1704014506900001","fullName":"","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "fullName" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"31.71","occupation":"farmer","source":"P3KE"}""", "regencyCode" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"17.04","source":"P3KE"}""", "occupation" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"17.04","occupation":"farmer"}""", "source" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"RUMOUR"}""", "source" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE","phone":"call me"}""", "phone" },
        { """{"nik":1704014506900001,"fullName":"A","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "nik" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"17.04","occupation":"farmer","source":3}""", "source" },
        { """{"nik":"1704014506900001", """, "body" },
        { "[]", "body" },
        { "null", "body" },
        { "\"just a string\"", "body" },
        { new string('[', 5000) + new string(']', 5000), "body" },
        { $$$"""{"nik":"1704014506900001","fullName":"{{{new string('A', 10_000)}}}","regencyCode":"17.04","occupation":"farmer","source":"P3KE"}""", "fullName" },
        { """{"nik":"1704014506900001","fullName":"A","regencyCode":"17.04' OR '1'='1","occupation":"farmer","source":"P3KE"}""", "regencyCode" },
    };

    [Theory, MemberData(nameof(InvalidWorkers))]
    public async Task an_invalid_worker_is_refused_with_the_field_named_and_nothing_is_written(string body, string field)
    {
        var nik = JsonNik(body);
        var before = nik is null ? 0 : await CasesWithNik(nik);
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl("/api/cases");
            s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
        if (nik is not null) Assert.Equal(before, await CasesWithNik(nik));
    }

    private static string? JsonNik(string body)
    {
        var at = body.IndexOf("\"nik\":\"", StringComparison.Ordinal);
        return at < 0 ? null : body.Substring(at + 7, Math.Max(0, body.IndexOf('"', at + 7) - at - 7));
    }

    [Fact]
    public async Task a_body_that_is_not_json_gets_415_problem_details()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Text("nik=1704014506900001").ToUrl("/api/cases");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(415);
        });
        Assert.Equal("unsupported-media-type", (await result.Problem()).Slug());
    }

    [Fact]
    public async Task a_second_open_case_for_the_same_nik_is_refused_naming_the_first()
    {
        var nik = Niks.Next();
        var first = await api.Host.IdentifyWorker(_kaur, Scenarios.NewWorker(nik));
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker(nik)).ToUrl("/api/cases");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(409);
        });
        var problem = await result.Problem();
        Assert.Equal("duplicate-case", problem.Slug());
        Assert.Equal(first, problem.GetProperty("existingCaseId").GetGuid());
        Assert.Equal(1, await CasesWithNik(nik));
    }

    [Fact]
    public async Task twenty_simultaneous_identifications_of_one_nik_create_exactly_one_case()
    {
        var nik = Niks.Next();
        using var client = api.Host.Client(_kaur);
        using var start = new ManualResetEventSlim();
        var posts = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await client.PostJson("/api/cases", Scenarios.NewWorker(nik));
        })).ToList();
        start.Set();
        var responses = await Task.WhenAll(posts);

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        var conflicts = responses.Where(r => r.StatusCode == HttpStatusCode.Conflict).ToList();
        Assert.Equal(19, conflicts.Count);
        var winner = (await responses.Single(r => r.StatusCode == HttpStatusCode.Created).Content.ReadFromJsonAsync<CommandAccepted>())!.Id;
        foreach (var conflict in conflicts)
        {
            var problem = JsonDocument.Parse(await conflict.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("duplicate-case", problem.Slug());
            Assert.Equal(winner, problem.GetProperty("existingCaseId").GetGuid());
        }

        Assert.Equal(1, await CasesWithNik(nik));
        await using var session = api.Store.QuerySession();
        var streams = await session.QueryAsync<int>(
            "select count(*)::int from enrolment.mt_events where type = 'worker_identified' and data ->> 'subject' = ?",
            api.Host.Services.GetRequiredService<PersonalData>().SubjectOf(nik));
        Assert.Equal(1, streams.Single());
    }

    [Fact]
    public async Task every_event_records_who_acted_the_correlation_and_the_causing_request()
    {
        var token = api.TokenFor("caseworker", "ani.kaur", "17.04");
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker()).ToUrl("/api/cases");
            s.WithBearerToken(token);
            s.WithRequestHeader("X-Correlation-Id", "field-visit-42");
            s.StatusCodeShouldBe(201);
        });
        var id = (await result.Accepted()).Id;

        await using var session = api.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync(id);
        Assert.Equal(2, events.Count);
        Assert.All(events, e =>
        {
            Assert.Equal("ani.kaur", e.UserName);
            Assert.Equal("field-visit-42", e.CorrelationId);
            Assert.Contains("POST /api/cases", e.CausationId);
            Assert.Equal("Tester ani.kaur", e.GetHeader("userName")?.ToString());
            Assert.Equal("caseworker", e.GetHeader("role")?.ToString());
        });
    }
}
