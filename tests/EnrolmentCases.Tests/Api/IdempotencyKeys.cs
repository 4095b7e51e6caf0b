using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using Marten;
using Xunit.Abstractions;

namespace EnrolmentCases.Tests.Api;

/// <summary>An answer as a client sees it: what a repeat with the same key must give back unchanged.</summary>
public sealed record HttpAnswer(int Status, string Body, string? Location, string? ETag, bool Replayed)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    /// <summary>The same answer: status, body, Location and ETag.</summary>
    public void ShouldBeTheSameAs(HttpAnswer first)
    {
        Assert.Equal((first.Status, first.Body, first.Location, first.ETag), (Status, Body, Location, ETag));
    }
}

public static class IdempotentRequests
{
    public static string NewKey() => $"key-{Guid.NewGuid():N}";

    public static async Task<HttpAnswer> Send(this HttpClient client, HttpMethod method, string url, Func<HttpContent?> content, string? key)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content() };
        if (key is not null) request.Headers.TryAddWithoutValidation(Idempotency.Header, key);
        using var response = await client.SendAsync(request);
        return new HttpAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.ToString(),
            response.Headers.ETag?.ToString(), response.Headers.Contains(Idempotency.ReplayedHeader));
    }

    public static Func<HttpContent?> Json(object body) => () => JsonContent.Create(body);

    public static Task<long> EventsBy(string subject, string schema = "enrolment") =>
        TestSql.ScalarAsync($"select count(*) from {schema}.mt_events where user_name = '{subject}'");
}

/// <summary>
/// Idempotency-Key on every kind of POST and PUT, through the real pipeline: a repeat gets the first answer
/// and writes nothing, also when the repeats race; the same key with another request is refused; keys are
/// per caller and expire. Each test acts as a user of its own, so "nothing written" is counted by that user's events.
/// </summary>
[Collection(ApiCollection.Name)]
public class IdempotencyKeys(ApiFixture api, ITestOutputHelper output)
{
    private readonly string _setup = api.Token("caseworker", "17.04");

    private (string Subject, HttpClient Client) Caller(string role, params string[] regencies)
    {
        var subject = $"{role}-{Guid.NewGuid():N}";
        return (subject, api.Host.Client(api.TokenFor(role, subject, regencies)));
    }

    /// <summary>Sends the request twice with one key: both answers, and the user's events after each.</summary>
    private static async Task<(HttpAnswer First, HttpAnswer Repeat)> Twice(string subject, HttpClient client, HttpMethod method, string url,
        Func<HttpContent?> content, Func<HttpAnswer, Task>? settled = null)
    {
        var key = IdempotentRequests.NewKey();
        var first = await client.Send(method, url, content, key);
        // Work the first request queued (an import's rows) writes in the background, under the caller's name.
        if (settled is not null) await settled(first);
        var written = await IdempotentRequests.EventsBy(subject);
        var repeat = await client.Send(method, url, content, key);
        Assert.Equal(written, await IdempotentRequests.EventsBy(subject));
        Assert.False(first.Replayed);
        Assert.True(repeat.Replayed);
        repeat.ShouldBeTheSameAs(first);
        return (first, repeat);
    }

    [Fact]
    public async Task a_repeated_case_creation_gets_the_first_answer_and_opens_no_second_case()
    {
        var (subject, client) = Caller("caseworker", "17.04");
        var (first, _) = await Twice(subject, client, HttpMethod.Post, "/api/cases", IdempotentRequests.Json(Scenarios.NewWorker()));
        Assert.Equal(201, first.Status);
        Assert.Equal($"/api/cases/{first.Json.GetProperty("id").GetGuid()}", first.Location);
        Assert.Equal($"\"{first.Json.GetProperty("version").GetInt64()}\"", first.ETag);
        Assert.True(await IdempotentRequests.EventsBy(subject) > 0);
    }

    public static TheoryData<string> CaseCommands => new() { "contact-attempts", "enrolment", "subsidy", "premium-payments", "closure", "reopening" };

