using System.Text.Json;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Forecast;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A node of this code starting on a database an earlier release left (ADR 0043): populated tables without the
/// duplicated columns added since, and without a read model added since. It must start, fill the columns from the
/// documents, build the new read models from the events, repair the search entries it wrote, and answer the reads that
/// use them as before; and `projections rebuild` must pass on such a database too.
/// </summary>
[Collection(ProjectionCommandsCollection.Name)]
public class SchemaUpgrades
{
    private const string Schema = "upgrade_check";

    /// <summary>The coverage read models' composite (ADR 0055), which an earlier release ran as three projections of their own.</summary>
    private const string CoverageComposite = "Coverage:All";

    private sealed class Node(bool first, IReadOnlyDictionary<string, string>? settings = null) : HostFixture(Schema)
    {
        protected override bool ResetOnStart => first;

        protected override void Configure(IDictionary<string, string> common)
        {
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) common[key] = value;
        }
    }

    /// <summary>
    /// What the first release's tables looked like: the case view's worklist, stage and insurer columns
    /// (ADR 0028; their indexes go with them), the search entries' opened-at column, and the coverage-change rows
    /// (ADR 0038) and the forecast's cohort counts (ADR 0042) with their projections' progress are not there, and the coverage
    /// projections ran one shard each (ADR 0055), so the composite that runs them now has no progression row.
    /// </summary>
    private static Task AsAnEarlierReleaseLeftIt() => TestSql.ExecuteAsync($"""
        alter table {Schema}.mt_doc_casedetails drop column regency_code, drop column opened_at, drop column stage,
            drop column insurer_status, drop column insurer_drifting;
        alter table {Schema}.mt_doc_casesearchentry drop column opened_at, drop column tokens_in_regency;
        drop table {Schema}.mt_doc_coveragechange;
        drop table {Schema}.mt_doc_subsidycohortcount;
        delete from {Schema}.mt_event_progression where name like '%CoverageChangeProjection:%' or name like '%SubsidyCohort%'
            or name = '{CoverageComposite}';
        """);

    /// <summary>The columns the upgrade fills, as the writes left them.</summary>
    private static readonly string Columns = $"""
        select concat_ws('|', id, regency_code, opened_at, stage, insurer_status, insurer_drifting)
        from {Schema}.mt_doc_casedetails
        union all select concat_ws('|', 'search', id, opened_at, tokens_in_regency::text) from {Schema}.mt_doc_casesearchentry
        order by 1
        """;

    /// <summary>Runs <paramref name="use"/> on a node started for it; a node given <paramref name="alongside"/> starts at the same time.</summary>
    private static async Task<T> With<T>(bool first, Func<Node, Task<T>> use, Node? alongside = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var node = new Node(first, settings);
        var starting = node.InitializeAsync();
        if (alongside is not null) await Task.WhenAll(starting, alongside.InitializeAsync());
        else await starting;
        try
        {
            return await use(node);
        }
        finally
        {
            await node.DisposeAsync();
            if (alongside is not null) await alongside.DisposeAsync();
        }
    }

    /// <summary>
    /// A projection new to the database has no progress row: readiness counts it as behind by every event (its lag, and
    /// Degraded with the projection named once that exceeds Health:MaxProjectionLag) until it has built itself from the events; Marten's own wait does not know it yet.
    /// </summary>
    private static async Task CaughtUp(Node node)
    {
        var admin = node.Token("admin");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var (_, body) = await node.Host.Ready(admin);
            var projections = body.Check("projections").GetProperty("data").GetProperty("projections");
            Assert.Contains(CoverageComposite, projections.PropertyNames());
            if (projections.EnumerateObject().All(p => p.Value.GetProperty("lag").GetInt64() == 0)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"projections not caught up: {projections}");
            await Task.Delay(200);
        }
    }

    /// <summary>The reads that walk the new columns and the new read models, as JSON to compare whole.</summary>
    private static async Task<string> Answers(Node node, DateTimeOffset at, int year)
    {
        var kaur = node.Token("caseworker", "17.04");
        var planner = node.Token("planner");
        var auditor = node.Token("auditor");
        var worklist = await node.Host.Worklist(kaur, "?regency=17.04&pageSize=50");
        var enrolled = await node.Host.Worklist(kaur, "?regency=17.04&stage=enrolled&pageSize=50");
        var closed = await node.Host.Worklist(auditor, "?stage=closed&pageSize=50");
        var coverage = await node.Host.Coverage(planner, $"?asOf={Uri.EscapeDataString(at.ToString("O"))}&basis=recorded");
        var forecast = await node.Host.Read<SubsidyForecastReport>(planner, $"/api/subsidy-forecast?year={year}&targetCoverage=0.5&provinceShare=0.3");
        return JsonSerializer.Serialize(new
        {
            worklist = worklist.Items.Select(c => c.Id), worklist.Total,
            enrolled = enrolled.Items.Select(c => c.Id), enrolledTotal = enrolled.Total,
            closed = closed.Items.Select(c => c.Id), closedTotal = closed.Total,
            coverage.Province, coverage.Regencies,
            forecast
        });
    }

    [Fact]
    public async Task a_node_starts_on_a_database_an_earlier_release_left_fills_the_new_columns_builds_the_new_read_model_and_answers_as_before()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(10);
        var year = MoneyScenarios.FreshBudgetYear();
        var before = await With(first: true, async node =>
        {
            var kaur = node.Token("caseworker", "17.04");
            await node.Host.Allocate("APBD_REGENCY", "17.04", year, 1_000_000);
            for (var i = 0; i < 3; i++) await node.Host.EnrolledCase(kaur);
            await node.Host.Command(kaur, await node.Host.EnrolledCase(kaur, effectiveDate: $"{DateTime.UtcNow:yyyy-MM}-01"), "subsidy", MoneyScenarios.Grant("APBD_REGENCY", year, $"{year}-07", 6));
            await node.Host.IdentifyWorker(kaur);
            await node.Host.Command(kaur, await node.Host.IdentifyWorker(kaur), "closure", new { reason = "declined" });
            await node.Host.EnrolledCase(node.Token("caseworker", "17.01"), regency: "17.01");
            await node.Host.ProjectionsCaughtUp();
            return await Answers(node, at, year);
        });
        Assert.Contains("\"enrolledTotal\":3", before);
        // The forecast counts the granted worker from the cohort counts, which the upgrade finds missing.
        Assert.Contains("\"SubsidizedWorkers\":{\"Regency\":1", before);
        var written = await TestSql.NamesAsync(Columns);

        await AsAnEarlierReleaseLeftIt();
        // As a node that died while filling left it: one column added and marked pending, two rows filled wrongly.
        await TestSql.ExecuteAsync($"""
            alter table {Schema}.mt_doc_casedetails add column opened_at timestamptz;
            comment on column {Schema}.mt_doc_casedetails.opened_at is '{ColumnBackfill.Pending}';
            update {Schema}.mt_doc_casedetails set opened_at = '2000-01-01Z' where id in (select id from {Schema}.mt_doc_casedetails limit 2);
            """);
        // Two nodes start together: one upgrades under the schema lock, the other finds it done.
        var other = new Node(first: false);
        var after = await With(first: false, async node =>
        {
            await CaughtUp(node);
            // The search entries' tokens within their regency are not in their JSON: the upgrade adds the column empty (NULL,
            // never an empty array, which would pass for repaired) and the repair after start writes it (ADR 0053).
            await SearchRepaired(node);
            return await Answers(node, at, year);
        }, alongside: other);
        Assert.Equal(before, after);
        // Each filled column holds what the live write had put there.
        var filled = await TestSql.NamesAsync(Columns);
        Assert.Equal(written.Count, filled.Count);
        foreach (var (live, upgraded) in written.Zip(filled)) Assert.Equal(live, upgraded);
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casedetails where regency_code is null or opened_at is null"));
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry where opened_at is null"));

        // The same earlier database again, this time rebuilt offline first.
        await AsAnEarlierReleaseLeftIt();
        var rebuild = await ApiProcess.RunAsync(Schema, "projections", "rebuild");
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        var verify = await ApiProcess.RunAsync(Schema, "verify-projections");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(before, await With(first: false, node => Answers(node, at, year)));
    }

    /// <summary>
    /// The release before ADR 0055 ran the coverage read models as three projections, each with its own progression row; the
    /// rows stood at the same sequence, as they do once its daemon had caught up. A node of this code carries their composite
    /// on from there: no stage change is counted twice or missed, and a new one counts once. Without the carry-over the
    /// composite would start from the first event over read models that already hold every change.
    /// </summary>
    [Fact]
    public async Task a_node_carries_the_coverage_projections_an_earlier_release_ran_apart_on_from_where_they_stood()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(10);
        var year = MoneyScenarios.FreshBudgetYear();
        var before = await With(first: true, async node =>
        {
            var kaur = node.Token("caseworker", "17.04");
            for (var i = 0; i < 2; i++) await node.Host.EnrolledCase(kaur);
            await node.Host.IdentifyWorker(kaur);
            await node.Host.ProjectionsCaughtUp();
            return await Answers(node, at, year);
        });
        // Each coverage row as last written: a rebuild would write every one again.
        var coverageRows = $"""
            select 'month|' || id || '|' || mt_last_modified from {Schema}.mt_doc_coveragemonth
            union all select 'day|' || id || '|' || mt_last_modified from {Schema}.mt_doc_coverageday
            union all select 'change|' || id || '|' || mt_last_modified from {Schema}.mt_doc_coveragechange order by 1
            """;
        var written = await TestSql.NamesAsync(coverageRows);
        Assert.NotEmpty(written);
        var members = await Progression($"name in ('CoverageMonth:All', 'CoverageDay:All', 'EnrolmentCases.Coverage.CoverageChangeProjection:All')");
        Assert.True(members.Count == 3, string.Join(", ", await Progression("true")));
        var stood = Assert.Single(members.Select(m => m.Split('=')[1]).Distinct());
        await TestSql.ExecuteAsync($"delete from {Schema}.mt_event_progression where name = '{CoverageComposite}'");

        var (after, enrolled) = await With(first: false, async node =>
        {
            Assert.Equal([$"{CoverageComposite}={stood}"], await Progression($"name = '{CoverageComposite}'"));
            await CaughtUp(node);
            // Carried on, not rebuilt: not one coverage row was written again.
            Assert.Equal(written, await TestSql.NamesAsync(coverageRows));
            var answers = await Answers(node, at, year);
            var planner = node.Token("planner");
            var query = $"?asOf={Uri.EscapeDataString(at.ToString("O"))}&basis=recorded";
            var enrolledBefore = (await node.Host.Coverage(planner, query)).Province.Enrolled;
            await node.Host.EnrolledCase(node.Token("caseworker", "17.04"));
            await node.Host.ProjectionsCaughtUp();
            return (answers, (Before: enrolledBefore, After: (await node.Host.Coverage(planner, query)).Province.Enrolled));
        });
        Assert.Equal(before, after);
        Assert.Equal(enrolled.Before + 1, enrolled.After);
        // The composite and its members went on together.
        var rows = await Progression($"name = '{CoverageComposite}' or name in ('{string.Join("', '", members.Select(m => m.Split('=')[0]))}')");
        Assert.Single(rows.Select(r => r.Split('=')[1]).Distinct());
    }

    /// <summary>Progression rows matching <paramref name="where"/>, as name=sequence.</summary>
    private static Task<IReadOnlyList<string>> Progression(string where) =>
        TestSql.NamesAsync($"select name || '=' || last_seq_id from {Schema}.mt_event_progression where {where} order by name");

    /// <summary>The case view's cohort column and its indexes, as the releases from ADR 0028 to ADR 0045 left them.</summary>
    private static readonly string[] CohortIndexes = ["mt_doc_casedetails_idx_subsidy_cohort", "mt_doc_casedetails_idx_subsidy_cohortregency_code"];

    private static Task<long> CohortLeftovers() => TestSql.ScalarAsync($"""
        select (select count(*) from information_schema.columns
                where table_schema = '{Schema}' and table_name = 'mt_doc_casedetails' and column_name = 'subsidy_cohort')
             + (select count(*) from pg_indexes where schemaname = '{Schema}' and indexname in ('{string.Join("', '", CohortIndexes)}'))
        """);

    /// <summary>
    /// The previous release's case view carries the forecast's old cohort column (ADR 0028), filled and under two indexes, which
    /// nothing reads since ADR 0042 and which every write of a view kept up to date. A node of this code drops the column with
    /// its indexes at start (ADR 0046); its writes, and the reads, go on as before.
    /// </summary>
    [Fact]
    public async Task a_node_drops_the_case_views_cohort_column_and_its_indexes_which_the_previous_release_left()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(10);
        var before = await With(first: true, async node =>
        {
            var kaur = node.Token("caseworker", "17.04");
            for (var i = 0; i < 2; i++) await node.Host.EnrolledCase(kaur);
            await node.Host.ProjectionsCaughtUp();
            return await Answers(node, at, at.Year);
        });
        Assert.Equal(0, await CohortLeftovers());
        await TestSql.ExecuteAsync($"""
            alter table {Schema}.mt_doc_casedetails add column subsidy_cohort varchar;
            update {Schema}.mt_doc_casedetails set subsidy_cohort = '2026|ApbdRegency|24312|16800';
            create index {CohortIndexes[0]} on {Schema}.mt_doc_casedetails (subsidy_cohort);
            create index {CohortIndexes[1]} on {Schema}.mt_doc_casedetails (subsidy_cohort, regency_code);
            """);
        Assert.Equal(3, await CohortLeftovers());

        var after = await With(first: false, async node =>
        {
            Assert.Equal(0, await CohortLeftovers());
            var answers = await Answers(node, at, at.Year);
            // A command writes its case view without the column.
            await node.Host.EnrolledCase(node.Token("caseworker", "17.04"));
            return answers;
        });
        Assert.Equal(before, after);
        Assert.Equal(3, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casedetails"));
    }

    /// <summary>
    /// An expression index new to a populated table has no statistics until the table is analyzed, and the planner then scans
    /// the table for any range over the expression. The node that builds the index analyzes the table (ADR 0052).
    /// </summary>
    [Fact]
    public async Task a_node_that_adds_an_expression_index_to_a_populated_table_analyzes_it()
    {
        const string index = "mt_doc_casedetails_idx_subsidy_budget_year";
        var statistics = $"select count(*) from pg_stats where schemaname = '{Schema}' and tablename = '{index}'";
        await With(first: true, async node =>
        {
            var kaur = node.Token("caseworker", "17.04");
            for (var i = 0; i < 2; i++) await node.Host.EnrolledCase(kaur);
            return 0;
        });
        // As the previous release left it: no such index, so no statistics of its expression.
        await TestSql.ExecuteAsync($"drop index {Schema}.{index}");
        Assert.Equal(0, await TestSql.ScalarAsync(statistics));

        await With(first: false, _ => Task.FromResult(0));
        Assert.Equal(1, await TestSql.ScalarAsync($"select count(*) from pg_indexes where schemaname = '{Schema}' and indexname = '{index}'"));
        Assert.Equal(1, await TestSql.ScalarAsync(statistics));
    }

    /// <summary>Every search entry's id, tokens, opening time and regency, as the writes left them.</summary>
    private static readonly string Entries =
        $"select concat_ws('|', id, tokens::text, opened_at, regency_code, tokens_in_regency::text) from {Schema}.mt_doc_casesearchentry order by 1";

    /// <summary>
    /// Cases of Kaur loaded straight into the store (views, keys and index entries, as a search test loads them), every one named
    /// Siti, so that a caseworker's search for it is past the count limit and fills its page from the regency's walk; one in 25
    /// is also named by a rarer word, which the count finds whole. A few are in another regency.
    /// </summary>
    private static async Task LoadSitis(Node node, string rare)
    {
        var privacy = node.Host.Services.GetRequiredService<PersonalData>();
        var index = node.Host.Services.GetRequiredService<SearchIndex>();
        var opened = new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.FromHours(7)).ToUniversalTime();
        var (keys, views, entries) = (new List<PersonKey>(), new List<CaseDetails>(), new List<CaseSearchEntry>());
        for (var i = 0; i < 160; i++)
        {
            var nik = $"1704{i + 500_000:D12}";
            var (seal, key) = privacy.NewKey(privacy.SubjectOf(nik), opened);
            var name = i % 25 == 0 ? $"Siti {SyntheticPeople.Capitalised(rare)}" : $"Siti {SyntheticPeople.GivenNames[i % SyntheticPeople.GivenNames.Length]}";
            var view = new CaseDetails(Guid.NewGuid(), seal.Seal(PersonalField.Nik, nik), seal.Seal(PersonalField.FullName, name),
                i % 16 == 0 ? "17.01" : "17.04", null, seal.Seal(PersonalField.Village, "Padang Petron"), "farmer", null,
                WorkerSource.P3Ke, CaseStage.Identified, opened.AddMinutes(i), opened.AddMinutes(i))
            {
                Subject = seal.Subject, KeyId = seal.KeyId, Version = 1
            };
            keys.Add(key);
            views.Add(view);
            entries.Add(index.EntryOf(view, privacy.Keyring([key])));
        }

        await node.Store.BulkInsertDocumentsAsync(keys);
        await node.Store.BulkInsertDocumentsAsync(views);
        await node.Store.BulkInsertDocumentsAsync(entries);
    }

    /// <summary>The search pages a caseworker of Kaur and an auditor see, as JSON to compare whole.</summary>
    private static async Task<string> Searches(Node node, string rare, string erased)
    {
        var kaur = node.Token("caseworker", "17.04");
        var auditor = node.Token("auditor");
        var pages = new List<object>();
        foreach (var (token, query) in new[]
                 {
                     (kaur, "?q=siti&pageSize=10"), (kaur, "?q=siti&pageSize=10&page=3"), (kaur, $"?q={rare}"),
                     (auditor, "?q=siti&pageSize=10"), (auditor, $"?q={rare}"), (auditor, $"?q={erased}")
                 })
        {
            var page = await node.Host.Worklist(token, query);
            pages.Add(new { query, ids = page.Items.Select(c => c.Id), page.Total, page.TotalCapped });
        }

        return JsonSerializer.Serialize(pages);
    }

    /// <summary>Waits until the node's readiness says its search entries need no more repair.</summary>
    private static async Task SearchRepaired(Node node)
    {
        var admin = node.Token("admin");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            var (_, body) = await node.Host.Ready(admin);
            // A node still warming up answers without checks.
            if (body.TryGetProperty("checks", out _) && body.Check("search-index").Status() == "Healthy") return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"search entries not repaired: {body}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Search entries as earlier releases left them: every one without its tokens within its regency (before ADR 0053), one in
    /// three of Kaur's also without the regency column and without the regency in their JSON (before
    /// ADR 0042), one in two of those also without their regency token and opening time (before ADR 0028), and one left behind
    /// for a person since erased. Two nodes start together and repair them after start (ADR 0051): a caseworker's and an
    /// auditor's search pages come back as they were, each entry as the live write had stored it, and the erased person has no
    /// entry and is not found.
    /// </summary>
    [Fact]
    public async Task nodes_rebuild_the_search_entries_earlier_releases_wrote_and_searches_find_what_a_fresh_database_finds()
    {
        var settings = new Dictionary<string, string>
        {
            ["Worklist:SearchCountLimit"] = "100", ["SchemaUpgrade:SearchRepairBatchSize"] = "10", ["SchemaUpgrade:SearchRepairRecheckSeconds"] = "1"
        };
        var (rare, erasedName) = (SyntheticPeople.UniqueWord(), SyntheticPeople.UniqueWord());
        var erased = Guid.Empty;
        long regencyToken = 0;
        var before = await With(first: true, async node =>
        {
            await LoadSitis(node, rare);
            var kaur = node.Token("caseworker", "17.04");
            var nik = Niks.Next();
            erased = await node.Host.IdentifyWorker(kaur, new
            {
                nik, fullName = $"Siti {SyntheticPeople.Capitalised(erasedName)}", regencyCode = "17.04", district = "Kaur Selatan",
                village = "Padang Petron", occupation = "farmer", source = "P3KE"
            });
            await TestSql.ExecuteAsync($"create table {Schema}.left_behind as select * from {Schema}.mt_doc_casesearchentry where id = '{erased}'");
            await node.Host.Scenario(s =>
            {
                s.Post.Json(new { nik, legalBasis = "UU 27/2022 art. 8", reference = "ORD-UPGRADE-1" }).ToUrl("/api/audit/erasures");
                s.WithBearerToken(node.Token("admin"));
                s.StatusCodeShouldBe(201);
            });
            regencyToken = node.Host.Services.GetRequiredService<SearchIndex>().RegencyToken("17.04");
            return await Searches(node, rare, erasedName);
        }, settings: settings);
        Assert.Contains("\"TotalCapped\":true", before);
        var written = await TestSql.NamesAsync(Entries);

        // Every entry as before ADR 0053, every third of Kaur also as before ADR 0042, every sixth also as before ADR 0028, and
        // the erased person's entry back.
        await TestSql.ExecuteAsync($"""
            insert into {Schema}.mt_doc_casesearchentry select * from {Schema}.left_behind;
            drop table {Schema}.left_behind;
            update {Schema}.mt_doc_casesearchentry set tokens_in_regency = null, data = data - 'tokensInRegency';
            with old as (select id, row_number() over (order by opened_at, id) as n from {Schema}.mt_doc_casesearchentry where regency_code = '17.04')
            update {Schema}.mt_doc_casesearchentry e set regency_code = null, data = e.data - 'regencyCode'
            from old where e.id = old.id and (old.n % 3 = 0 or e.id = '{erased}');
            with older as (select id, row_number() over (order by opened_at, id) as n from {Schema}.mt_doc_casesearchentry where regency_code is null)
            update {Schema}.mt_doc_casesearchentry e set opened_at = null, tokens = array_remove(e.tokens, {regencyToken}),
                data = jsonb_set(e.data - 'openedAt', array['tokens'], to_jsonb(array_remove(e.tokens, {regencyToken})))
            from older where e.id = older.id and older.n % 2 = 0;
            """);
        Assert.Equal(51, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry where regency_code is null"));
        Assert.Equal(25, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry where opened_at is null"));
        Assert.Equal(await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry"),
            await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry where tokens_in_regency is null"));

        var other = new Node(first: false, settings);
        var after = await With(first: false, async node =>
        {
            await Task.WhenAll(SearchRepaired(node), SearchRepaired(other));
            var pages = await Searches(node, rare, erasedName);

            // An entry written later without tokens within its regency (a node of the previous release, mid-upgrade) is found
            // by the nodes' look every SearchRepairRecheckSeconds and rewritten.
            var late = await TestSql.NamesAsync($"select id::text from {Schema}.mt_doc_casesearchentry where regency_code = '17.04' order by id limit 1");
            await TestSql.ExecuteAsync($"update {Schema}.mt_doc_casesearchentry set tokens_in_regency = null where id = '{late[0]}'");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry where tokens_in_regency is null") > 0)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("an entry without tokens within its regency was not repaired");
                await Task.Delay(200);
            }

            await SearchRepaired(node);
            return pages;
        }, alongside: other, settings: settings);
        Assert.Equal(before, after);
        Assert.Equal(written, await TestSql.NamesAsync(Entries));
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casesearchentry where id = '{erased}'"));
    }
}
