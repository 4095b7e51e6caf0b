using System.Text;
using System.Text.Json;
using Alba;
using EnrolmentCases.Audit;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host on a schema of its own: these tests tamper with the events table directly.</summary>
public sealed class AuditFixture() : HostFixture(Schema)
{
    public const string Schema = "audit_check";

    protected override void Configure(IDictionary<string, string> settings)
    {
        settings["Audit:SealIntervalSeconds"] = "0";
        // The tests publish the head themselves, at the instants they choose.
        settings["Audit:Anchors:IntervalSeconds"] = "0";
        settings["ReplayVerification:PollSeconds"] = "1";
        // Not the defaults, so that the test of the lock connection sees these settings arrive.
        settings["ReplayVerification:LockKeepaliveIdleSeconds"] = "20";
        settings["ReplayVerification:LockKeepaliveIntervalSeconds"] = "4";
        settings["ReplayVerification:LockKeepaliveCount"] = "2";
    }

    public Task SqlAsync(string sql) => TestSql.ExecuteAsync(sql.Replace("{s}", Schema));

    public Task RuntimeSqlAsync(string sql) => TestSql.ExecuteAsync(sql.Replace("{s}", Schema), asRuntime: true);

    public Task<long> ScalarAsync(string sql) => TestSql.ScalarAsync(sql.Replace("{s}", Schema));

    public Task<object?> ValueAsync(string sql) => TestSql.ValueAsync(sql.Replace("{s}", Schema));

    public Task<IReadOnlyList<string>> NamesAsync(string sql) => TestSql.NamesAsync(sql.Replace("{s}", Schema));

    public Task<IAsyncDisposable> LockAsync(string table) => TestSql.LockAsync(table.Replace("{s}", Schema));

    public Task Eventually(string condition, string what) => TestSql.Eventually(condition.Replace("{s}", Schema), what);

    /// <summary>What the anchor publisher does every Audit:Anchors:IntervalSeconds: the sealed head, appended to the anchor folder.</summary>
    public async Task<PublishedAnchor> PublishAnchorAsync()
    {
        var published = await Host.Services.GetRequiredService<AnchorPublisher>().PublishAsync(CancellationToken.None);
        return Assert.IsType<PublishedAnchor>(published);
    }

    /// <summary>What the background sealer does every Audit:SealIntervalSeconds.</summary>
    public Task<long> SealAsync() => Host.Services.GetRequiredService<AuditSealer>().SealAsync(CancellationToken.None);
}

[CollectionDefinition(Name)]
public sealed class AuditCollection : ICollectionFixture<AuditFixture>
{
    public const string Name = "audit";
}

[Collection(AuditCollection.Name)]
public class AuditTrail(AuditFixture audit)
{
    private readonly string _kaur = audit.Token("caseworker", "17.04");
    private readonly string _auditor = audit.Token("auditor");

    private async Task<Guid> CaseWithHistory()
    {
        var id = await audit.Host.IdentifyWorker(_kaur);
        await audit.Host.Reach(_kaur, id);
        await audit.Host.Command(_kaur, id, "closure", new { reason = "declined", note = "prefers a private insurer" });
        return id;
    }

    private async Task<ChainVerification> Verify(string query = "")
    {
        await audit.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        return await audit.Host.VerifyChain(_auditor, query);
    }

    private async Task<long> SealedSequenceOf(Guid caseId, int version)
    {
        await Verify();
        await using var session = audit.Store.QuerySession();
        return (await session.Events.FetchStreamAsync(caseId)).Single(e => e.Version == version).Sequence;
    }

    private static void AssertBrokenAt(ChainVerification report, long sequence)
    {
        Assert.False(report.Valid, report.ToString());
        Assert.Equal(sequence, report.FirstInvalidSequence);
    }

    /// <summary>
    /// Tampers with the log, checks what verification says, and puts the log back whatever the check
    /// found; then the log must verify again. The collection shares one log: a test that left it broken
    /// would fail every test that verifies after it.
    /// </summary>
    private async Task WhileTampered(string tamper, string restore, Func<Task> check)
    {
        await audit.SqlAsync(tamper);
        try
        {
            await check();
        }
        finally
        {
            await audit.SqlAsync(restore);
        }

        var again = await Verify();
        Assert.True(again.Valid, $"the log does not verify after restoring: {again}");
    }

