using System.Text.Json;
using Alba;
using EnrolmentCases.Infrastructure;
using JasperFx;
using Microsoft.Extensions.DependencyInjection;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql;
using Wolverine.Persistence.Durability;

namespace EnrolmentCases.Tests.Api;

[Collection(ApiCollection.Name)]
public class Operations(ApiFixture api)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    [InlineData("/docs/")]
    [InlineData("/problems/duplicate-case")]
    public async Task probes_docs_and_problem_types_need_no_token(string url)
    {
        await api.Host.Scenario(s =>
        {
            s.Get.Url(url);
            s.StatusCodeShouldBeOk();
        });
    }

    /// <summary>
    /// The schema a node applied at start is what the configuration describes: the next start has nothing to change. Weasel
    /// compares texts, and a declaration PostgreSQL writes back otherwise is a difference at every start: an index dropped
    /// and built again each time, writes to its table held off meanwhile (the case views' partial index did so until ADR
    /// 0063). Compared as the owner, as SchemaMigration applies it, with Wolverine's tables.
    /// </summary>
    [Fact]
    public async Task the_schema_a_node_applied_needs_no_change_at_the_next_start()
    {
        var messages = ((IFeatureSchema)api.Host.Services.GetRequiredService<IMessageStore>()).Objects;
        using (var store = api.Host.Services.OwnerStore(opts => opts.Storage.ExtendedSchemaObjects.AddRange(messages)))
            await AssertNoChangeAsync(store);

        // And a schema applied from nothing, as a new database gets it: on a long-lived one, an index an earlier declaration
        // built can read back as a later declaration spells it when PostgreSQL does not write that spelling back unchanged.
        const string fresh = "schema_fresh_check";
        await TestSql.ExecuteAsync($"drop schema if exists {fresh} cascade");
        try
        {
            using var store = api.Host.Services.OwnerStore(opts => opts.DatabaseSchemaName = fresh);
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            await AssertNoChangeAsync(store);
        }
        finally
        {
            await TestSql.ExecuteAsync($"drop schema if exists {fresh} cascade");
        }

        static async Task AssertNoChangeAsync(Marten.DocumentStore store)
        {
            var migration = await store.Storage.Database.CreateMigrationAsync();
            var changes = new StringWriter();
            migration.WriteAllUpdates(changes, new PostgresqlMigrator(), AutoCreate.CreateOrUpdate);
            Assert.True(migration.Difference == SchemaPatchDifference.None, changes.ToString());
        }
    }

    [Fact]
    public async Task the_openapi_document_describes_every_route_with_its_errors()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/openapi/v1.json");
            s.StatusCodeShouldBeOk();
        });
        var doc = await result.ReadAsJsonAsync<JsonElement>();
        var paths = doc.GetProperty("paths");
        foreach (var path in new[]
                 {
                     "/api/cases", "/api/cases/{id}", "/api/cases/{id}/contact-attempts", "/api/cases/{id}/enrolment",
                     "/api/cases/{id}/closure", "/api/cases/{id}/reopening", "/api/regencies"
                 })
            Assert.True(paths.TryGetProperty(path, out _), $"missing {path}");

        var identify = paths.GetProperty("/api/cases").GetProperty("post");
        Assert.True(identify.TryGetProperty("requestBody", out _));
        foreach (var status in new[] { "201", "400", "401", "403", "409", "500" })
            Assert.True(identify.GetProperty("responses").TryGetProperty(status, out _), $"POST /api/cases lacks {status}");
        Assert.True(doc.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out _));
    }

    [Fact]
    public async Task the_api_reference_reads_as_the_domain_with_every_operation_tagged_summarised_and_named()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/openapi/v1.json");
            s.StatusCodeShouldBeOk();
        });
        var doc = await result.ReadAsJsonAsync<JsonElement>();
        var parts = doc.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["Cases", "Subsidies and payments", "Imports", "Reconciliations", "Coverage and targets", "Budgets and forecast", "Audit", "Operations", "Reference"], parts);

        var operations = doc.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject()).Select(o => o.Value).ToList();
        Assert.True(operations.Count >= 26);
        Assert.All(operations, o =>
        {
            var id = o.GetProperty("operationId").GetString()!;
            Assert.Matches("^[A-Z][A-Za-z]+$", id);
            Assert.Contains(Assert.Single(o.GetProperty("tags").EnumerateArray()).GetString(), parts);
            Assert.False(string.IsNullOrWhiteSpace(o.GetProperty("summary").GetString()), id);
            Assert.True(o.GetProperty("description").GetString()!.Length > 20, id);
        });
        var identify = doc.GetProperty("paths").GetProperty("/api/cases").GetProperty("post");
        Assert.Equal("IdentifyWorker", identify.GetProperty("operationId").GetString());
        Assert.Equal("Cases", identify.GetProperty("tags")[0].GetString());
    }

    [Fact]
    public async Task regencies_list_the_ten_units_of_bengkulu()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/regencies");
            s.WithBearerToken(api.Token("planner"));
            s.StatusCodeShouldBeOk();
        });
        var regencies = await result.ReadAsJsonAsync<JsonElement>();
        Assert.Equal(10, regencies.GetArrayLength());
        var codes = regencies.EnumerateArray().Select(r => r.GetProperty("code").GetString()).ToList();
        Assert.Contains("17.07", codes);
        Assert.Contains("17.71", codes);
        Assert.Equal("Kabupaten Kaur", regencies.EnumerateArray().Single(r => r.GetProperty("code").GetString() == "17.04").GetProperty("name").GetString());
    }

    [Fact]
    public async Task unknown_routes_answer_with_problem_details()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/api/nothing-here");
            s.WithBearerToken(api.Token("auditor"));
            s.StatusCodeShouldBe(404);
        });
        Assert.Equal("not-found", (await result.Problem()).Slug());
    }
}
