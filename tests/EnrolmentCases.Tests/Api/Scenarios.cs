using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Coverage;
using EnrolmentCases.Imports;
using EnrolmentCases.Infrastructure;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Small steps the API tests are written in, each going through the real HTTP pipeline of whichever
/// host it is given: a fixture's or one a test starts itself. Reads answer with the API's own view
/// records, deserialized with the API's JSON options.
/// </summary>
public static class Scenarios
{
    public static object NewWorker(string? nik = null, string regency = "17.04") => new
    {
        nik = nik ?? Niks.Next(),
        fullName = "Siti Aminah",
        regencyCode = regency,
        district = "Kaur Selatan",
        village = "Padang Petron",
        occupation = "rubber tapper",
        phone = "0812-7000-1234",
        source = "P3KE"
    };

    public static async Task<Guid> IdentifyWorker(this IAlbaHost host, string token, object? worker = null)
    {
        var result = await host.Scenario(s =>
        {
            s.Post.Json(worker ?? NewWorker()).ToUrl("/api/cases");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(201);
        });
        return (await result.Accepted()).Id;
    }

    public static async Task<IScenarioResult> Command(this IAlbaHost host, string token, Guid caseId, string action,
        object body, int expectedStatus = 200)
    {
        return await host.Scenario(s =>
        {
            s.Post.Json(body).ToUrl($"/api/cases/{caseId}/{action}");
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(expectedStatus);
        });
    }

    /// <summary>The body of an accepted command: the stream's id and the version the command produced.</summary>
    public static async Task<CommandAccepted> Accepted(this IScenarioResult result) =>
        (await result.ReadAsJsonAsync<CommandAccepted>())!;

    public static Task<IScenarioResult> Reach(this IAlbaHost host, string token, Guid caseId) =>
        host.Command(token, caseId, "contact-attempts", new { channel = "visit", outcome = "reached" });

    public static Task<IScenarioResult> Enrol(this IAlbaHost host, string token, Guid caseId, string effectiveDate = "2026-03-01") =>
        host.Command(token, caseId, "enrolment", new
        {
            membershipNumber = "12345678901",
            programmes = new[] { "JKK", "JKM" },
            declaredMonthlyIncome = 1_000_000,
            effectiveDate
        });

    /// <summary>A case identified, reached and enrolled by the caseworker, in the regency given.</summary>
    public static async Task<Guid> EnrolledCase(this IAlbaHost host, string token, string regency = "17.04", string effectiveDate = "2026-03-01")
    {
        var id = await host.IdentifyWorker(token, NewWorker(regency: regency));
        await host.Reach(token, id);
        await host.Enrol(token, id, effectiveDate);
        return id;
    }

    /// <summary>A GET that must answer 200, read as the API's view record.</summary>
    public static async Task<T> Read<T>(this IAlbaHost host, string token, string url)
    {
        var result = await host.Scenario(s =>
        {
            s.Get.Url(url);
            s.WithBearerToken(token);
            s.StatusCodeShouldBeOk();
        });
        return (await result.ReadAsJsonAsync<T>())!;
    }

    /// <summary>The case as the caller sees it (now, or as of the ?version= or ?asOf= in the query).</summary>
    public static Task<CaseDetails> GetCase(this IAlbaHost host, string token, Guid caseId, string query = "") =>
        host.Read<CaseDetails>(token, $"/api/cases/{caseId}{query}");

    public static Task<Paged<CaseDetails>> Worklist(this IAlbaHost host, string token, string query = "") =>
        host.Read<Paged<CaseDetails>>(token, $"/api/cases{query}");

    public static Task<CaseHistory> History(this IAlbaHost host, string token, Guid caseId) =>
        host.Read<CaseHistory>(token, $"/api/cases/{caseId}/history");

    public static Task<CoverageReport> Coverage(this IAlbaHost host, string token, string query = "") =>
        host.Read<CoverageReport>(token, $"/api/coverage{query}");

