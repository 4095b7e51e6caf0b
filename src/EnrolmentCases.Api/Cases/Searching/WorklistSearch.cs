using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using Marten.Linq.MatchesSql;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// The worklist's q: a NIK, found exactly through the subject id every case view carries, or words, each of
/// which must begin a word of the name or the village. The database narrows by the index; the page's cases are
/// then decrypted and checked, so a hash collision never shows a case that does not match.
/// </summary>
public sealed record WorklistSearch(string? Nik, string? Subject, IReadOnlyCollection<string> Words, long[] Tokens)
{
    public const int MaxLength = 100;

    /// <summary>The search q asks for; null when there is none. Bad queries add to the errors.</summary>
    public static WorklistSearch? From(ValidationErrors errors, string? q, PersonalData privacy, SearchIndex index)
    {
        errors.Text("q", q, MaxLength);
        var text = q?.Trim();
        if (string.IsNullOrEmpty(text)) return null;
        if (SearchWords.IsNik(text)) return new WorklistSearch(text, privacy.SubjectOf(text), [], []);

        var words = SearchWords.OfQuery(text);
        if (words.Length == 0)
            errors.Add("q", $"must be a NIK (16 digits) or hold a word of at least {SearchWords.MinLength} letters of a name or village");
        if (words.Length > SearchWords.MaxQueryWords) errors.Add("q", $"may hold at most {SearchWords.MaxQueryWords} words");
        return new WorklistSearch(null, null, words, index.QueryTokens(words));
    }

    private sealed record EntryPage(long Total, Guid[] Counted, Guid[] Walked, long Generation = 0, bool Hinted = false);

    /// <summary>A walk newest first reads this many entries per case of the page: a word in 1 case of 20 fills it.</summary>
    public const int WalkPerCase = 20;

    /// <summary>The most entries a bounded walk reads.</summary>
    public const int MaxWalk = 20_000;

    /// <summary>
    /// The count, up to one past the limit, and one page (newest first) of the index entries holding every token of the
    /// query, in one of the regencies (by their tokens; null: any). A single regency's token joins the query's, so the GIN
    /// index intersects them before a row is read. One statement does both bounded ways (ADR 0039): it materialises at
    /// most limit + 1 matches, counts them and, when that is all of them, sorts the page out of them (a rare word); and it
    /// walks the newest (skip + take) x 20 entries (at most 20,000) and keeps the matches among them, which are the newest
    /// matches of all, so a full page from them is the page (a common word). On a page that ends at the limit or past it,
    /// when the walk alone finds more than the limit, that is the total, and the count is not made: a deep page of a common
    /// word then reads its entries once, not twice (ADR 0056). Only a word past the limit that is rarer than
    /// 1 in 20 among the newest entries, or a deep page of one, takes a second statement: the whole ordered walk. The
    /// order is never in the same block as the filter: the planner would walk every entry newest first looking for a rare
    /// word (ADR 22).
    /// </summary>
    /// <remarks>
    /// One regency's walk reads that regency's newest entries by the (regency_code, opened_at) index (ADR 0042), so a
    /// caseworker's common word fills its page from them as an auditor's does from the province's.
    /// </remarks>
    /// <remarks>
    /// With <paramref name="inRegency"/> (the query's tokens within the one regency, given once every entry holds them), the
    /// count and the ordered page find the matches through those tokens' own index: a common word's posting list there is the
    /// regency's, not the province's intersected with the whole regency's (ADR 0053). The walk keeps the plain tokens, which
    /// its index carries.
    /// </remarks>
    public async Task<(long Total, IReadOnlyList<Guid> Ids)> PageAsync(IQuerySession session, IReadOnlyList<string>? regencies,
        long[]? regencyTokens, long[]? inRegency, int skip, int take, int limit, CancellationToken ct, ILogger? logger = null)
    {
        var entries = session.DocumentStore.Options.Schema.For<CaseSearchEntry>();
        var ((plain, plainParameters), (filter, parameters)) = Filters(regencyTokens, inRegency);
        var walk = (int)Math.Min(MaxWalk, (long)(skip + take) * WalkPerCase);
        var (walked, walkParameters) = regencies is [var regency]
            ? ("where regency_code = ? ", new object[] { regency })
            : ("", []);
        // A count past the limit is remembered at the search index's generation, and not made again while it stands (ADR 0062).
        var key = CountKey(regencyTokens, inRegency, limit);
        var (hintRead, hintReadParameters) = SearchCountHints.Read(session, key, regencies);
        var remembered = "'generation', (select value from gen), 'hinted', (select yes from hinted), ";
        var count = $"with {hintRead}, m as materialized (select id, opened_at from {entries} where {filter} limit ?) ";
        var walkedMatches = $"select id, opened_at from (select id, opened_at, tokens from {entries} {walked}order by opened_at desc, id desc limit ?) w where {plain}";
        var pageOf = "order by opened_at desc, id desc limit ? offset ?) p), '[]'::json)";
        // The page out of the counted matches, needed only when they are all the matches (a rare word).
        var counted = $"'counted', case when (select n from t) > ? then '[]'::json else coalesce((select json_agg(id) from (select id from m {pageOf} end, ";
        // A page that ends at the limit or past it needs about as many of the walk's matches anyway: its walk keeps up to
        // limit + 1 of them (or the page's end), and when it finds more than the limit, so is the total, and the count never
        // runs (PostgreSQL evaluates a sub-select only when its branch is taken): a deep page of a common word reads its
        // entries once, not twice (ADR 0056). A shallower page keeps the form that always counts (unless remembered): the
        // two forms in one prepared statement made PostgreSQL choose, after a few deep pages, a generic plan that counted a
        // common word of a first page through its whole posting list (88 ms instead of 18).
        var page = skip + take >= limit
            ? (await session.AdvancedSql.QueryAsync<EntryPage>(
                count + $", w as materialized ({walkedMatches} order by opened_at desc, id desc limit ?), " +
                "t as (select case when (select count(*) from w) > ? then ? when (select yes from hinted) then ? else (select count(*) from m) end as n) " +
                "select json_build_object('total', (select n from t), " + remembered + counted +
                $"'walked', coalesce((select json_agg(id) from (select id from w {pageOf})",
                ct, [..hintReadParameters, ..parameters, limit + 1, ..walkParameters, walk, ..plainParameters, Math.Max(limit + 1, skip + take),
                    limit, limit + 1, limit + 1, limit, take, skip, take, skip])).Single()
            : (await session.AdvancedSql.QueryAsync<EntryPage>(
                count + ", t as (select case when (select yes from hinted) then ? else (select count(*) from m) end as n) " +
                "select json_build_object('total', (select n from t), " + remembered + counted +
                $"'walked', coalesce((select json_agg(id) from ({walkedMatches} {pageOf})",
                ct, [..hintReadParameters, ..parameters, limit + 1, limit + 1, limit, take, skip, ..walkParameters, walk,
                    ..plainParameters, take, skip])).Single();
        // Past the limit, and not from a hint: remembered, in a statement of its own (ADR 0062).
        if (page.Total > limit && !page.Hinted) await SearchCountHints.NoteAsync(session, key, page.Generation, logger, ct);
        if (page.Total <= limit) return (page.Total, page.Counted);
        if (page.Walked.Length == take) return (page.Total, page.Walked);

        var ordered = (await session.AdvancedSql.QueryAsync<EntryPage>(
            "select json_build_object('total', 0, 'counted', '[]'::json, 'walked', coalesce((select json_agg(id) from " +
            $"(select id from {entries} where {filter} order by opened_at desc, id desc limit ? offset ?) p), '[]'::json))",
            ct, [..parameters, take, skip])).Single();
        return (page.Total, ordered.Walked);
    }

