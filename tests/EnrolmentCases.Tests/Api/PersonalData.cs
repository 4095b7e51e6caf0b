using System.Net;
using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Cases;
using EnrolmentCases.Privacy;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host on a schema of its own: these tests search every table for a person's data and verify the whole chain.</summary>
public sealed class PrivacyFixture() : HostFixture(Schema)
{
    public const string Schema = "privacy_check";

    protected override void Configure(IDictionary<string, string> settings) => settings["ReplayVerification:PollSeconds"] = "1";
}

[CollectionDefinition(Name)]
public sealed class PrivacyCollection : ICollectionFixture<PrivacyFixture>
{
    public const string Name = "privacy";
}

/// <summary>Personal data sealed per person, corrected by caseworkers and erased on a lawful order without breaking anything else.</summary>
[Collection(PrivacyCollection.Name)]
public class PersonalDataCorrectionAndErasure(PrivacyFixture privacy)
{
    private readonly string _kaur = privacy.Token("caseworker", "17.04");
    private readonly string _auditor = privacy.Token("auditor");
    private readonly string _admin = privacy.Token("admin");
    private IAlbaHost Host => privacy.Host;

    /// <summary>A worker whose every personal value is unique to this test, so a search for it finds only them.</summary>
    private sealed record Person(string Nik, string FullName, string Phone, string District, string Village)
    {
        public static Person New(string regencyPrefix = "1704")
        {
            string Word() => string.Concat(Enumerable.Range(0, 10).Select(_ => (char)('a' + Random.Shared.Next(26))));
            return new Person(Niks.Next(regencyPrefix), $"Wulan {Word()}", $"0813{Random.Shared.Next(10_000_000, 99_999_999)}",
                $"Kecamatan {Word()}", $"Desa {Word()}");
        }

        public object Worker(string regency = "17.04") => new
        {
            nik = Nik, fullName = FullName, regencyCode = regency, district = District, village = Village, occupation = "rubber tapper",
            phone = Phone, source = "P3KE"
        };

        public string Row(string regency = "17.04") => $"{Nik},{FullName},{regency},{District},{Village},fisher,{Phone},DTSEN";

        public string[] Values => [Nik, FullName, Phone, District, Village];
    }

    private async Task<long> Count(string table, string where) =>
        await TestSql.ScalarAsync($"select count(*) from {PrivacyFixture.Schema}.{table} where {where}");

    /// <summary>Rows of every event and document table whose stored JSON contains any of the values.</summary>
    private async Task<List<string>> WhereStored(params string[] values)
    {
        var tables = await TestSql.NamesAsync(
            $"select table_name from information_schema.columns where table_schema = '{PrivacyFixture.Schema}' and column_name = 'data' order by 1");
        Assert.Contains("mt_events", tables);
        var found = new List<string>();
        foreach (var table in tables)
        foreach (var value in values)
            if (await Count(table, $"data::text like '%{value}%'") > 0) found.Add($"{table}: {value}");
        return found;
    }

    private static void AssertNoneOf(string text, IEnumerable<string> values, string where)
    {
        foreach (var value in values) Assert.False(text.Contains(value), $"{where} shows '{value}'");
    }

    private async Task<string> Raw(string token, string url, string? body = null)
    {
        var result = await Host.Scenario(s =>
        {
            if (body is null) s.Get.Url(url);
            else s.Post.Text(body).ToUrl(url);
            if (body is not null) s.WithRequestHeader("Content-Type", "application/json");
            s.WithBearerToken(token);
            s.StatusCodeShouldBeOk();
        });
        return await result.ReadAsTextAsync();
    }

    private Task<IScenarioResult> Erase(string token, object body, int status) => Host.Scenario(s =>
    {
        s.Post.Json(body).ToUrl("/api/audit/erasures");
        s.WithBearerToken(token);
        s.StatusCodeShouldBe(status);
    });