    [Fact]
    public async Task an_untouched_log_verifies_and_its_head_can_be_anchored()
    {
        await CaseWithHistory();
        var report = await Verify();
        Assert.True(report.Valid, report.ToString());
        Assert.True(report.EventsChecked >= 5);
        var head = $"{report.HeadSequence}:{report.HeadHash}";

        await CaseWithHistory();
        var later = await Verify($"?anchor={head}");
        Assert.True(later.Valid);
        Assert.True(later.AnchorMatches);

        var forged = await Verify($"?anchor={report.HeadSequence}:{new string('a', 64)}");
        Assert.False(forged.Valid);
    }

    [Fact]
    public async Task editing_an_events_data_is_caught_at_that_event()
    {
        var id = await CaseWithHistory();
        var target = await SealedSequenceOf(id, 3);
        await WhileTampered(
            $"update {{s}}.mt_events set data = jsonb_set(data, '{{outcome}}', '\"refused\"') where seq_id = {target}",
            $"update {{s}}.mt_events set data = jsonb_set(data, '{{outcome}}', '\"reached\"') where seq_id = {target}",
            async () => AssertBrokenAt(await Verify(), target));
    }

    [Fact]
    public async Task editing_who_acted_is_caught_at_that_event()
    {
        var id = await CaseWithHistory();
        var target = await SealedSequenceOf(id, 4);
        var original = Assert.IsType<string>(await audit.ValueAsync($"select user_name from {{s}}.mt_events where seq_id = {target}"));
        Assert.StartsWith("caseworker-", original);
        await WhileTampered(
            $"update {{s}}.mt_events set user_name = 'someone-else' where seq_id = {target}",
            $"update {{s}}.mt_events set user_name = '{original}' where seq_id = {target}",
            async () => AssertBrokenAt(await Verify(), target));
    }

    [Fact]
    public async Task deleting_an_event_is_caught_where_it_was()
    {
        var id = await CaseWithHistory();
        var target = await SealedSequenceOf(id, 3);
        await WhileTampered(
            // Resetting the store wipes Marten's tables, not this one: a run killed before restoring leaves it behind.
            $"drop table if exists {{s}}.kept; create table {{s}}.kept as select * from {{s}}.mt_events where seq_id = {target}; delete from {{s}}.mt_events where seq_id = {target}",
            "insert into {s}.mt_events select * from {s}.kept; drop table {s}.kept",
            async () => AssertBrokenAt(await Verify(), target));
    }

    [Fact]
    public async Task reordering_two_events_is_caught_at_the_first_of_them()
    {
        var id = await CaseWithHistory();
        var first = await SealedSequenceOf(id, 3);
        var second = await SealedSequenceOf(id, 5);
        const long parked = -42;
        var swap = $$"""
            update {s}.mt_events set seq_id = {{parked}} where seq_id = {{first}};
            update {s}.mt_events set seq_id = {{first}} where seq_id = {{second}};
            update {s}.mt_events set seq_id = {{second}} where seq_id = {{parked}};
            """;
        await WhileTampered(swap, swap, async () => AssertBrokenAt(await Verify(), first));
    }

    [Fact]
    public async Task inserting_an_event_into_sealed_history_is_caught_at_it()
    {
        // A sequence number that no event took: the gap an attacker would have to fill.
        var gap = await audit.ScalarAsync("select nextval('{s}.mt_events_sequence')");
        var id = await CaseWithHistory();
        await SealedSequenceOf(id, 5);
        Assert.True(await audit.ScalarAsync($"select max(id) from {{s}}.mt_doc_auditlink") > gap);

        await WhileTampered($$"""
            insert into {s}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived)
            select {{gap}}, gen_random_uuid(), stream_id, 99, data, type, timestamp, tenant_id, mt_dotnet_type, false
            from {s}.mt_events where seq_id = (select max(seq_id) from {s}.mt_events)
            """,
            $"delete from {{s}}.mt_events where seq_id = {gap}",
            async () => AssertBrokenAt(await Verify(), gap));
    }

    private static void AssertBreak(ChainVerification report, long sequence, string problem) =>
        Assert.True(report.Breaks.Any(b => b.Sequence == sequence && b.Problem == problem),
            $"expected {problem} at {sequence}; got {JsonSerializer.Serialize(report.Breaks)}");

    /// <summary>The sequence of a case's event, read straight from the table: nothing seals on the way.</summary>
    private Task<long> SequenceOf(Guid caseId, int version) =>
        audit.ScalarAsync($"select seq_id from {{s}}.mt_events where stream_id = '{caseId}' and version = {version}");

