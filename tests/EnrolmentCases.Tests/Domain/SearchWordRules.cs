using EnrolmentCases.Cases.Searching;

namespace EnrolmentCases.Tests.Domain;

public class SearchWordRules
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void words_are_lower_cased_without_diacritics_or_apostrophes_and_split_on_anything_else()
    {
        Assert.Equal(["siti", "maruf", "elok", "ab", "2"], SearchWords.Of("SITI Ma'ruf, Élok-ab 2"));
        Assert.Equal(["maruf", "elok"], SearchWords.OfQuery("Ma’ruf  elok ab maruf"));
    }

    [Fact]
    public void a_query_word_matches_a_word_it_begins_and_every_query_word_must_match()
    {
        Assert.True(SearchWords.Match(["sit", "padang"], "Siti Aminah", "Padang Petron"));
        Assert.False(SearchWords.Match(["iti"], "Siti Aminah", "Padang Petron"));
        Assert.False(SearchWords.Match(["siti", "bintuhan"], "Siti Aminah", "Padang Petron"));
    }

    [Fact]
    public void the_index_holds_a_token_for_every_prefix_a_query_may_name_and_no_other()
    {
        var tokens = SearchWords.IndexTokens(Key, "Siti Aminah", "Padang Petron").ToHashSet();
        // siti: sit, siti; aminah: ami .. aminah (4); padang 4; petron 4.
        Assert.Equal(14, tokens.Count);
        foreach (var query in new[] { "sit", "SITI", "amin", "Aminah", "pad", "petron" })
            Assert.Subset(tokens, SearchWords.QueryTokens(Key, SearchWords.OfQuery(query)).ToHashSet());
        foreach (var near in new[] { "sitti", "aminahs", "min", "petrom" })
            Assert.False(SearchWords.QueryTokens(Key, SearchWords.OfQuery(near)).ToHashSet().IsSubsetOf(tokens), near);
        // Exactly one token per prefix, each the token a query of that prefix looks for (the index reuses one keyed HMAC).
        var prefixes = new[] { "sit", "siti", "ami", "amin", "amina", "aminah", "pad", "pada", "padan", "padang", "pet", "petr", "petro", "petron" };
        Assert.Equal(SearchWords.QueryTokens(Key, prefixes), SearchWords.IndexTokens(Key, "Siti Aminah", "Padang Petron"));
        // Another key, other tokens.
        Assert.Empty(SearchWords.IndexTokens(Key.Reverse().ToArray(), "Siti Aminah", "Padang Petron").Intersect(tokens));
        Assert.True(SearchWords.IsNik("1704015408920003"));
        Assert.False(SearchWords.IsNik("170401540892000"));
    }

    [Fact]
    public void the_tokens_within_a_regency_are_one_per_prefix_belong_to_that_regency_alone_and_leave_the_plain_ones_as_they_were()
    {
        var texts = new[] { "Siti Aminah", "Padang Petron" };
        var (plain, kaur) = SearchWords.CaseTokens(Key, "17.04", texts);
        var (_, lebong) = SearchWords.CaseTokens(Key, "17.07", texts);
        // The plain tokens are those of an entry written before there were tokens within a regency.
        Assert.Equal(SearchWords.IndexTokens(Key, texts), plain);
        Assert.Equal(14, kaur!.Length);
        var prefixes = new[] { "sit", "siti", "ami", "amin", "amina", "aminah", "pad", "pada", "padan", "padang", "pet", "petr", "petro", "petron" };
        Assert.Equal(SearchWords.QueryTokens(Key, prefixes, "17.04"), kaur);
        // The same words in another regency, or on their own, are other tokens.
        Assert.Empty(kaur.Intersect(lebong!));
        Assert.Empty(kaur.Intersect(plain));
        Assert.Empty(kaur.Intersect([SearchWords.RegencyToken(Key, "17.04")]));
        Assert.Null(SearchWords.CaseTokens(Key, null, texts).InRegency);
    }

    [Fact]
    public void a_search_entrys_json_holds_no_token_and_reads_back_without_them()
    {
        var entry = new CaseSearchEntry(Guid.NewGuid(), [1, 2], DateTimeOffset.UnixEpoch, "17.04", [3, 4]);
        // The store's serializer, as EventStore configures it.
        var store = new Marten.StoreOptions();
        store.UseSystemTextJsonForSerialization(Weasel.Core.EnumStorage.AsString, Weasel.Core.Casing.CamelCase);
        var serializer = store.Serializer();
        var json = serializer.ToJson(entry);
        Assert.DoesNotContain("tokens", json, StringComparison.OrdinalIgnoreCase);
        var back = serializer.FromJson<CaseSearchEntry>(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal((entry.Id, entry.OpenedAt, entry.RegencyCode), (back.Id, back.OpenedAt, back.RegencyCode));
    }
}