    private Task<IScenarioResult> Correct(string token, Guid id, object body, int status, string? ifMatch = null) => Host.Scenario(s =>
    {
        s.Post.Json(body).ToUrl($"/api/cases/{id}/corrections");
        s.WithBearerToken(token);
        if (ifMatch is not null) s.WithRequestHeader("If-Match", ifMatch);
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task events_and_documents_hold_no_nik_name_or_phone_in_clear()
    {
        var person = Person.New();
        var id = await Host.IdentifyWorker(_kaur, person.Worker());

        Assert.Empty(await WhereStored(person.Values));
        Assert.Equal(1, await Count("mt_events", $"stream_id = '{id}' and type = 'worker_identified' and data->>'nik' like 'pd1.%'"));
        var view = await Host.GetCase(_kaur, id);
        Assert.Equal((person.Nik, person.FullName, person.Phone, person.District, person.Village, false),
            (view.Nik, view.FullName, view.Phone, view.District, view.Village, view.Erased));
        var history = await Raw(_kaur, $"/api/cases/{id}/history");
        Assert.Contains(person.FullName, history);
        Assert.DoesNotContain("pd1.", history);
    }

    [Fact]
    public async Task a_correction_changes_the_view_and_the_history_keeps_who_why_and_what()
    {
        var person = Person.New();
        var id = await Host.IdentifyWorker(_kaur, person.Worker());
        var token = privacy.TokenFor("caseworker", "ani.kaur", "17.04");

        var result = await Correct(token, id, new { fullName = "Siti Aminah Binti Ahmad", phone = "0812-9999-0001", occupation = "fisher",
            reason = "Name misspelt on the P3KE list; new phone given at the visit" }, 200, ifMatch: "\"2\"");
        Assert.Equal(3, (await result.Accepted()).Version);
        Assert.Equal("\"3\"", result.Context.Response.Headers.ETag.ToString());

        var view = await Host.GetCase(_kaur, id);
        Assert.Equal(("Siti Aminah Binti Ahmad", "081299990001", "fisher", person.District, person.Nik, 3L),
            (view.FullName, view.Phone, view.Occupation, view.District, view.Nik, view.Version));
        var correction = (await Host.History(_kaur, id)).Events[^1];
        Assert.Equal(("worker_details_corrected", "ani.kaur"), (correction.Type, correction.User));
        var data = (JsonElement)correction.Data;
        Assert.Equal("Siti Aminah Binti Ahmad", data.GetProperty("fullName").GetString());
        Assert.Equal("081299990001", data.GetProperty("phone").GetString());
        Assert.False(data.TryGetProperty("village", out var village) && village.ValueKind != JsonValueKind.Null, "village was not corrected");
        Assert.StartsWith("Name misspelt", data.GetProperty("reason").GetString());
        Assert.Empty(await WhereStored("Binti Ahmad", "081299990001"));
    }

    [Fact]
    public async Task a_correction_takes_the_rules_of_identifying_and_only_the_case_own_caseworkers()
    {
        var id = await Host.IdentifyWorker(_kaur, Person.New().Worker());
        foreach (var (body, field) in new (object, string)[]
                 {
                     (new { reason = "nothing given" }, "body"),
                     (new { fullName = "Siti" }, "reason"),
                     (new { fullName = " ", reason = "blank" }, "fullName"),
                     (new { phone = "12", reason = "short" }, "phone"),
                     (new { village = new string('x', 101), reason = "long" }, "village"),
                     (new { occupation = "a\u0000b", reason = "control character" }, "occupation")
                 })
        {
            var problem = await (await Correct(_kaur, id, body, 400)).Problem();
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{field}: {problem}");
        }

        var conflict = await (await Correct(_kaur, id, new { village = "Padang Guci", reason = "moved", expectedVersion = 1 }, 409)).Problem();
        Assert.Equal(("concurrency-conflict", 2), (conflict.Slug(), conflict.GetProperty("currentVersion").GetInt32()));
        await Correct(privacy.Token("caseworker", "17.07"), id, new { village = "Padang Guci", reason = "moved" }, 404);
        foreach (var role in new[] { "auditor", "planner", "admin" })
            await Correct(privacy.Token(role), id, new { village = "Padang Guci", reason = "moved" }, 403);
        Assert.Equal(2, (await Host.GetCase(_kaur, id)).Version);
    }

    [Fact]
    public async Task only_admins_order_erasures_and_the_answer_does_not_tell_whether_anything_was_held()
    {
        var order = new { nik = Niks.Next(), legalBasis = "UU 27/2022 art. 8", reference = "REQ-1" };
        foreach (var role in new[] { "caseworker", "auditor", "planner" })
            await Erase(privacy.Token(role, "17.04"), order, 403);
        var invalid = await (await Erase(_admin, new { nik = "123", legalBasis = "", reference = "" }, 400)).Problem();
        Assert.Equal(["legalBasis", "nik", "reference"], invalid.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order());

        var nothingHeld = await (await Erase(_admin, order, 201)).ReadAsJsonAsync<JsonElement>();
        Assert.Equal(["id", "orderedAt"], nothingHeld.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task an_erasure_leaves_no_trace_of_the_person_and_every_figure_and_the_chain_intact()
    {
        var (erased, kept) = (Person.New(), Person.New());
        var caseId = await Host.IdentifyWorker(_kaur, erased.Worker());
        await Host.Reach(_kaur, caseId);
        await Host.Enrol(_kaur, caseId);
        await Correct(_kaur, caseId, new { village = "Desa Koreksi", reason = "typo" }, 200);
        // The same person on a list imported later (a duplicate row), beside another person the list brings in.
        var import = await Host.FinishedImport(_auditor, await Host.StartImport(_kaur,
            $"nik,fullName,regencyCode,district,village,occupation,phone,source\n{erased.Row()}\n{kept.Row()}\n"));
        Assert.Equal((1, 1), (import.Counts.Created, import.Counts.Duplicate));
        var keptId = import.Rows.Single(r => r.Outcome == EnrolmentCases.Imports.RowOutcome.Created).CaseId!.Value;

        await Host.ProjectionsCaughtUp();
        var before = await Host.GetCase(_kaur, caseId);
        var coverageBefore = (await Host.Coverage(_auditor)).Regencies;
        var eventsBefore = await TestSql.NamesAsync(
            $"select data::text || headers::text from {PrivacyFixture.Schema}.mt_events order by seq_id");

        var accepted = await (await Erase(_admin, new { nik = erased.Nik, legalBasis = "UU 27/2022 art. 8", reference = "Court order 12/2026" }, 201))
            .ReadAsJsonAsync<ErasureAccepted>();
        await Host.ProjectionsCaughtUp();

        // Reads: the case now and as it stood, the worklist, the history, subject access, the import, the export.
        var after = await Host.GetCase(_kaur, caseId);
        Assert.Equal((null, null, null, null, null, true), (after.Nik, after.FullName, after.Phone, after.District, after.Village, after.Erased));
        Assert.Equal((before.Stage, before.MembershipNumber, before.OpenedAt, before.ContactAttempts, before.Version + 1),
            (after.Stage, after.MembershipNumber, after.OpenedAt, after.ContactAttempts, after.Version));
        Assert.True((await Host.GetCase(_kaur, caseId, "?version=2")).Erased);
        var reads = new Dictionary<string, string>
        {
            ["case"] = await Raw(_auditor, $"/api/cases/{caseId}"),
            ["case at version 2"] = await Raw(_auditor, $"/api/cases/{caseId}?version=2"),
            ["worklist"] = await Raw(_kaur, "/api/cases?pageSize=200"),
            ["history"] = await Raw(_auditor, $"/api/cases/{caseId}/history"),
            ["import"] = await Raw(_auditor, $"/api/imports/{import.Id}"),
            ["import outcomes"] = await Raw(_auditor, $"/api/imports/{import.Id}/outcomes.csv"),
            ["export"] = await Raw(_auditor, "/api/audit/events")
        };
        var subjectAccess = JsonDocument.Parse(await Raw(_auditor, "/api/audit/subject-access", JsonSerializer.Serialize(new { nik = erased.Nik })));
        // The report repeats the NIK the auditor asked about; nothing else in it may name the person.
        reads["subject access"] = string.Join("", subjectAccess.RootElement.EnumerateObject().Where(p => p.Name != "nik").Select(p => p.Value.GetRawText()));
        foreach (var (where, text) in reads) AssertNoneOf(text, erased.Values, where);
        Assert.Empty(subjectAccess.RootElement.GetProperty("cases").EnumerateArray());
        Assert.Empty(await WhereStored(erased.Values));

        var history = await Host.History(_auditor, caseId);
        Assert.True(history.Events[0].Erased);
        var order = history.Events[^1];
        Assert.Equal("personal_data_erased", order.Type);
        Assert.Equal(accepted.Id, ((JsonElement)order.Data).GetProperty("orderId").GetGuid());

        // Everything else stays: the other person, the figures, every stored event byte for byte, the chain, a replay.
        var other = await Host.GetCase(_kaur, keptId);
        Assert.Equal((kept.FullName, kept.Phone, false), (other.FullName, other.Phone, other.Erased));
        Assert.Equal(coverageBefore, (await Host.Coverage(_auditor)).Regencies);
        var eventsAfter = await TestSql.NamesAsync(
            $"select data::text || headers::text from {PrivacyFixture.Schema}.mt_events order by seq_id");
        Assert.Equal(eventsBefore, eventsAfter.Take(eventsBefore.Count));
        var verification = await Host.VerifyChain(_auditor);
        Assert.True(verification.Valid, verification.ToString());
        var replay = await Host.FinishedReplayVerification(_auditor, (await Host.StartReplayVerification(_auditor)).Id);
        Assert.True(replay.Valid, JsonSerializer.Serialize(replay));

        // An erased case takes no correction; the same NIK identified anew gets a case and a key of its own.
        Assert.Equal("invalid-transition", (await (await Correct(_kaur, caseId, new { village = "X", reason = "late" }, 409)).Problem()).Slug());
        var again = await Host.IdentifyWorker(_kaur, erased.Worker());
        Assert.Equal(erased.FullName, (await Host.GetCase(_kaur, again)).FullName);
        Assert.True((await Host.GetCase(_kaur, caseId)).Erased);
        Assert.Equal(2, await Count("mt_events", $"type = 'worker_identified' and data->>'subject' = " +
            $"'{Host.Services.GetRequiredService<PersonalData>().SubjectOf(erased.Nik)}'"));
        Assert.NotEqual(
            await TestSql.ValueAsync($"select data->>'keyId' from {PrivacyFixture.Schema}.mt_events where stream_id = '{caseId}' and version = 1"),
            await TestSql.ValueAsync($"select data->>'keyId' from {PrivacyFixture.Schema}.mt_events where stream_id = '{again}' and version = 1"));
    }
}