    [Fact]
    public async Task an_event_edited_the_moment_its_command_returned_is_never_sealed_and_verification_names_it()
    {
        var id = await audit.Host.IdentifyWorker(_kaur);
        await audit.Host.Reach(_kaur, id);
        var target = await SequenceOf(id, 3);
        // No sealer runs on this host: the event is unsealed when it is edited.
        Assert.Equal(0, await audit.ScalarAsync($"select count(*) from {{s}}.mt_doc_auditlink where id >= {target}"));

        await WhileTampered(
            $"update {{s}}.mt_events set data = jsonb_set(data, '{{outcome}}', '\"refused\"') where seq_id = {target}",
            $"update {{s}}.mt_events set data = jsonb_set(data, '{{outcome}}', '\"reached\"') where seq_id = {target}",
            async () =>
            {
                var report = await Verify();
                AssertBrokenAt(report, target);
                AssertBreak(report, target, ChainProblems.MacMismatch);
                // The verification sealed what it could, and nothing from the edited event on.
                Assert.True(report.HeadSequence < target, report.ToString());
                Assert.Equal(0, await audit.ScalarAsync($"select count(*) from {{s}}.mt_doc_auditlink where id >= {target}"));
                Assert.Equal(target, await audit.ScalarAsync("select (data->>'refusedSequence')::bigint from {s}.mt_doc_auditsealerrun"));
                // Readiness says so too.
                var (_, health) = await audit.Host.Ready(audit.Token("admin"));
                Assert.Equal("Degraded", health.Check("audit-sealer").Status());
                Assert.Equal(target, health.Check("audit-sealer").GetProperty("data").GetProperty("refusedSequence").GetInt64());
            });
    }

    [Fact]
    public async Task a_sealed_event_edited_and_its_links_deleted_is_not_resealed_and_is_caught_by_its_mac_and_by_the_anchor()
    {
        var id = await CaseWithHistory();
        var target = await SealedSequenceOf(id, 3);
        var anchor = await audit.PublishAnchorAsync();
        Assert.True(anchor.Sequence >= target);
        Assert.True(File.ReadAllText(Directory.GetFiles(audit.AnchorDirectory).Single(f => f.Contains(anchor.PublishedAt.UtcDateTime.ToString("yyyy-MM-dd"))))
            .Contains(anchor.Hash));

        await WhileTampered(
            $$"""
              update {s}.mt_events set data = jsonb_set(data, '{outcome}', '"refused"') where seq_id = {{target}};
              drop table if exists {s}.kept_links; create table {s}.kept_links as select * from {s}.mt_doc_auditlink where id >= {{target}};
              delete from {s}.mt_doc_auditlink where id >= {{target}};
              """,
            $$"""
              update {s}.mt_events set data = jsonb_set(data, '{outcome}', '"reached"') where seq_id = {{target}};
              delete from {s}.mt_doc_auditlink where id >= {{target}};
              insert into {s}.mt_doc_auditlink select * from {s}.kept_links; drop table {s}.kept_links;
              """,
            async () =>
            {
                // The sealer runs as it would in the background: it stops before the edited event.
                await audit.SealAsync();
                Assert.Equal(0, await audit.ScalarAsync($"select count(*) from {{s}}.mt_doc_auditlink where id >= {target}"));
                var report = await Verify();
                AssertBrokenAt(report, target);
                AssertBreak(report, target, ChainProblems.MacMismatch);
                AssertBreak(report, anchor.Sequence, ChainProblems.AnchorNotReached);
            });
    }

    [Fact]
    public async Task deleting_the_tail_with_its_links_after_an_anchor_was_published_is_caught_at_the_anchor()
    {
        await CaseWithHistory();
        var id = await CaseWithHistory();
        var cut = await SealedSequenceOf(id, 1);
        var anchor = await audit.PublishAnchorAsync();
        Assert.True(anchor.Sequence > cut);

        await WhileTampered(
            $$"""
              drop table if exists {s}.kept_tail; create table {s}.kept_tail as select * from {s}.mt_events where seq_id >= {{cut}};
              drop table if exists {s}.kept_links; create table {s}.kept_links as select * from {s}.mt_doc_auditlink where id >= {{cut}};
              delete from {s}.mt_events where seq_id >= {{cut}}; delete from {s}.mt_doc_auditlink where id >= {{cut}};
              """,
            """
            insert into {s}.mt_events select * from {s}.kept_tail; drop table {s}.kept_tail;
            insert into {s}.mt_doc_auditlink select * from {s}.kept_links; drop table {s}.kept_links;
            """,
            async () =>
            {
                var report = await Verify();
                Assert.False(report.Valid);
                AssertBreak(report, anchor.Sequence, ChainProblems.AnchoredSequenceMissing);
                // What remains is consistent in itself: without the anchor, nothing would show the cut.
                Assert.All(report.Breaks, b => Assert.Equal(ChainProblems.AnchoredSequenceMissing, b.Problem));
            });
    }

