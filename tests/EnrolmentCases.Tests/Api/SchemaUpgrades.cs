using System.Text.Json;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A node of this code starting on a database an earlier release left (ADR 0043): populated tables without the
/// duplicated columns added since, and without a read model added since. It must start, fill the columns from the
/// documents, build the new read model from the events, and answer the reads that use them as before; and
/// `projections rebuild` must pass on such a database too.
/// </summary>
[Collection(ProjectionCommandsCollection.Name)]
public class SchemaUpgrades
{
    private const string Schema = "upgrade_check";

    private const string ChangeProjection = "EnrolmentCases.Coverage.CoverageChangeProjection:All";

    private sealed class Node(bool first) : HostFixture(Schema)
    {
        protected override bool ResetOnStart => first;
    }

    /// <summary>
    /// What the first release's tables looked like: the case view's worklist, stage and insurer columns
    /// (ADR 0028; their indexes go with them), the search entries' opened-at column, and the coverage-change rows
    /// (ADR 0038) with their projection's progress are not there.
    /// </summary>
    private static Task AsAnEarlierReleaseLeftIt() => TestSql.ExecuteAsync($"""
        alter table {Schema}.mt_doc_casedetails drop column regency_code, drop column opened_at, drop column stage,
            drop column insurer_status, drop column insurer_drifting;
        alter table {Schema}.mt_doc_casesearchentry drop column opened_at;
        drop table {Schema}.mt_doc_coveragechange;
        delete from {Schema}.mt_event_progression where name like '%CoverageChangeProjection:%';
        """);

    /// <summary>The columns the upgrade fills, as the writes left them.</summary>
    private static readonly string Columns = $"""
        select concat_ws('|', id, regency_code, opened_at, stage, insurer_status, insurer_drifting)
        from {Schema}.mt_doc_casedetails
        union all select concat_ws('|', 'search', id, opened_at) from {Schema}.mt_doc_casesearchentry
        order by 1
        """;

    /// <summary>Runs <paramref name="use"/> on a node started for it; a node given <paramref name="alongside"/> starts at the same time.</summary>
    private static async Task<T> With<T>(bool first, Func<Node, Task<T>> use, Node? alongside = null)
    {
        var node = new Node(first);
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
            Assert.Contains(ChangeProjection, projections.PropertyNames());
            if (projections.EnumerateObject().All(p => p.Value.GetProperty("lag").GetInt64() == 0)) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"projections not caught up: {projections}");
            await Task.Delay(200);
        }
    }

    /// <summary>The reads that walk the new columns and the new read model, as JSON to compare whole.</summary>
    private static async Task<string> Answers(Node node, DateTimeOffset at)
    {
        var kaur = node.Token("caseworker", "17.04");
        var planner = node.Token("planner");
        var auditor = node.Token("auditor");
        var worklist = await node.Host.Worklist(kaur, "?regency=17.04&pageSize=50");
        var enrolled = await node.Host.Worklist(kaur, "?regency=17.04&stage=enrolled&pageSize=50");
        var closed = await node.Host.Worklist(auditor, "?stage=closed&pageSize=50");
        var coverage = await node.Host.Coverage(planner, $"?asOf={Uri.EscapeDataString(at.ToString("O"))}&basis=recorded");
        return JsonSerializer.Serialize(new
        {
            worklist = worklist.Items.Select(c => c.Id), worklist.Total,
            enrolled = enrolled.Items.Select(c => c.Id), enrolledTotal = enrolled.Total,
            closed = closed.Items.Select(c => c.Id), closedTotal = closed.Total,
            coverage.Province, coverage.Regencies
        });
    }

    [Fact]
    public async Task a_node_starts_on_a_database_an_earlier_release_left_fills_the_new_columns_builds_the_new_read_model_and_answers_as_before()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(10);
        var before = await With(first: true, async node =>
        {
            var kaur = node.Token("caseworker", "17.04");
            for (var i = 0; i < 3; i++) await node.Host.EnrolledCase(kaur);
            await node.Host.IdentifyWorker(kaur);
            await node.Host.Command(kaur, await node.Host.IdentifyWorker(kaur), "closure", new { reason = "declined" });
            await node.Host.EnrolledCase(node.Token("caseworker", "17.01"), regency: "17.01");
            await node.Host.ProjectionsCaughtUp();
            return await Answers(node, at);
        });
        Assert.Contains("\"enrolledTotal\":3", before);
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
            return await Answers(node, at);
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
        Assert.Equal(before, await With(first: false, node => Answers(node, at)));
    }

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
            return await Answers(node, at);
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
            var answers = await Answers(node, at);
            // A command writes its case view without the column.
            await node.Host.EnrolledCase(node.Token("caseworker", "17.04"));
            return answers;
        });
        Assert.Equal(before, after);
        Assert.Equal(3, await TestSql.ScalarAsync($"select count(*) from {Schema}.mt_doc_casedetails"));
    }
}
