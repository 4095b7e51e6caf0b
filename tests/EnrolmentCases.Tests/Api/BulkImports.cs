using System.Net.Http.Json;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Imports;
using EnrolmentCases.Privacy;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>The set-wise chunk writer (ADR 0027) keeps the guarantees of one case per NIK and of resumable chunks.</summary>
[Collection(ApiCollection.Name)]
public class BulkImports(ApiFixture api)
{
    // Bengkulu Utara (17.03): these tests count only their own workers.
    private readonly string _utara = api.Token("caseworker", "17.03");
    private const string Header = "nik,fullName,regencyCode,district,village,occupation,phone,source";

    private static string Row(string nik) => $"{nik},Rina Wati,17.03,Arga Makmur,Desa Gunung Alam,weaver,0812-5555-6666,P3KE";

    private async Task<List<string>> SubjectsOfCases(IEnumerable<string> niks)
    {
        var privacy = api.Host.Services.GetRequiredService<PersonalData>();
        var subjects = niks.Select(privacy.SubjectOf).ToArray();
        await using var session = api.Store.QuerySession();
        return (await session.Query<CaseDetails>().Where(c => c.Subject.IsOneOf(subjects)).Select(c => c.Subject!).ToListAsync()).ToList();
    }

    [Fact]
    public async Task two_overlapping_imports_and_single_identifications_at_once_open_one_case_per_worker()
    {
        var niks = Enumerable.Range(0, 1_600).Select(_ => Niks.Next("1703")).ToList();
        var left = string.Join("\n", niks.Take(1_100).Select(Row).Prepend(Header));
        var right = string.Join("\n", niks.Skip(500).Select(Row).Prepend(Header));
        // Workers of the overlap are also identified one by one, while both imports run.
        var single = niks.Skip(480).Take(60).ToList();

        var imports = Task.WhenAll(api.Host.StartImport(_utara, left), api.Host.StartImport(_utara, right));
        using var client = api.Host.Client(_utara);
        var posts = Task.WhenAll(single.Select(async nik =>
            (int)(await client.PostAsJsonAsync("/api/cases", Scenarios.NewWorker(nik, "17.03"))).StatusCode));
        var ids = await imports;
        var statuses = await posts;
        var auditor = api.Token("auditor");
        var views = await Task.WhenAll(ids.Select(id => api.Host.FinishedImport(auditor, id)));

        Assert.All(views, v => Assert.Equal(ImportStatus.Completed, v.Status));
        Assert.All(statuses, s => Assert.Contains(s, new[] { 201, 409 }));
        var created = views.Sum(v => v.Counts.Created) + statuses.Count(s => s == 201);
        Assert.Equal(niks.Count, created);
        var cases = await SubjectsOfCases(niks);
        Assert.Equal(niks.Count, cases.Count);
        Assert.Equal(niks.Count, cases.Distinct().Count());
    }

    [Fact]
    public async Task a_chunk_that_fails_after_writing_its_events_is_retried_and_creates_nothing_twice()
    {
        var schema = api.Store.Options.DatabaseSchemaName;
        var source = $"crash-once-{Guid.NewGuid():N}";
        // The chunk's first attempt fails after its streams and events were copied (a serialization failure,
        // which the chunk retries); its transaction takes them back and the next attempt writes them once.
        await TestSql.ExecuteAsync($"""
            drop sequence if exists {schema}.bulk_crash_once;
            create sequence {schema}.bulk_crash_once;
            create or replace function {schema}.bulk_crash_once() returns trigger language plpgsql security definer as $$
            begin
              if new.headers->>'listSource' = '{source}' and nextval('{schema}.bulk_crash_once') = 1 then
                raise exception 'simulated crash' using errcode = '40001';
              end if;
              return new;
            end $$;
            drop trigger if exists bulk_crash_once on {schema}.mt_events;
            create trigger bulk_crash_once after insert on {schema}.mt_events for each row when (new.version = 2)
              execute function {schema}.bulk_crash_once();
            """);
        try
        {
            var niks = Enumerable.Range(0, 300).Select(_ => Niks.Next("1703")).ToList();
            var id = await api.Host.StartImport(_utara, string.Join("\n", niks.Select(Row).Prepend(Header)), $"?listSource={source}");
            var view = await api.Host.FinishedImport(api.Token("auditor"), id);

            Assert.Equal(ImportStatus.Completed, view.Status);
            Assert.Equal((300, 0, 0), (view.Counts.Created, view.Counts.Duplicate, view.Counts.Invalid));
            Assert.True(await TestSql.ScalarAsync($"select case when is_called then last_value else 0 end from {schema}.bulk_crash_once") >= 2, "the crash was not simulated");
            var cases = await SubjectsOfCases(niks);
            Assert.Equal(300, cases.Distinct().Count());
            Assert.Equal(300, cases.Count);
            Assert.Equal(600, await TestSql.ScalarAsync($"select count(*) from {schema}.mt_events where headers->>'listSource' = '{source}'"));
            Assert.Equal(300, await TestSql.ScalarAsync(
                $"select count(distinct stream_id) from {schema}.mt_events where headers->>'listSource' = '{source}'"));
        }
        finally
        {
            await TestSql.ExecuteAsync($"drop trigger if exists bulk_crash_once on {schema}.mt_events; drop function if exists {schema}.bulk_crash_once(); " +
                                  $"drop sequence if exists {schema}.bulk_crash_once;");
        }
    }
}