    /// <summary>
    /// The entries' filter by the plain tokens (the walk's), and the count's: the tokens within the one regency when given.
    /// </summary>
    private ((string Sql, object[] Parameters) Plain, (string Sql, object[] Parameters) Count) Filters(long[]? regencyTokens, long[]? inRegency)
    {
        (string, object[]) plain = regencyTokens switch
        {
            [var one] => ("tokens @> ?", [Tokens.Append(one).ToArray()]),
            null => ("tokens @> ?", [Tokens]),
            _ => ("tokens @> ? and tokens && ?", [Tokens, regencyTokens])
        };
        return (plain, inRegency is null ? plain : ("tokens_in_regency @> ?", [inRegency]));
    }

    /// <summary>The id of the hint that remembers this search's count past the limit (ADR 0062).</summary>
    public string CountKey(long[]? regencyTokens, long[]? inRegency, int limit)
    {
        var (_, (filter, parameters)) = Filters(regencyTokens, inRegency);
        return SearchCountHints.KeyOf(filter, parameters, limit);
    }

    /// <summary>The cases whose index holds every token of the query (or whose subject is the NIK's), in the regencies.</summary>
    public IQueryable<CaseDetails> Narrow(IQueryable<CaseDetails> query, IQuerySession session, long[]? regencyTokens, long[]? inRegency)
    {
        if (Subject is { } subject) return query.Where(c => c.Subject == subject);
        var entries = session.DocumentStore.Options.Schema.For<CaseSearchEntry>();
        if (inRegency is not null)
            return query.Where(c => c.MatchesSql($"d.id = any(array(select id from {entries} where tokens_in_regency @> ?))", inRegency));
        var tokens = regencyTokens is [var one] ? Tokens.Append(one).ToArray() : Tokens;
        // An array from a subquery is computed once, through the GIN index, whatever the planner guesses about
        // the tokens' frequency: a semi-join let it walk the newest-first index over every case for a rare word.
        return regencyTokens is { Length: > 1 }
            ? query.Where(c => c.MatchesSql($"d.id = any(array(select id from {entries} where tokens @> ? and tokens && ?))", tokens, regencyTokens))
            : query.Where(c => c.MatchesSql($"d.id = any(array(select id from {entries} where tokens @> ?))", tokens));
    }

    /// <summary>Does the case, decrypted, match? Erased cases never do.</summary>
    public bool Matches(CaseDetails revealed) =>
        !revealed.Erased && (Nik is { } nik ? revealed.Nik == nik : SearchWords.Match(Words, revealed.FullName, revealed.Village));

    /// <summary>What the access log records of the search: its kind, never the query.</summary>
    public string Detail => Nik is not null ? "search=nik" : $"search=words({Words.Count})";
}