    /// <summary>A coverage row's count of cases at one stage.</summary>
    public static long Count(this CoverageRow row, CaseStage stage) => stage switch
    {
        CaseStage.Identified => row.Identified,
        CaseStage.Contacted => row.Contacted,
        CaseStage.Enrolled => row.Enrolled,
        CaseStage.Subsidized => row.Subsidized,
        CaseStage.Lapsed => row.Lapsed,
        CaseStage.Closed => row.Closed,
        _ => throw new ArgumentOutOfRangeException(nameof(stage))
    };

    public static Task<ChainVerification> VerifyChain(this IAlbaHost host, string token, string query = "") =>
        host.Read<ChainVerification>(token, $"/api/audit/verify{query}");

    public static Task<ImportView> GetImport(this IAlbaHost host, string token, Guid importId, string query = "") =>
        host.Read<ImportView>(token, $"/api/imports/{importId}{query}");

    /// <summary>Posts a file as text/csv, as the offices' scripts do, and answers with the accepted import's id.</summary>
    public static async Task<Guid> StartImport(this IAlbaHost host, string token, string csv, string query = "")
    {
        using var client = host.Client(token);
        var response = await client.PostAsync($"/api/imports{query}", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(202, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ImportAccepted>())!.Id;
    }

    /// <summary>Polls the import until it is completed or failed, at most 250 times, and answers with its view.</summary>
    public static async Task<ImportView> FinishedImport(this IAlbaHost host, string token, Guid importId)
    {
        for (var i = 0; i < 250; i++)
        {
            var view = await host.GetImport(token, importId);
            if (view.Status is ImportStatus.Completed or ImportStatus.Failed) return view;
            await Task.Delay(200);
        }

        throw new TimeoutException($"import {importId} did not finish");
    }

    public const string ReplayVerifications = "/api/audit/replay-verification";

    /// <summary>Starts a replay verification, checks the answer (202, Location, queued) and answers with the job.</summary>
    public static async Task<ReplayVerificationJob> StartReplayVerification(this IAlbaHost host, string token)
    {
        var result = await host.Scenario(s =>
        {
            s.Post.Url(ReplayVerifications);
            s.WithBearerToken(token);
            s.StatusCodeShouldBe(202);
        });
        var job = (await result.ReadAsJsonAsync<ReplayVerificationJob>())!;
        Assert.Equal($"{ReplayVerifications}/{job.Id}", result.Context.Response.Headers.Location.ToString());
        Assert.Equal(ReplayJobStatus.Queued, job.Status);
        return job;
    }

    public static Task<ReplayVerificationJob> GetReplayVerification(this IAlbaHost host, string token, Guid id) =>
        host.Read<ReplayVerificationJob>(token, $"{ReplayVerifications}/{id}");

    /// <summary>
    /// Polls the job until it is completed or failed. Generous (a run rebuilds every read model; here it
    /// takes a second or two), yet well short of the five minutes per read model a run held up by a gap
    /// in the event sequence used to wait.
    /// </summary>
    public static async Task<ReplayVerificationJob> FinishedReplayVerification(this IAlbaHost host, string token, Guid id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var job = await host.GetReplayVerification(token, id);
            if (job.Status is ReplayJobStatus.Completed or ReplayJobStatus.Failed) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"replay verification {id} is still {job.Status}");
            await Task.Delay(200);
        }
    }

    public static async Task<JsonElement> Problem(this IScenarioResult result)
    {
        Assert.Equal("application/problem+json", result.Context.Response.ContentType?.Split(';')[0]);
        return await result.ReadAsJsonAsync<JsonElement>();
    }

    public static string Slug(this JsonElement problem) => problem.GetProperty("type").GetString()!.Split('/')[^1];

    /// <summary>A plain client on the in-memory server, for firing many requests at once.</summary>
    public static HttpClient Client(this IAlbaHost host, string token)
    {
        var client = host.Server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body);

    /// <summary>
    /// Waits until the async projections have caught up with every event. Marten refuses to wait on an
    /// event store that holds no event at all ("No event activity"); then there is nothing to wait for.
    /// </summary>
    public static async Task ProjectionsCaughtUp(this IAlbaHost host)
    {
        try
        {
            await host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException e) when (e.Message.StartsWith("No event activity"))
        {
            var statistics = await host.Services.GetRequiredService<IDocumentStore>().Advanced.FetchEventStoreStatistics();
            if (statistics.EventCount > 0) throw;
        }
    }
}