    [Theory]
    [MemberData(nameof(CaseCommands))]
    public async Task a_repeated_case_command_gets_the_first_answer_and_appends_nothing(string action)
    {
        // Only the money commands take a budget year of their own: there are only so many years to take.
        var year = action is "subsidy" or "premium-payments" ? MoneyScenarios.FreshBudgetYear() : 2026;
        if (action is "subsidy" or "premium-payments") await api.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        var id = await api.Host.IdentifyWorker(_setup);
        if (action is "enrolment" or "subsidy" or "premium-payments") await api.Host.Reach(_setup, id);
        if (action is "subsidy" or "premium-payments") await api.Host.Enrol(_setup, id);
        if (action is "premium-payments") await api.Host.Command(_setup, id, "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 3));
        if (action is "reopening") await api.Host.Command(_setup, id, "closure", new { reason = "declined" });
        object body = action switch
        {
            "contact-attempts" => new { channel = "visit", outcome = "reached" },
            "enrolment" => new { membershipNumber = "12345678901", programmes = new[] { "JKK", "JKM" }, declaredMonthlyIncome = 1_000_000, effectiveDate = "2026-03-01" },
            "subsidy" => MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 2),
            "premium-payments" => new { month = $"{year}-01", amount = 16_800, paidOn = $"{year}-02-05" },
            "closure" => new { reason = "declined", note = "not interested" },
            _ => new { note = "changed their mind" }
        };
        var before = (await api.Host.GetCase(_setup, id)).Version;

        var (subject, client) = Caller("caseworker", "17.04");
        // A paid month must not lie ahead: pay it in the budget year.
        using var clock = action == "premium-payments" ? api.ClockAt(new DateTimeOffset(year, 2, 6, 9, 0, 0, TimeSpan.FromHours(7))) : null;
        var (first, _) = await Twice(subject, client, HttpMethod.Post, $"/api/cases/{id}/{action}", IdempotentRequests.Json(body));

        Assert.True(first.Status == 200, first.Body);
        var after = first.Json.GetProperty("version").GetInt64();
        Assert.Equal(after, (await api.Host.GetCase(_setup, id)).Version);
        // Money moves on the budget's stream too, by the same caller.
        var onTheBudget = action is "subsidy" or "premium-payments" ? 1 : 0;
        Assert.Equal(after - before + onTheBudget, await IdempotentRequests.EventsBy(subject));
    }

    [Fact]
    public async Task a_repeated_allocation_adjustment_and_target_each_write_once()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var (subject, client) = Caller("planner");

        var (allocation, _) = await Twice(subject, client, HttpMethod.Post, "/api/budgets",
            IdempotentRequests.Json(new { payer = "APBD_PROVINCE", year, amount = 1_000_000, kind = "APBD" }));
        Assert.Equal(201, allocation.Status);
        Assert.Equal($"/api/budgets?year={year}", allocation.Location);

        var (adjustment, _) = await Twice(subject, client, HttpMethod.Post, "/api/budgets/adjustments",
            IdempotentRequests.Json(new { payer = "APBD_PROVINCE", year, amount = -250_000, reason = "revised APBD-P" }));
        Assert.Equal(200, adjustment.Status);
        Assert.Equal(750_000, (await api.Host.BudgetLine(year, Payer.ApbdProvince, null)).Allocated);

