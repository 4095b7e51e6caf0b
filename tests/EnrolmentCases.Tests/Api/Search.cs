using System.Diagnostics;
using Alba;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Privacy;
using Marten;
using Marten.Linq;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EnrolmentCases.Tests.Api;

/// <summary>A host on a schema of its own: the scale test loads thousands of case views straight into the store.</summary>
public sealed class SearchFixture() : HostFixture(Schema, new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))))
{
    public const string Schema = "search_check";
}

[CollectionDefinition(Name)]
public sealed class SearchCollection : ICollectionFixture<SearchFixture>
{
    public const string Name = "search";
}

[Collection(SearchCollection.Name)]
public class Search(SearchFixture api, ITestOutputHelper output)
{
    private readonly string _kaur = api.Token("caseworker", "17.04");
    private readonly string _auditor = api.Token("auditor");

    private static string UniqueWord() => SyntheticPeople.UniqueWord();

    private static string Capitalised(string word) => SyntheticPeople.Capitalised(word);

    private static object Worker(string nik, string fullName, string village, string regency = "17.04") => new
    {
        nik, fullName, regencyCode = regency, district = "Kaur Selatan", village, occupation = "rubber tapper", source = "P3KE"
    };

    private async Task<List<Guid>> Found(string token, string q, string query = "")
    {
        var page = await api.Host.Worklist(token, $"?q={Uri.EscapeDataString(q)}&pageSize=200{query}");
        Assert.Equal(page.Items.Count, page.Total);
        return page.Items.Select(c => c.Id).Order().ToList();
    }

    private static List<Guid> Ids(params Guid[] ids) => ids.Order().ToList();

    [Fact]
    public async Task q_finds_by_exact_nik_or_by_the_beginnings_of_words_of_the_name_or_village_in_any_case()
    {
        var (name, village) = (UniqueWord(), UniqueWord());
        var (sitiNik, manNik, lebongNik) = (Niks.Next(), Niks.Next(), Niks.Next());
        var siti = await api.Host.IdentifyWorker(_kaur, Worker(sitiNik, $"Siti {Capitalised(name)}wati", $"{Capitalised(village)} Jaya"));
        var man = await api.Host.IdentifyWorker(_kaur, Worker(manNik, $"{Capitalised(name)}man Saputra", $"Desa {Capitalised(village)}rejo"));
        var lebong = api.Token("caseworker", "17.07");
        var other = await api.Host.IdentifyWorker(lebong, Worker(lebongNik, $"{Capitalised(name)}wati Lestari", "Tanjung Agung", "17.07"));

        Assert.Equal(Ids(siti), await Found(_kaur, sitiNik));
        Assert.Equal(Ids(siti), await Found(_kaur, $" {sitiNik} "));
        Assert.Empty(await Found(_kaur, sitiNik[..15])); // part of a NIK is no NIK, and no word either
        Assert.Equal(Ids(siti, man), await Found(_kaur, name.ToUpperInvariant()));
        Assert.Equal(Ids(siti), await Found(_kaur, $"{name}wat"));
        Assert.Equal(Ids(siti, man), await Found(_kaur, village)); // a word of its own in one village, the start of one in the other
        Assert.Equal(Ids(man), await Found(_kaur, $"{village}RE"));
        // Every word must match: one of the name, one of the village.
        Assert.Equal(Ids(man), await Found(_kaur, $"{name} {village}rej"));
        Assert.Equal(Ids(siti), await Found(_kaur, $"siti, {name}"));
        Assert.Empty(await Found(_kaur, $"{name} tanjung"));
        // Near misses: a letter off, a longer word, a word from inside a word.
        Assert.Empty(await Found(_kaur, $"{name}wato"));
        Assert.Empty(await Found(_kaur, $"{name}watii"));
        Assert.Empty(await Found(_kaur, name[1..]));

        // Visibility: Kaur's caseworker never finds Lebong's case; its own caseworker and auditors do.
        Assert.Equal(Ids(other), await Found(lebong, name));
        Assert.Equal(Ids(siti, man, other), await Found(_auditor, name));
        Assert.Equal(Ids(other), await Found(_auditor, name, "&regency=17.07"));
        Assert.Empty(await Found(_kaur, lebongNik));
        Assert.Empty(await Found(_kaur, name, "&regency=17.07"));
        // With the other filters: only the reached case is contacted.
        await api.Host.Reach(_kaur, man);
        Assert.Equal(Ids(man), await Found(_kaur, name, "&stage=contacted"));

        // The answer shows the case decrypted, as the worklist always does.
        var shown = Assert.Single((await api.Host.Worklist(_kaur, $"?q={sitiNik}")).Items);
        Assert.Equal(($"Siti {Capitalised(name)}wati", sitiNik), (shown.FullName, shown.Nik));
    }