    [Fact]
    public async Task two_edits_far_apart_are_two_breaks()
    {
        var first = await CaseWithHistory();
        for (var i = 0; i < 3; i++) await CaseWithHistory();
        var second = await CaseWithHistory();
        var (a, b) = (await SealedSequenceOf(first, 5), await SealedSequenceOf(second, 3));
        await WhileTampered(
            $$"""
              update {s}.mt_events set data = jsonb_set(data, '{note}', '"moved abroad"') where seq_id = {{a}};
              update {s}.mt_events set data = jsonb_set(data, '{outcome}', '"refused"') where seq_id = {{b}};
              """,
            $$"""
              update {s}.mt_events set data = jsonb_set(data, '{note}', '"prefers a private insurer"') where seq_id = {{a}};
              update {s}.mt_events set data = jsonb_set(data, '{outcome}', '"reached"') where seq_id = {{b}};
              """,
            async () =>
            {
                var report = await Verify();
                AssertBrokenAt(report, a);
                AssertBreak(report, a, ChainProblems.MacMismatch);
                AssertBreak(report, a, ChainProblems.LinkMismatch);
                AssertBreak(report, b, ChainProblems.MacMismatch);
                AssertBreak(report, b, ChainProblems.LinkMismatch);
                // Each edit is reported where it is, and nowhere else.
                Assert.Equal([a, b], report.Breaks.Select(x => x.Sequence).Distinct());
            });
    }

    [Fact]
    public async Task a_budget_snapshot_altered_in_the_database_is_reported_against_its_events()
    {
        var year = MoneyScenarios.FreshBudgetYear();
        await audit.Host.Allocate("APBD_PROVINCE", null, year, 1_000_000);
        var budget = EnrolmentCases.Budgets.Budget.IdFor(EnrolmentCases.Money.Payer.ApbdProvince, null, year);
        var last = await audit.ScalarAsync($"select max(seq_id) from {{s}}.mt_events where stream_id = '{budget}'");
        Assert.True((await Verify()).SnapshotsChecked > 0);

        await WhileTampered(
            $"update {{s}}.mt_doc_budget set data = jsonb_set(data, '{{allocated}}', '900000000') where id = '{budget}'",
            $"update {{s}}.mt_doc_budget set data = jsonb_set(data, '{{allocated}}', '1000000') where id = '{budget}'",
            async () =>
            {
                var report = await Verify();
                AssertBrokenAt(report, last);
                AssertBreak(report, last, ChainProblems.SnapshotDiffers);
            });
    }

    [Fact]
    public async Task a_case_moved_to_another_regency_in_its_stored_details_is_reported()
    {
        var id = await audit.Host.IdentifyWorker(_kaur);
        var first = await SealedSequenceOf(id, 1);
        await WhileTampered(
            $"update {{s}}.mt_doc_casedetails set data = jsonb_set(data, '{{regencyCode}}', '\"17.07\"') where id = '{id}'",
            $"update {{s}}.mt_doc_casedetails set data = jsonb_set(data, '{{regencyCode}}', '\"17.04\"') where id = '{id}'",
            async () =>
            {
                var report = await Verify();
                AssertBrokenAt(report, first);
                AssertBreak(report, first, ChainProblems.SnapshotDiffers);
            });
    }

    [Fact]
    public async Task every_event_carries_the_mac_and_the_id_of_its_key()
    {
        var id = await CaseWithHistory();
        var keys = await audit.NamesAsync($"select distinct headers->>'macKey' from {{s}}.mt_events where stream_id = '{id}'");
        Assert.Equal(["dev-1"], keys);
        Assert.Equal(0, await audit.ScalarAsync($"select count(*) from {{s}}.mt_events where stream_id = '{id}' and length(headers->>'mac') <> 64"));
    }