        var (target, _) = await Twice(subject, client, HttpMethod.Put, $"/api/regencies/17.71/targets/{year}",
            IdempotentRequests.Json(new { eligibleWorkers = 1234, source = "BPS" }));
        Assert.Equal(200, target.Status);
        Assert.Equal(3, await IdempotentRequests.EventsBy(subject));
    }

    [Fact]
    public async Task a_repeated_import_gets_the_first_import_and_queues_no_second()
    {
        var (subject, client) = Caller("caseworker", "17.04");
        var csv = "nik,fullName,regencyCode,district,village,occupation,phone,source\n" +
                  $"{Niks.Next("1704")},Dewi Lestari,17.04,Kaur Selatan,Padang Petron,farmer,,P3KE\n";
        var (first, _) = await Twice(subject, client, HttpMethod.Post, "/api/imports", () => new StringContent(csv, Encoding.UTF8, "text/csv"),
            answer => Finished(client, answer));

        Assert.Equal(202, first.Status);
        var id = first.Json.GetProperty("id").GetGuid();
        Assert.Equal($"/api/imports/{id}", first.Location);
        await using var session = api.Store.QuerySession();
        Assert.Equal(1, await session.Query<Import>().CountAsync(i => i.ImportedBy == subject));
    }

    private static async Task Finished(HttpClient client, HttpAnswer accepted)
    {
        var url = $"/api/imports/{accepted.Json.GetProperty("id").GetGuid()}";
        for (var i = 0; i < 250; i++)
        {
            var view = await client.GetFromJsonAsync<ImportView>(url, Json.Options);
            if (view!.Status is ImportStatus.Completed or ImportStatus.Failed) return;
            await Task.Delay(100);
        }

        throw new TimeoutException($"{url} did not finish");
    }

    [Fact]
    public async Task a_repeated_multipart_upload_with_a_new_boundary_is_the_same_request()
    {
        var (subject, client) = Caller("caseworker", "17.04");
        var csv = "nik,fullName,regencyCode,district,village,occupation,phone,source\n" +
                  $"{Niks.Next("1704")},Rina Wati,17.04,Kaur Selatan,Padang Petron,farmer,,P3KE\n";
        HttpContent Form()
        {
            // A fresh boundary on every send, as browsers and HTTP libraries draw one.
            var form = new MultipartFormDataContent($"----boundary{Guid.NewGuid():N}");
            form.Add(new StringContent(csv, Encoding.UTF8, "text/csv"), "file", "list.csv");
            return form;
        }

        var (first, _) = await Twice(subject, client, HttpMethod.Post, "/api/imports", Form, answer => Finished(client, answer));
        Assert.Equal(202, first.Status);
        await using var session = api.Store.QuerySession();
        Assert.Equal(1, await session.Query<Import>().CountAsync(i => i.ImportedBy == subject));
    }

    [Fact]
    public async Task a_refusal_is_answered_again_as_it_was_first_even_when_the_world_has_changed()
    {
        // The contract: a repeat gets the first answer. A budget-exceeded grant stays refused under its key,
        // even after money arrives; a new key asks again.
        var year = MoneyScenarios.FreshBudgetYear();
        var id = await api.Host.EnrolledCase(_setup);
        var (subject, client) = Caller("caseworker", "17.04");
        var key = IdempotentRequests.NewKey();
        var grant = IdempotentRequests.Json(MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-01", 2));

        var first = await client.Send(HttpMethod.Post, $"/api/cases/{id}/subsidy", grant, key);
        Assert.Equal(409, first.Status);
        Assert.Equal("budget-exceeded", first.Json.Slug());

        await api.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
        var repeat = await client.Send(HttpMethod.Post, $"/api/cases/{id}/subsidy", grant, key);
        repeat.ShouldBeTheSameAs(first);
        Assert.Equal(0, await IdempotentRequests.EventsBy(subject));

        Assert.Equal(200, (await client.Send(HttpMethod.Post, $"/api/cases/{id}/subsidy", grant, IdempotentRequests.NewKey())).Status);
    }

    [Fact]
    public async Task the_same_key_with_another_request_is_refused_and_writes_nothing()
    {
        var (subject, client) = Caller("caseworker", "17.04");
        var key = IdempotentRequests.NewKey();
        var first = await client.Send(HttpMethod.Post, "/api/cases", IdempotentRequests.Json(Scenarios.NewWorker()), key);
        Assert.Equal(201, first.Status);
        var written = await IdempotentRequests.EventsBy(subject);

        var caseId = first.Json.GetProperty("id").GetGuid();
        foreach (var (method, url, body) in new (HttpMethod, string, object)[]
                 {
                     (HttpMethod.Post, "/api/cases", Scenarios.NewWorker()),
                     (HttpMethod.Post, $"/api/cases/{caseId}/contact-attempts", new { channel = "visit", outcome = "reached" }),
                     (HttpMethod.Put, "/api/cases", Scenarios.NewWorker())
                 })
        {
            var other = await client.Send(method, url, IdempotentRequests.Json(body), key);
            if (method == HttpMethod.Put)
            {
                Assert.Equal(405, other.Status); // no such route: nothing to remember
                continue;
            }

            Assert.Equal(422, other.Status);
            Assert.Equal("idempotency-key-reused", other.Json.Slug());
        }

        Assert.Equal(written, await IdempotentRequests.EventsBy(subject));
    }

    [Fact]
    public async Task an_answer_carrying_personal_data_is_not_kept_and_a_repeat_reads_afresh()
    {
        var nik = Niks.Next("1704");
        await api.Host.IdentifyWorker(_setup, Scenarios.NewWorker(nik));
        var subject = $"auditor-{Guid.NewGuid():N}";
        using var client = api.Host.Client(api.TokenFor("auditor", subject));
        var key = IdempotentRequests.NewKey();

        var first = await client.Send(HttpMethod.Post, "/api/audit/subject-access", IdempotentRequests.Json(new { nik }), key);
        var repeat = await client.Send(HttpMethod.Post, "/api/audit/subject-access", IdempotentRequests.Json(new { nik }), key);
        Assert.Equal((200, 200), (first.Status, repeat.Status));
        Assert.False(repeat.Replayed);
        Assert.Contains(nik, repeat.Body);

        await using var session = api.Store.QuerySession();
        var record = await session.LoadAsync<IdempotencyRecord>(Idempotency.RecordId(subject, key));
        Assert.True(record is { Withheld: true, Answer: null });
        Assert.DoesNotContain(nik, JsonSerializer.Serialize(record));

        var other = await client.Send(HttpMethod.Post, "/api/audit/subject-access", IdempotentRequests.Json(new { nik = Niks.Next("1704") }), key);
        Assert.Equal(422, other.Status);
    }

    [Fact]
    public async Task a_repeat_of_a_request_whose_answer_was_lost_writes_nothing_and_says_so()
    {
        // As after a crash between the commit and keeping the answer: the record says the writes were
        // committed, but holds no answer. The repeat waits for one (Idempotency:WaitMilliseconds), then 409.
        var id = await api.Host.IdentifyWorker(_setup);
        var (subject, client) = Caller("caseworker", "17.04");
        var key = IdempotentRequests.NewKey();
        var body = IdempotentRequests.Json(new { channel = "visit", outcome = "refused" });
        Assert.Equal(200, (await client.Send(HttpMethod.Post, $"/api/cases/{id}/contact-attempts", body, key)).Status);
        await TestSql.ExecuteAsync(
            $"update enrolment.mt_doc_idempotencyrecord set data = data - 'answer' where id = '{Idempotency.RecordId(subject, key)}'");

        var repeat = await client.Send(HttpMethod.Post, $"/api/cases/{id}/contact-attempts", body, key);
        Assert.Equal(409, repeat.Status);
        Assert.Equal("idempotency-key-in-use", repeat.Json.Slug());
        Assert.Equal(1, await IdempotentRequests.EventsBy(subject));
    }

    [Fact]
    public async Task the_openapi_document_offers_the_key_on_every_post_and_put()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/openapi/v1.json");
            s.StatusCodeShouldBeOk();
        });
        var doc = await result.ReadAsJsonAsync<JsonElement>();
        var writes = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "post" or "put").Select(o => (Route: $"{o.Name} {p.Name}", Operation: o.Value)))
            .ToList();
        Assert.Contains(writes, w => w.Route == "post /api/budgets/adjustments");
        Assert.All(writes, w =>
        {
            Assert.True(w.Operation.GetProperty("parameters").EnumerateArray().Any(p => p.GetProperty("name").GetString() == Idempotency.Header), w.Route);
            Assert.True(w.Operation.GetProperty("responses").TryGetProperty("422", out _), w.Route);
        });
    }

    [Fact]
    public async Task another_callers_same_key_is_a_key_of_its_own()
    {
        var key = IdempotentRequests.NewKey();
        var (ani, aniClient) = Caller("caseworker", "17.04");
        var (budi, budiClient) = Caller("caseworker", "17.04");

        var first = await aniClient.Send(HttpMethod.Post, "/api/cases", IdempotentRequests.Json(Scenarios.NewWorker()), key);
        var second = await budiClient.Send(HttpMethod.Post, "/api/cases", IdempotentRequests.Json(Scenarios.NewWorker()), key);

        Assert.Equal((201, 201), (first.Status, second.Status));
        Assert.False(second.Replayed);
        Assert.NotEqual(first.Location, second.Location);
        Assert.True(await IdempotentRequests.EventsBy(ani) > 0);
        Assert.True(await IdempotentRequests.EventsBy(budi) > 0);
    }

    [Fact]
    public async Task racing_twins_of_a_case_command_append_once_and_all_get_the_same_answer()
    {
        var id = await api.Host.IdentifyWorker(_setup);
        var (subject, client) = Caller("caseworker", "17.04");
        var key = IdempotentRequests.NewKey();
        var body = IdempotentRequests.Json(new { channel = "phone", outcome = "unreachable" });

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.Send(HttpMethod.Post, $"/api/cases/{id}/contact-attempts", body, key)));

        Assert.All(answers, a => a.ShouldBeTheSameAs(answers[0]));
        Assert.Equal(200, answers[0].Status);
        Assert.Equal(1, await IdempotentRequests.EventsBy(subject));
        Assert.Equal(1, (await api.Host.GetCase(_setup, id)).ContactAttempts);
    }

    [Fact]
    public async Task racing_twins_of_a_case_creation_and_of_an_allocation_write_once_and_all_get_the_same_answer()
    {
        var (subject, client) = Caller("caseworker", "17.04");
        var key = IdempotentRequests.NewKey();
        var worker = IdempotentRequests.Json(Scenarios.NewWorker());
        var created = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.Send(HttpMethod.Post, "/api/cases", worker, key)));
        Assert.All(created, a => a.ShouldBeTheSameAs(created[0]));
        Assert.Equal(201, created[0].Status);
        Assert.Equal(created[0].Json.GetProperty("version").GetInt64(), await IdempotentRequests.EventsBy(subject));

        var year = MoneyScenarios.FreshBudgetYear();
        await api.Host.Allocate("APBD_PROVINCE", null, year, 1_000);
        var (planner, plannerClient) = Caller("planner");
        var allocation = IdempotentRequests.Json(new { payer = "APBD_PROVINCE", year, amount = 500, kind = "APBD_P" });
        var allocated = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            plannerClient.Send(HttpMethod.Post, "/api/budgets", allocation, key)));
        Assert.All(allocated, a => a.ShouldBeTheSameAs(allocated[0]));
        Assert.Equal(201, allocated[0].Status);
        Assert.Equal(1, await IdempotentRequests.EventsBy(planner));
        Assert.Equal(1_500, (await api.Host.BudgetLine(year, Payer.ApbdProvince, null)).Allocated);
    }

    [Fact]
    public async Task a_key_is_forgotten_after_its_retention_and_may_be_used_anew()
    {
        var id = await api.Host.IdentifyWorker(_setup);
        var (subject, client) = Caller("caseworker", "17.04");
        var key = IdempotentRequests.NewKey();
        var body = IdempotentRequests.Json(new { channel = "sms", outcome = "unreachable" });

        HttpAnswer first;
        // An instant finer than PostgreSQL's microseconds, as real clocks give.
        using (api.ClockAt(api.Clock.GetUtcNow().AddTicks(1_234_567)))
            first = await client.Send(HttpMethod.Post, $"/api/cases/{id}/contact-attempts", body, key);
        using (api.ClockAt(api.Clock.GetUtcNow().AddHours(23)))
            Assert.True((await client.Send(HttpMethod.Post, $"/api/cases/{id}/contact-attempts", body, key)).Replayed);
        Assert.Equal(1, await IdempotentRequests.EventsBy(subject));

        using (api.ClockAt(api.Clock.GetUtcNow().AddHours(24).AddSeconds(1)))
        {
            var later = await client.Send(HttpMethod.Post, $"/api/cases/{id}/contact-attempts", body, key);
            Assert.Equal(200, later.Status);
            Assert.False(later.Replayed);
            Assert.Equal(first.Json.GetProperty("version").GetInt64() + 1, later.Json.GetProperty("version").GetInt64());
        }

        Assert.Equal(2, await IdempotentRequests.EventsBy(subject));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("kunci-é")]
    [InlineData("tab\there")]
    [InlineData("x101")]
    public async Task a_malformed_key_is_a_validation_problem_and_nothing_runs(string key)
    {
        if (key == "x101") key = new string('x', 101);
        var subject = $"caseworker-{Guid.NewGuid():N}";
        var result = await api.Host.Scenario(s =>
        {
            s.Post.Json(Scenarios.NewWorker()).ToUrl("/api/cases");
            s.WithBearerToken(api.TokenFor("caseworker", subject, "17.04"));
            s.WithRequestHeader(Idempotency.Header, key);
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem();
        Assert.Equal("validation", problem.Slug());
        Assert.True(problem.GetProperty("errors").TryGetProperty(Idempotency.Header, out _));
        Assert.Equal(0, await IdempotentRequests.EventsBy(subject));
    }

    [Fact]
    public async Task a_key_of_a_hundred_visible_characters_is_accepted()
    {
        var (_, client) = Caller("caseworker", "17.04");
        var key = "!~" + new string('k', 98);
        var first = await client.Send(HttpMethod.Post, "/api/cases", IdempotentRequests.Json(Scenarios.NewWorker()), key);
        Assert.Equal(201, first.Status);
    }

    [Fact]
    public async Task without_a_key_a_repeat_runs_again_as_before()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        var (subject, client) = Caller("planner");
        var body = IdempotentRequests.Json(new { payer = "APBD_PROVINCE", year, amount = 1_000, kind = "APBD" });
        Assert.Equal(201, (await client.Send(HttpMethod.Post, "/api/budgets", body, null)).Status);
        Assert.Equal(201, (await client.Send(HttpMethod.Post, "/api/budgets", body, null)).Status);
        Assert.Equal(2, await IdempotentRequests.EventsBy(subject));
    }

    /// <summary>
    /// What a key costs a command: commands on one case, alternately without and with a fresh key, each
    /// appending once. Prints the medians (the ADR quotes them); asserts only that every one wrote once.
    /// </summary>
    [Fact]
    public async Task a_key_costs_a_command_a_lookup_and_a_small_write()
    {
        const int Warmup = 20, Measured = 200, PerCase = 40;
        var body = IdempotentRequests.Json(new { channel = "phone", outcome = "unreachable" });
        var without = new List<double>();
        var with = new List<double>();
        var replayed = new List<double>();
        var cases = new List<Guid>();
        HttpClient client = null!;
        for (var i = 0; i < Warmup + Measured; i++)
        {
            // A case and a caller per few dozen rounds: short streams, and no caller near its request allowance.
            if (i % PerCase == 0)
            {
                cases.Add(await api.Host.IdentifyWorker(_setup));
                client = Caller("caseworker", "17.04").Client;
            }

            var url = $"/api/cases/{cases[^1]}/contact-attempts";
            var key = IdempotentRequests.NewKey();
            foreach (var (series, sent) in new[] { (without, (string?)null), (with, key), (replayed, key) })
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var answer = await client.Send(HttpMethod.Post, url, body, sent);
                watch.Stop();
                Assert.Equal(200, answer.Status);
                if (i >= Warmup) series.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        output.WriteLine($"p50 over {Measured} commands each: without a key {Median(without):F2} ms, with a new key {Median(with):F2} ms, " +
                         $"a repeat answered from its key {Median(replayed):F2} ms");
        var attempts = 0;
        foreach (var id in cases) attempts += (await api.Host.GetCase(_setup, id)).ContactAttempts;
        Assert.Equal(2 * (Warmup + Measured), attempts);
    }
}

/// <summary>The replay verification job, on the audit fixture whose worker polls every second.</summary>
[Collection(AuditCollection.Name)]
public class IdempotentReplayVerification(AuditFixture audit)
{
    [Fact]
    public async Task a_repeated_start_names_the_same_job_and_starts_no_second()
    {
        var subject = $"auditor-{Guid.NewGuid():N}";
        var token = audit.TokenFor("auditor", subject);
        using var client = audit.Host.Client(token);
        var key = IdempotentRequests.NewKey();

        var first = await client.Send(HttpMethod.Post, Scenarios.ReplayVerifications, () => null, key);
        Assert.Equal(202, first.Status);
        var id = first.Json.GetProperty("id").GetGuid();
        Assert.Equal($"{Scenarios.ReplayVerifications}/{id}", first.Location);
        await audit.Host.FinishedReplayVerification(token, id);

        // The job has finished meanwhile; the repeat still gets the first answer, and starts nothing.
        var repeat = await client.Send(HttpMethod.Post, Scenarios.ReplayVerifications, () => null, key);
        repeat.ShouldBeTheSameAs(first);
        Assert.True(repeat.Replayed);
        await using var session = audit.Store.QuerySession();
        Assert.Equal(1, await session.Query<ReplayVerificationJob>().CountAsync(j => j.RequestedBy == subject));
    }
}