    [Fact]
    public async Task cases_opened_by_an_import_are_found_too()
    {
        var (name, nik) = (UniqueWord(), Niks.Next());
        var csv = Routes.CsvHeader + $"{nik},Agus {Capitalised(name)},17.04,Kaur Tengah,Bintuhan,fisher,,P3KE\r\n";
        var import = await api.Host.FinishedImport(_auditor, await api.Host.StartImport(_kaur, csv));
        Assert.Equal(1, import.Counts.Created);

        var found = Assert.Single((await api.Host.Worklist(_kaur, $"?q={name}%20bintuhan")).Items);
        Assert.Equal((nik, $"Agus {Capitalised(name)}"), (found.Nik, found.FullName));
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("a b-c")]
    [InlineData("one two three four five six seven eight nine")]
    public async Task a_query_without_a_word_of_three_letters_or_with_too_many_words_is_refused(string q)
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases?q={Uri.EscapeDataString(q)}");
            s.WithBearerToken(_kaur);
            s.StatusCodeShouldBe(400);
        });
        Assert.True((await result.Problem()).GetProperty("errors").TryGetProperty("q", out _));
    }

    [Fact]
    public async Task a_corrected_name_is_found_by_its_new_words_and_no_longer_by_the_old()
    {
        var (old, corrected, village) = (UniqueWord(), UniqueWord(), UniqueWord());
        var id = await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"Rina {old}", village));
        Assert.Equal(Ids(id), await Found(_kaur, old));

        await api.Host.Command(_kaur, id, "corrections", new { fullName = $"Rina {corrected}", reason = "spelling on the village list" });
        Assert.Empty(await Found(_kaur, old));
        Assert.Equal(Ids(id), await Found(_kaur, corrected));
        Assert.Equal(Ids(id), await Found(_kaur, $"{corrected} {village}")); // the village it kept still counts

        var newVillage = UniqueWord();
        await api.Host.Command(_kaur, id, "corrections", new { village = newVillage, reason = "moved within the district" });
        Assert.Empty(await Found(_kaur, village));
        Assert.Equal(Ids(id), await Found(_kaur, $"{corrected} {newVillage}"));
    }

    [Fact]
    public async Task an_erased_person_is_found_neither_by_nik_nor_by_name_and_leaves_no_index_entry()
    {
        var (name, nik) = (UniqueWord(), Niks.Next());
        var id = await api.Host.IdentifyWorker(_kaur, Worker(nik, $"Dewi {name}", "Padang Petron"));
        Assert.Equal(Ids(id), await Found(_auditor, name));

        await api.Host.Scenario(s =>
        {
            s.Post.Json(new { nik, legalBasis = "UU 27/2022 art. 8", reference = "ORD-SEARCH-1" }).ToUrl("/api/audit/erasures");
            s.WithBearerToken(api.Token("admin"));
            s.StatusCodeShouldBe(201);
        });

        Assert.Empty(await Found(_auditor, name));
        Assert.Empty(await Found(_auditor, nik));
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {SearchFixture.Schema}.mt_doc_casesearchentry where id = '{id}'"));

        // Rebuilt from the views and keys, the index still leaves the erased person out, and finds the others again.
        var (kept, keptName) = (await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"Dewi {UniqueWord()}", "Padang Petron")), UniqueWord());
        await api.Host.Command(_kaur, kept, "corrections", new { fullName = $"Dewi {keptName}", reason = "typo" });
        await TestSql.ExecuteAsync($"delete from {SearchFixture.Schema}.mt_doc_casesearchentry");
        Assert.Empty(await Found(_auditor, keptName));
        // A small batch makes the rebuild walk many pages: every view is visited exactly once.
        var (indexed, removed) = await api.Host.Services.GetRequiredService<SearchIndexRebuild>().RunAsync(CancellationToken.None, batchSize: 7);
        Assert.Equal(await TestSql.ScalarAsync($"select count(*) from {SearchFixture.Schema}.mt_doc_casedetails"), indexed + removed);
        Assert.Equal(await TestSql.ScalarAsync($"select count(*) from {SearchFixture.Schema}.mt_doc_casesearchentry"), indexed);
        Assert.True(removed >= 1);
        Assert.Equal(Ids(kept), await Found(_auditor, keptName));
        Assert.Empty(await Found(_auditor, name));
        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {SearchFixture.Schema}.mt_doc_casesearchentry where id = '{id}'"));
    }

    [Fact]
    public async Task the_access_log_records_a_search_by_its_kind_and_never_its_words()
    {
        var (name, nik) = (UniqueWord(), Niks.Next());
        var id = await api.Host.IdentifyWorker(_kaur, Worker(nik, $"Yanti {name}", "Bintuhan"));
        Assert.Equal(Ids(id), await Found(_kaur, $"yanti {name}"));
        Assert.Equal(Ids(id), await Found(_kaur, nik));

        var entries = await TestSql.NamesAsync(
            $"select data::text from {SearchFixture.Schema}.mt_doc_accesslogentry where data->'caseIds' ? '{id}'");
        Assert.Contains(entries, e => e.Contains("search=words(2)"));
        Assert.Contains(entries, e => e.Contains("search=nik"));
        Assert.All(entries, e => Assert.DoesNotContain(name, e, StringComparison.OrdinalIgnoreCase));
        Assert.All(entries, e => Assert.DoesNotContain(nik, e));
    }


    /// <summary>
    /// Case views with their keys and index entries written straight into the store (not through HTTP), as many as
    /// SEARCH_SCALE_ROWS says (20,000 by default), then the query plan of a search and its latency through the API.
    /// The latency is printed, not asserted.
    /// </summary>
    [Fact]
    public async Task a_search_over_many_cases_is_served_by_the_index()
    {
        var rows = int.TryParse(Environment.GetEnvironmentVariable("SEARCH_SCALE_ROWS"), out var n) ? n : 20_000;
        var privacy = api.Host.Services.GetRequiredService<PersonalData>();
        var index = api.Host.Services.GetRequiredService<SearchIndex>();
        var random = new Random(2026);
        var rare = UniqueWord();
        var opened = new DateTimeOffset(2025, 1, 1, 8, 0, 0, TimeSpan.FromHours(7)).ToUniversalTime();
        var loading = Stopwatch.StartNew();
        for (var start = 0; start < rows; start += 5_000)
        {
            var keys = new List<PersonKey>();
            var views = new List<CaseDetails>();
            var entries = new List<CaseSearchEntry>();
            for (var i = start; i < Math.Min(rows, start + 5_000); i++)
            {
                var nik = $"1704{i:D12}";
                var (seal, key) = privacy.NewKey(privacy.SubjectOf(nik), opened);
                var name = i == rows / 2 ? $"Siti {Capitalised(rare)}" : SyntheticPeople.CommonName(random);
                var view = new CaseDetails(Guid.NewGuid(), seal.Seal(PersonalField.Nik, nik), seal.Seal(PersonalField.FullName, name),
                    $"17.{1 + i % 10:D2}", null, seal.Seal(PersonalField.Village, SyntheticPeople.Village(random)), "farmer", null,
                    EnrolmentCases.Cases.WorkerSource.P3Ke, EnrolmentCases.Cases.CaseStage.Identified, opened.AddMinutes(i), opened.AddMinutes(i))
                {
                    Subject = seal.Subject, KeyId = seal.KeyId, Version = 1
                };
                keys.Add(key);
                views.Add(view);
                entries.Add(index.EntryOf(view.Id, view.RegencyCode, view.OpenedAt, seal, view.FullName, view.Village));
            }

            await api.Store.BulkInsertDocumentsAsync(keys);
            await api.Store.BulkInsertDocumentsAsync(views);
            await api.Store.BulkInsertDocumentsAsync(entries);
        }

        output.WriteLine($"{rows} case views, keys and index entries loaded in {loading.Elapsed.TotalSeconds:F1} s");
        await TestSql.ExecuteAsync($"analyze {SearchFixture.Schema}.mt_doc_casesearchentry; analyze {SearchFixture.Schema}.mt_doc_casedetails");

        // The plan of the worklist's search as the endpoint builds it.
        await using (var session = api.Store.QuerySession())
        {
            var search = new WorklistSearch(null, null, [rare], index.QueryTokens([rare]));
            var plan = await TestSql.PlanAsync(search.Narrow(session.Query<CaseDetails>(), session, null, null)
                .OrderByDescending(c => c.OpenedAt).ThenByDescending(c => c.Id).Stats(out _).Take(50).ToCommand(),
                // At 20,000 narrow entries a scan may be priced below the index; what is checked is that the index serves it.
                "set enable_seqscan = off");
            output.WriteLine(string.Join('\n', plan));
            Assert.Contains(plan, line => line.Contains("Bitmap Index Scan on mt_doc_casesearchentry_idx_tokens"));

            // An auditor's walk of the province's newest entries reads its index alone, in its order (ADR 0063).
            await using var walk = new NpgsqlCommand($"select id, opened_at, tokens from {SearchFixture.Schema}.mt_doc_casesearchentry " +
                                                     "order by opened_at desc, id desc limit 1000");
            plan = await TestSql.PlanAsync(walk, "set enable_seqscan = off");
            output.WriteLine(string.Join('\n', plan));
            Assert.Contains(plan, line => line.Contains("Index Only Scan Backward using mt_doc_casesearchentry_idx_opened_at"));
            Assert.DoesNotContain(plan, line => line.Contains("Sort"));
        }

        var auditor = api.Token("auditor");
        foreach (var (what, q) in new[] { ("a rare word", rare), ("a common word", "siti"), ("two common words", "siti aminah"), ("a NIK", $"1704{rows / 3:D12}") })
        {
            await api.Host.Worklist(auditor, $"?q={Uri.EscapeDataString(q)}"); // warm
            var times = new List<double>();
            Paged<CaseDetails> page = null!;
            for (var i = 0; i < 20; i++)
            {
                var watch = Stopwatch.StartNew();
                page = await api.Host.Worklist(auditor, $"?q={Uri.EscapeDataString(q)}");
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            output.WriteLine($"{what} over {rows} cases: {page.Total} found, median {times[times.Count / 2]:F1} ms, max {times[^1]:F1} ms");
            Assert.True(page.Total >= 1, what);
            var words = SearchWords.OfQuery(q);
            Assert.All(page.Items, c => Assert.True(SearchWords.IsNik(q) ? c.Nik == q : SearchWords.Match(words, c.FullName, c.Village)));
        }
    }

    /// <summary>
    /// A search in one regency reads the tokens within that regency (ADR 0053): for a common word, a rare one and two words,
    /// on the first page and a deeper one, the count and the page are the ones the plain tokens give, and the count's statement
    /// reads the tokens' own index. Run after the test above in a class sharing its fixture, over whatever cases it loaded.
    /// </summary>
    [Fact]
    public async Task a_search_in_one_regency_finds_through_its_tokens_within_the_regency_what_the_plain_tokens_find()
    {
        var privacy = api.Host.Services.GetRequiredService<PersonalData>();
        var index = api.Host.Services.GetRequiredService<SearchIndex>();
        var random = new Random(53);
        var rare = UniqueWord();
        for (var i = 0; i < 300; i++)
        {
            var name = i % 100 == 7 ? $"Siti {Capitalised(rare)}" : SyntheticPeople.CommonName(random);
            await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), name, SyntheticPeople.Village(random)));
        }

        await TestSql.ExecuteAsync($"analyze {SearchFixture.Schema}.mt_doc_casesearchentry");
        var regencies = new[] { "17.04" };
        var regencyTokens = new[] { index.RegencyToken("17.04") };
        await using var session = api.Store.QuerySession();
        foreach (var (q, skip, take, limit) in new[] { ("siti", 0, 10, 50), ("siti", 20, 10, 50), (rare, 0, 10, 50), ("siti aminah", 0, 5, 1000), ("siti", 0, 10, 1000) })
        {
            var words = SearchWords.OfQuery(q);
            var search = new WorklistSearch(null, null, words, index.QueryTokens(words));
            var plain = await search.PageAsync(session, regencies, regencyTokens, null, skip, take, limit, CancellationToken.None);
            var within = await search.PageAsync(session, regencies, regencyTokens, index.QueryTokens(words, "17.04"), skip, take, limit, CancellationToken.None);
            if (q != "siti aminah") Assert.True(plain.Total > 0, q);
            Assert.Equal(plain.Total, within.Total);
            Assert.Equal(plain.Ids, within.Ids);
        }

        // A search with another filter narrows the case views by the entries' ids: the same cases through either tokens.
        foreach (var q in new[] { "siti", rare })
        {
            var words = SearchWords.OfQuery(q);
            var search = new WorklistSearch(null, null, words, index.QueryTokens(words));
            IQueryable<CaseDetails> Identified() => session.Query<CaseDetails>()
                .Where(c => c.RegencyCode == "17.04" && c.Stage == EnrolmentCases.Cases.CaseStage.Identified);
            var plain = await search.Narrow(Identified(), session, regencyTokens, null).Select(c => c.Id).ToListAsync();
            var within = await search.Narrow(Identified(), session, regencyTokens, index.QueryTokens(words, "17.04")).Select(c => c.Id).ToListAsync();
            Assert.NotEmpty(plain);
            Assert.Equal(plain.Order(), within.Order());
        }

        // The endpoint takes the tokens within the regency once this node's repair has found every entry holding them.
        var repair = api.Host.Services.GetRequiredService<SearchIndexRepair>();
        for (var waited = 0; !repair.Complete && waited < 300; waited++) await Task.Delay(100);
        Assert.True(repair.Complete);

        var plan = await TestSql.PlanAsync(new NpgsqlCommand(
            $"select id from {SearchFixture.Schema}.mt_doc_casesearchentry where tokens_in_regency @> '{{{string.Join(",", index.QueryTokens(["siti"], "17.04"))}}}'::bigint[] limit 1001"),
            "set enable_seqscan = off");
        output.WriteLine(string.Join('\n', plan));
        Assert.Contains(plan, line => line.Contains("mt_doc_casesearchentry_idx_tokens_in_regency"));

        // The same word in another regency is another token: the tokens of a word within Kaur find no case elsewhere.
        Assert.Equal(0, await TestSql.ScalarAsync(
            $"select count(*) from {SearchFixture.Schema}.mt_doc_casesearchentry where regency_code <> '17.04' and tokens_in_regency && '{{{string.Join(",", index.QueryTokens(["siti"], "17.04"))}}}'::bigint[]"));
    }

    /// <summary>
    /// A count past its limit is remembered at the search index's generation and answers the next page without counting
    /// (ADR 0062). Whatever takes a token from an entry (a correction, a deletion through a session or not) moves the
    /// generation on, and the count is made again, exactly; a new case's entry, a correction of neither name nor village,
    /// and an update that only adds tokens leave the generation alone.
    /// </summary>
    [Fact]
    public async Task a_count_past_its_limit_is_remembered_until_an_entry_loses_a_token()
    {
        var index = api.Host.Services.GetRequiredService<SearchIndex>();
        var (word, other) = (UniqueWord(), UniqueWord());
        var cases = new List<Guid>();
        for (var i = 0; i < 6; i++)
            cases.Add(await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"{Capitalised(word)} {SyntheticPeople.CommonName(new Random(i))}", "Tanjung Aur")));
        var lonely = await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"{Capitalised(other)} Lestari", "Tanjung Aur"));
        WorklistSearch SearchFor(string q) => new(null, null, SearchWords.OfQuery(q), index.QueryTokens(SearchWords.OfQuery(q)));
        async Task<long> Total(string q)
        {
            await using var session = api.Store.QuerySession();
            // A first page of one under a limit of five: the form that counts (the walk cannot give the total).
            var page = await SearchFor(q).PageAsync(session, null, null, null, 0, 1, 5, CancellationToken.None);
            Assert.Single(page.Ids);
            return page.Total;
        }

        var schema = SearchFixture.Schema;
        // A search of every regency depends on every regency's generation, one in Kaur on Kaur's (and that of entries without one).
        async Task<long> Generation(string? regency = null) => await TestSql.ScalarAsync(
            $"select coalesce(sum(value), 0) from {schema}.{SearchCountHints.GenerationTable}" +
            (regency is null ? "" : $" where regency_code in ('{regency}', '')"));
        async Task<long> Remembered(string q, string? regency = null) => await TestSql.ScalarAsync(
            $"select count(*) from {schema}.{SearchCountHints.HintTable} where generation = {await Generation(regency)} and id = " +
            $"'{SearchFor(q).CountKey(regency is null ? null : [index.RegencyToken(regency)], null, 5)}'");
        async Task<long> TotalInKaur(string q)
        {
            await using var session = api.Store.QuerySession();
            return (await SearchFor(q).PageAsync(session, ["17.04"], [index.RegencyToken("17.04")], null, 0, 1, 5, CancellationToken.None)).Total;
        }

        Assert.Equal(0, await Remembered(word));
        Assert.Equal(6, await Total(word)); // limit + 1: more than five
        Assert.Equal(1, await Remembered(word));

        // A hint is what answers: one written by hand for a word with a single case makes it "more than five".
        await TestSql.ExecuteAsync($"insert into {schema}.{SearchCountHints.HintTable} values ('{SearchFor(other).CountKey(null, null, 5)}', {await Generation()})");
        Assert.Equal(6, await Total(other));
        await TestSql.ExecuteAsync($"delete from {schema}.{SearchCountHints.HintTable} where id = '{SearchFor(other).CountKey(null, null, 5)}'");
        Assert.Equal(1, await Total(other));

        // An entry deleted by hand, outside any session: the trigger moves the generation on, and the count is made again.
        var generation = await Generation();
        await TestSql.ExecuteAsync($"delete from {schema}.mt_doc_casesearchentry where id = '{cases[0]}'");
        Assert.True(await Generation() > generation);
        Assert.Equal(5, await Total(word));

        // A correction that takes the word from a name: the same.
        generation = await Generation();
        await api.Host.Command(_kaur, cases[1], "corrections", new { fullName = "Rina Lestari", reason = "another person's name on the list" });
        Assert.True(await Generation() > generation);
        Assert.Equal(4, await Total(word));

        // A correction of neither the name nor the village rewrites no entry; an update that only adds tokens loses none.
        generation = await Generation();
        await api.Host.Command(_kaur, cases[2], "corrections", new { phone = "081234567890", reason = "new number" });
        await TestSql.ExecuteAsync($"update {schema}.mt_doc_casesearchentry set tokens = tokens || 42::bigint where id = '{lonely}'");
        Assert.Equal(generation, await Generation());

        // New cases only add matches: the generation stays, and past the limit the count is remembered again.
        await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"{Capitalised(word)} Putri", "Tanjung Aur"));
        Assert.Equal(5, await Total(word));
        var added = await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"{Capitalised(word)} Putra", "Tanjung Aur"));
        Assert.Equal(generation, await Generation());
        Assert.Equal(6, await Total(word));
        Assert.Equal(1, await Remembered(word));

        // A token lost in another regency moves that regency's generation: a search in Kaur stays remembered, one of every
        // regency does not.
        Assert.Equal(6, await TotalInKaur(word));
        Assert.Equal(1, await Remembered(word, "17.04"));
        var lebong = await api.Host.IdentifyWorker(api.Token("caseworker", "17.07"), Worker(Niks.Next(), $"{Capitalised(other)} Saputra", "Muara Aman", "17.07"));
        await TestSql.ExecuteAsync($"delete from {schema}.mt_doc_casesearchentry where id = '{lebong}'");
        Assert.Equal(1, await Remembered(word, "17.04"));
        Assert.Equal(0, await Remembered(word));
        Assert.Equal(6, await Total(word));
        generation = await Generation();

        // An entry deleted through a session (as an erasure, the rebuild and the repair delete) moves it on too.
        await using (var session = api.Store.LightweightSession())
        {
            session.Delete<CaseSearchEntry>(added);
            await session.SaveChangesAsync();
        }

        Assert.True(await Generation() > generation);
        Assert.Equal(5, await Total(word));

        // The API's own role moves the counters only through the trigger: it may read them, never set them back.
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() =>
            TestSql.ExecuteAsync($"update {schema}.{SearchCountHints.GenerationTable} set value = 0", asRuntime: true));
        Assert.Equal(Npgsql.PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    /// <summary>
    /// A hint that cannot be written (here the API's role may not insert one) leaves the answer as the count gave it: the
    /// search is remembered next time, not failed (ADR 62).
    /// </summary>
    [Fact]
    public async Task a_count_that_cannot_be_remembered_still_answers()
    {
        var index = api.Host.Services.GetRequiredService<SearchIndex>();
        var word = UniqueWord();
        for (var i = 0; i < 6; i++)
            await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), $"{Capitalised(word)} Lestari", "Tanjung Aur"));
        var search = new WorklistSearch(null, null, SearchWords.OfQuery(word), index.QueryTokens(SearchWords.OfQuery(word)));
        var hints = $"{SearchFixture.Schema}.{SearchCountHints.HintTable}";
        var runtime = (string)(await TestSql.ValueAsync("select current_user::text", asRuntime: true))!;
        await TestSql.ExecuteAsync($"revoke insert, update on {hints} from {runtime}");
        try
        {
            await using var session = api.Store.QuerySession();
            var page = await search.PageAsync(session, null, null, null, 0, 1, 5, CancellationToken.None);
            Assert.Equal(6, page.Total);
            Assert.Single(page.Ids);
        }
        finally
        {
            await TestSql.ExecuteAsync($"grant insert, update on {hints} to {runtime}");
        }

        Assert.Equal(0, await TestSql.ScalarAsync($"select count(*) from {hints} where id = '{search.CountKey(null, null, 5)}'"));
    }

    /// <summary>
    /// The newest-first walks' indexes are the duplicated columns' own, keyed by a mask (ADR 0063): the search entries' carry
    /// the tokens, so a walk is index-only, and neither table has an index of one of those columns alone. That the masks
    /// cause no difference at the next start is Operations.the_schema_a_node_applied_needs_no_change_at_the_next_start.
    /// </summary>
    [Fact]
    public void the_walks_indexes_are_the_duplicated_columns_own()
    {
        var storage = ((DocumentStore)api.Store).Options.Storage;
        List<string> Btrees(Type document)
        {
            var table = Assert.Single(storage.FindFeature(document).Objects.OfType<Weasel.Postgresql.Tables.Table>());
            return table.Indexes.Select(index => index.ToDDL(table)).Where(ddl => ddl.Contains("btree", StringComparison.Ordinal)).ToList();
        }

        var walks = Btrees(typeof(CaseSearchEntry));
        var lists = Btrees(typeof(CaseDetails));
        Assert.Contains(walks, ddl => ddl.Contains("(opened_at, id) INCLUDE (tokens)", StringComparison.Ordinal));
        Assert.Contains(lists, ddl => ddl.Contains("(opened_at, id)", StringComparison.Ordinal));
        Assert.All(walks.Concat(lists), ddl => Assert.DoesNotMatch(@"btree \((opened_at|regency_code)\)", ddl));
        // The regency walks keep the names they had as indexes of their own, so a database that has them keeps them.
        Assert.Contains(walks, ddl => ddl.Contains("INDEX mt_doc_casesearchentry_idx_regency_codeopened_atid ON", StringComparison.Ordinal)
                                      && ddl.Contains("(regency_code, opened_at, id) INCLUDE (tokens)", StringComparison.Ordinal));
        Assert.Contains(lists, ddl => ddl.Contains("INDEX mt_doc_casedetails_idx_regency_codeopened_atid ON", StringComparison.Ordinal)
                                      && ddl.Contains("(regency_code, opened_at, id)", StringComparison.Ordinal));
    }

    /// <summary>
    /// A page that ends at the count's limit or past it takes its total from the walk when the walk finds more matches than
    /// the limit, and counts only otherwise (ADR 0056): whichever way, the total and the page are those of a count without
    /// a limit and a sort of every match, in the province and in one regency, over at least a hundred matches in Kaur.
    /// </summary>
    [Fact]
    public async Task a_deep_page_answers_as_a_whole_count_and_sort_would_whether_the_walk_or_the_count_gives_its_total()
    {
        var index = api.Host.Services.GetRequiredService<SearchIndex>();
        var random = new Random(56);
        for (var i = 0; i < 200; i++)
            await api.Host.IdentifyWorker(_kaur, Worker(Niks.Next(), i % 2 == 0 ? $"Siti {SyntheticPeople.CommonName(random)}" : SyntheticPeople.CommonName(random),
                SyntheticPeople.Village(random)));
        await using var session = api.Store.QuerySession();
        foreach (var (regencies, regencyTokens) in new[] { ((string[]?)null, (long[]?)null), (["17.04"], [index.RegencyToken("17.04")]) })
        {
            var words = SearchWords.OfQuery("siti");
            var search = new WorklistSearch(null, null, words, index.QueryTokens(words));
            // The truth: every match counted and sorted (a limit no search reaches).
            var all = await search.PageAsync(session, regencies, regencyTokens, null, 0, 100_000, 1_000_000, CancellationToken.None);
            Assert.True(all.Total > 60, $"{all.Total} matches");
            foreach (var (skip, take, limit) in new[] { (20, 10, 30), (25, 10, 30), (40, 20, 30), (50, 10, (int)all.Total), (0, 10, 5), (30, 10, 1_000) })
            {
                var page = await search.PageAsync(session, regencies, regencyTokens, null, skip, take, limit, CancellationToken.None);
                Assert.Equal(Math.Min(all.Total, limit + 1), page.Total);
                Assert.Equal(all.Ids.Skip(skip).Take(take), page.Ids);
            }
        }
    }
}