    [Fact]
    public async Task the_history_lists_every_event_with_who_when_why_and_its_hash()
    {
        var id = await CaseWithHistory();
        await Verify();
        var history = await audit.Host.History(_auditor, id);
        Assert.Equal(id, history.CaseId);
        var events = history.Events;
        Assert.Equal(["worker_identified", "case_stage_changed", "contact_attempted", "case_stage_changed", "case_closed", "case_stage_changed"],
            events.Select(e => e.Type));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), events.Select(e => e.Version));
        Assert.All(events, e =>
        {
            Assert.StartsWith("caseworker-", e.User);
            Assert.False(string.IsNullOrEmpty(e.CorrelationId));
            Assert.Contains("/api/cases", e.CausationId);
            Assert.Equal(64, e.Hash!.Length);
        });
        // Data is each event's own JSON, as the client receives it.
        Assert.Equal("prefers a private insurer", ((JsonElement)events[4].Data).GetProperty("note").GetString());

        await audit.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases/{id}/history");
            s.WithBearerToken(audit.Token("caseworker", "17.07"));
            s.StatusCodeShouldBe(404);
        });
    }

    [Fact]
    public async Task the_log_exports_as_ndjson_in_sequence_order_with_hashes()
    {
        await CaseWithHistory();
        await Verify();
        var result = await audit.Host.Scenario(s =>
        {
            s.Get.Url("/api/audit/events?afterSequence=0&limit=4");
            s.WithBearerToken(_auditor);
            s.StatusCodeShouldBeOk();
        });
        Assert.Equal("application/x-ndjson", result.Context.Response.ContentType);
        var lines = (await result.ReadAsTextAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        var parsed = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(parsed.Select(p => p.GetProperty("sequence").GetInt64()).Order(), parsed.Select(p => p.GetProperty("sequence").GetInt64()));
        Assert.All(parsed, p => Assert.Equal(64, p.GetProperty("hash").GetString()!.Length));

        // Anyone holding the export can re-hash it: the chain follows from the lines alone.
        var previous = AuditChain.Genesis;
        foreach (var p in parsed)
        {
            string? Text(string name) => p.GetProperty(name).ValueKind == JsonValueKind.Null ? null : p.GetProperty(name).GetString();
            var canonical = string.Join('\u001f', p.GetProperty("sequence").GetInt64(), p.GetProperty("id").GetGuid().ToString("N"),
                p.GetProperty("streamId").GetGuid().ToString("N"), p.GetProperty("version").GetInt64(), Text("type"), Text("timestamp"),
                p.GetProperty("isArchived").GetBoolean(), Text("user") ?? "", Text("correlationId") ?? "", Text("causationId") ?? "",
                p.GetProperty("headers").ValueKind == JsonValueKind.Null ? "" : p.GetProperty("headers").GetRawText(),
                p.GetProperty("data").GetRawText());
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(previous + "\n" + canonical)));
            Assert.Equal(p.GetProperty("hash").GetString(), hash);
            previous = hash;
        }

        var next = await audit.Host.Scenario(s =>
        {
            s.Get.Url($"/api/audit/events?afterSequence={parsed[^1].GetProperty("sequence").GetInt64()}&limit=1");
            s.WithBearerToken(_auditor);
        });
        var following = JsonDocument.Parse((await next.ReadAsTextAsync()).Trim()).RootElement;
        Assert.True(following.GetProperty("sequence").GetInt64() > parsed[^1].GetProperty("sequence").GetInt64());

        await audit.Host.Scenario(s =>
        {
            s.Get.Url("/api/audit/events");
            s.WithBearerToken(audit.Token("planner"));
            s.StatusCodeShouldBe(403);
        });
    }

    [Fact]
    public async Task a_data_subject_gets_every_case_and_its_trail_and_only_auditors_may_ask()
    {
        var nik = Niks.Next();
        var firstId = await audit.Host.IdentifyWorker(_kaur, Scenarios.NewWorker(nik));
        await audit.Host.Command(_kaur, firstId, "closure", new { reason = "duplicate" });
        var secondId = await audit.Host.IdentifyWorker(_kaur, Scenarios.NewWorker(nik));

        var result = await audit.Host.Scenario(s =>
        {
            s.Post.Json(new { nik }).ToUrl("/api/audit/subject-access");
            s.WithBearerToken(_auditor);
            s.StatusCodeShouldBeOk();
        });
        var report = (await result.ReadAsJsonAsync<SubjectAccessReport>())!;
        Assert.Equal(nik, report.Nik);
        Assert.Equal([firstId, secondId], report.Cases.Select(c => c.Case.Id));
        Assert.Equal(secondId, report.OpenCaseId);
        Assert.All(report.Cases, c =>
        {
            Assert.Equal(nik, c.Case.Nik);
            Assert.Equal(c.Case.Id, c.History.CaseId);
            Assert.NotEmpty(c.History.Events);
        });

        foreach (var role in new[] { "caseworker", "planner", "admin" })
        {
            await audit.Host.Scenario(s =>
            {
                s.Post.Json(new { nik }).ToUrl("/api/audit/subject-access");
                s.WithBearerToken(audit.Token(role, "17.04"));
                s.StatusCodeShouldBe(403);
            });
        }
    }

    private async Task<IReadOnlyList<string>> ScratchSchemas() => await audit.NamesAsync(
        $"select nspname::text from pg_namespace where starts_with(nspname, '{AuditFixture.Schema}_replay') order by 1");

    private async Task<ReplayVerificationJob> Verified(string token)
    {
        var started = await audit.Host.StartReplayVerification(token);
        var job = await audit.Host.FinishedReplayVerification(token, started.Id);
        Assert.True(job.Status == ReplayJobStatus.Completed, JsonSerializer.Serialize(job));
        Assert.Empty(await ScratchSchemas());
        return job;
    }

    private static void AssertAllMatch(ReplayVerificationJob job)
    {
        Assert.True(job.Valid, JsonSerializer.Serialize(job));
        Assert.All(job.ReadModels!, m =>
        {
            Assert.Equal(0, m.Differences);
            Assert.Equal(m.LiveRows, m.ReplayedRows);
            Assert.Empty(m.FirstDifferentIds);
        });
    }

    [Fact]
    public async Task auditors_and_admins_start_a_replay_verification_and_follow_it_until_every_read_model_is_found_matching()
    {
        await CaseWithHistory();
        var year = MoneyScenarios.FreshBudgetYear();
        await audit.Host.Allocate("APBD_PROVINCE", null, year, 1_000_000);
        // A subsidised worker, so that the forecast's cohort counts have a row to compare.
        var kaur = audit.Token("caseworker", "17.04");
        // Enrolled this month (the host runs on the system clock), so that the membership is active (not lapsed) when the subsidy is granted.
        var thisMonth = $"{DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(7)):yyyy-MM}-01";
        await audit.Host.Command(kaur, await audit.Host.EnrolledCase(kaur, effectiveDate: thisMonth), "subsidy",
            MoneyScenarios.Grant("APBD_PROVINCE", year, $"{year}-01", 12));
        await audit.Host.Scenario(s =>
        {
            s.Put.Json(new { eligibleWorkers = 500, source = "DTSEN 2025" }).ToUrl($"/api/regencies/17.04/targets/{year}");
            s.WithBearerToken(audit.Token("planner"));
            s.StatusCodeShouldBeOk();
        });
        await audit.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

        foreach (var (role, other) in new[] { ("auditor", "admin"), ("admin", "auditor") })
        {
            var token = audit.TokenFor(role, $"{role}-replay");
            var job = await Verified(token);
            AssertAllMatch(job);
            Assert.True(job.EventsReplayed >= 7, JsonSerializer.Serialize(job));
            Assert.Equal(["Budget", "CaseDetails", "CoverageChange", "CoverageDay", "CoverageMonth", "RegencyTarget", "SubsidyCohortCount"], job.ReadModels!.Select(m => m.ReadModel));
            Assert.All(job.ReadModels!, m => Assert.True(m.LiveRows > 0, $"{m.ReadModel} has rows to compare"));
            Assert.Equal($"{role}-replay", job.RequestedBy);
            Assert.True(job.RequestedAt <= job.StartedAt && job.StartedAt <= job.FinishedAt, JsonSerializer.Serialize(job));
            Assert.Null(job.Reason);
            // Whoever may start one may follow any.
            Assert.Equal(job.Valid, (await audit.Host.GetReplayVerification(audit.Token(other), job.Id)).Valid);
        }

        foreach (var unknownId in new[] { Guid.NewGuid().ToString(), "not-a-job" })
        {
            var unknown = await audit.Host.Scenario(s =>
            {
                s.Get.Url($"{Scenarios.ReplayVerifications}/{unknownId}");
                s.WithBearerToken(_auditor);
                s.StatusCodeShouldBe(404);
            });
            Assert.Equal("not-found", (await unknown.Problem()).Slug());
        }

        var someJob = (await audit.Host.StartReplayVerification(_auditor)).Id;
        foreach (var role in new[] { "caseworker", "planner" })
        {
            await audit.Host.Scenario(s =>
            {
                s.Post.Url(Scenarios.ReplayVerifications);
                s.WithBearerToken(audit.Token(role, "17.04"));
                s.StatusCodeShouldBe(403);
            });
            await audit.Host.Scenario(s =>
            {
                s.Get.Url($"{Scenarios.ReplayVerifications}/{someJob}");
                s.WithBearerToken(audit.Token(role, "17.04"));
                s.StatusCodeShouldBe(403);
            });
        }

        await audit.Host.FinishedReplayVerification(_auditor, someJob);
    }

    [Fact]
    public async Task a_tampered_read_model_makes_the_verification_complete_invalid_and_name_the_row()
    {
        var id = await CaseWithHistory();
        await audit.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        AssertAllMatch(await Verified(_auditor));

        await audit.SqlAsync($"update {{s}}.mt_doc_casedetails set data = jsonb_set(data, '{{contactAttempts}}', '7') where id = '{id}'");
        try
        {
            var corrupted = await Verified(_auditor);
            Assert.False(corrupted.Valid);
            var cases = corrupted.ReadModels!.Single(m => m.ReadModel == "CaseDetails");
            Assert.Equal(1, cases.Differences);
            Assert.Equal([id.ToString()], cases.FirstDifferentIds);
            Assert.All(corrupted.ReadModels!.Where(m => m.ReadModel != "CaseDetails"), m => Assert.Equal(0, m.Differences));
        }
        finally
        {
            await audit.SqlAsync($"update {{s}}.mt_doc_casedetails set data = jsonb_set(data, '{{contactAttempts}}', '1') where id = '{id}'");
        }

        AssertAllMatch(await Verified(_auditor));
    }

    [Fact]
    public async Task while_a_verification_runs_another_is_refused_with_job_running_naming_it_and_its_copy_is_left_alone()
    {
        await CaseWithHistory();
        await audit.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));

        ReplayVerificationJob running;
        // Holding the last read model's table keeps the run in its comparison, after the rebuild.
        await using (await audit.LockAsync("{s}.mt_doc_regencytarget"))
        {
            running = await audit.Host.StartReplayVerification(_auditor);
            await audit.Eventually("select count(*) > 0 from pg_locks where relation = '{s}.mt_doc_regencytarget'::regclass and not granted",
                "the run waits to compare the last read model");
            Assert.Equal(ReplayJobStatus.Running, (await audit.Host.GetReplayVerification(_auditor, running.Id)).Status);
            var copy = Assert.Single(await ScratchSchemas());

            var refused = await audit.Host.Scenario(s =>
            {
                s.Post.Url(Scenarios.ReplayVerifications);
                s.WithBearerToken(audit.Token("admin"));
                s.StatusCodeShouldBe(409);
            });
            var problem = await refused.Problem();
            Assert.Equal("job-running", problem.Slug());
            Assert.Equal(running.Id, problem.GetProperty("jobId").GetGuid());
            Assert.Equal([copy], await ScratchSchemas());
        }

        var finished = await audit.Host.FinishedReplayVerification(_auditor, running.Id);
        AssertAllMatch(finished);
        Assert.Empty(await ScratchSchemas());
    }

    [Fact]
    public async Task racing_requests_start_exactly_one_verification_and_the_others_name_it()
    {
        await CaseWithHistory();
        HttpResponseMessage[] answers;
        // While the test holds the runner's lock, nothing runs: the winner stays queued.
        await using (await ReplayRunnerLock.TakeAsync(audit.Host.Services.GetRequiredService<ReplayVerification>(), CancellationToken.None))
        {
            answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            {
                using var client = audit.Host.Client(audit.Token("auditor"));
                return await client.PostAsync(Scenarios.ReplayVerifications, null);
            }));
        }

        var accepted = Assert.Single(answers, a => (int)a.StatusCode == 202);
        var jobId = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        Assert.All(answers.Where(a => a != accepted), a => Assert.Equal(409, (int)a.StatusCode));
        foreach (var refused in answers.Where(a => a != accepted))
        {
            var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("job-running", problem.Slug());
            Assert.Equal(jobId, problem.GetProperty("jobId").GetGuid());
        }

        Assert.Equal(ReplayJobStatus.Completed, (await audit.Host.FinishedReplayVerification(_auditor, jobId)).Status);
    }

    [Fact]
    public async Task a_run_whose_process_died_neither_blocks_the_next_nor_leaves_its_copy_of_the_events_behind()
    {
        await CaseWithHistory();
        await audit.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        // What a killed process leaves: a job marked running, its slot, and its scratch copy of the events
        // (and, from before scratch schemas per run, the one shared copy).
        var dead = new ReplayVerificationJob
        {
            Id = Guid.CreateVersion7(), Status = ReplayJobStatus.Running, RequestedBy = "auditor-gone",
            RequestedAt = DateTimeOffset.UtcNow.AddMinutes(-5), StartedAt = DateTimeOffset.UtcNow.AddMinutes(-5)
        };
        // Holding the runner's lock keeps the worker from clearing them before they are counted.
        await using (await ReplayRunnerLock.TakeAsync(audit.Host.Services.GetRequiredService<ReplayVerification>(), CancellationToken.None))
        {
            await using (var session = audit.Store.LightweightSession())
            {
                session.Store(dead);
                session.Store(new ReplayVerificationSlot { JobId = dead.Id });
                await session.SaveChangesAsync();
            }

            foreach (var leftover in new[] { $"{{s}}_replay_{dead.Id.ToString("N")[^12..]}", "{s}_replay" })
                await audit.RuntimeSqlAsync($"create schema {leftover}; create table {leftover}.mt_events as select * from {{s}}.mt_events");
            Assert.Equal(2, (await ScratchSchemas()).Count);
        }

        var next = await Verified(_auditor);
        AssertAllMatch(next);
        var interrupted = await audit.Host.GetReplayVerification(_auditor, dead.Id);
        Assert.Equal(ReplayJobStatus.Failed, interrupted.Status);
        Assert.StartsWith("interrupted", interrupted.Reason);
        Assert.NotNull(interrupted.FinishedAt);
    }

    [Fact]
    public async Task a_gap_of_two_thousand_sequence_numbers_verifies_without_waiting_for_it_to_fill()
    {
        var id = await audit.Host.IdentifyWorker(_kaur);
        var before = await audit.ScalarAsync("select max(seq_id) from {s}.mt_events");
        // What a process killed mid-import leaves: sequence numbers drawn and never committed.
        await audit.SqlAsync("select setval('{s}.mt_events_sequence', nextval('{s}.mt_events_sequence') + 2000)");
        await audit.Host.Reach(_kaur, id);
        Assert.True(await audit.ScalarAsync($"select min(seq_id) from {{s}}.mt_events where seq_id > {before}") > before + 2000);
        await audit.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));

        AssertAllMatch(await Verified(_auditor));
    }

    [Fact]
    public async Task a_leftover_copy_is_dropped_by_a_worker_poll_with_nothing_queued_and_no_request()
    {
        // Nothing queued or running (so the sweep of a POST or of a run has no part), and nothing posts below.
        await audit.Eventually("select count(*) = 0 from {s}.mt_doc_replayverificationslot", "no verification is queued or running");
        // Twice: the first copy might still meet the worker's start-up sweep, the second only a poll.
        foreach (var leftover in new[] { "{s}_replay_00000000feed", "{s}_replay_00000000f00d" })
        {
            await audit.RuntimeSqlAsync($"create schema {leftover}; create table {leftover}.mt_events as select * from {{s}}.mt_events");
            await audit.Eventually($"select count(*) = 0 from pg_namespace where nspname = '{leftover}'",
                $"{leftover.Replace("{s}", AuditFixture.Schema)} is dropped by a poll");
        }

        Assert.Equal(0, await audit.ScalarAsync("select count(*) from {s}.mt_doc_replayverificationslot"));
    }

    [Fact]
    public async Task the_runner_lock_connection_asks_the_server_for_the_configured_tcp_keepalives()
    {
        // PostgreSQL shows a session's settings only to that session: a connection as the lock opens it.
        var verification = audit.Host.Services.GetRequiredService<ReplayVerification>();
        await using var connection = new Npgsql.NpgsqlConnection(verification.RunnerLockConnectionString);
        await connection.OpenAsync();
        var settings = new Dictionary<string, string>();
        await using (var command = new Npgsql.NpgsqlCommand(
                         "select name, setting from pg_settings where name in ('tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count')", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) settings[reader.GetString(0)] = reader.GetString(1);

        Assert.Equal(new Dictionary<string, string> { ["tcp_keepalives_idle"] = "20", ["tcp_keepalives_interval"] = "4", ["tcp_keepalives_count"] = "2" }, settings);
        Assert.Equal(20, new Npgsql.NpgsqlConnectionStringBuilder(verification.RunnerLockConnectionString).KeepAlive);
    }
}