/// <summary>A search's words are personal data: no log line (at the most verbose level) and no span carries them.</summary>
[Collection(TelemetryCollection.Name)]
public class SearchTelemetry(TelemetryFixture telemetry)
{
    [Fact]
    public async Task a_search_leaves_its_words_in_no_log_entry_and_no_span()
    {
        var name = new string(Guid.NewGuid().ToString("N").Where(char.IsLetter).Concat("qwertyzx").Take(8).ToArray());
        var caseworker = telemetry.Token("caseworker", "17.04");
        var nik = Niks.Next();
        await telemetry.Host.IdentifyWorker(caseworker, new
        {
            nik, fullName = $"Siti {name}", regencyCode = "17.04", village = "Padang Petron", occupation = "farmer", source = "P3KE"
        });
        var trace = System.Diagnostics.ActivityTraceId.CreateRandom();
        var result = await telemetry.Host.Scenario(s =>
        {
            s.Get.Url($"/api/cases?q=Siti+{name}&pageSize=5");
            s.WithBearerToken(caseworker);
            s.WithRequestHeader("traceparent", $"00-{trace.ToHexString()}-{System.Diagnostics.ActivitySpanId.CreateRandom().ToHexString()}-01");
            s.StatusCodeShouldBeOk();
        });
        Assert.Single((await result.ReadAsJsonAsync<Paged<CaseDetails>>())!.Items);

        var spans = await telemetry.TraceOnceItHas(trace, s => s.Kind == System.Diagnostics.ActivityKind.Server);
        Assert.All(spans, s => Assert.DoesNotContain(name, string.Join(" ", s.TagObjects.Select(t => $"{t.Key}={t.Value}")
            .Concat(s.Events.SelectMany(e => e.Tags.Select(t => $"{t.Key}={t.Value}"))).Append(s.DisplayName)), StringComparison.OrdinalIgnoreCase));
        var entries = telemetry.Logs.Entries;
        Assert.Contains(entries, e => e.TraceIds.Contains(trace.ToHexString()) && e.Text.Contains("/api/cases"));
        Assert.All(entries, e => Assert.DoesNotContain(name, e.Text, StringComparison.OrdinalIgnoreCase));
    }
}
