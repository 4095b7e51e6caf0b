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

    private sealed record EntryPage(long Total, Guid[] Ids);

    /// <summary>
    /// The count and one page (newest first) of the index entries holding every token of the query, in one of the
    /// regencies (by their tokens; null: any). A single regency's token joins the query's, so the GIN index intersects
    /// them before a row is read. The matches are materialised first: with the opening-time order in the same
    /// statement the planner may walk every entry newest first looking for a rare word (ADR 22).
    /// </summary>
    public async Task<(long Total, IReadOnlyList<Guid> Ids)> PageAsync(IQuerySession session, long[]? regencyTokens, int skip, int take,
        CancellationToken ct)
    {
        var entries = session.DocumentStore.Options.Schema.For<CaseSearchEntry>();
        var (filter, parameters) = regencyTokens switch
        {
            [var one] => ("tokens @> ?", new object[] { Tokens.Append(one).ToArray() }),
            null => ("tokens @> ?", new object[] { Tokens }),
            _ => ("tokens @> ? and tokens && ?", new object[] { Tokens, regencyTokens })
        };
        var page = (await session.AdvancedSql.QueryAsync<EntryPage>(
            $"with m as materialized (select id, opened_at from {entries} where {filter}) " +
            "select json_build_object('total', (select count(*) from m), 'ids', coalesce((select json_agg(id) from " +
            "(select id from m order by opened_at desc, id desc limit ? offset ?) p), '[]'::json))",
            ct, [..parameters, take, skip])).Single();
        return (page.Total, page.Ids);
    }

    /// <summary>The cases whose index holds every token of the query (or whose subject is the NIK's), in the regencies.</summary>
    public IQueryable<CaseDetails> Narrow(IQueryable<CaseDetails> query, IQuerySession session, long[]? regencyTokens)
    {
        if (Subject is { } subject) return query.Where(c => c.Subject == subject);
        var entries = session.DocumentStore.Options.Schema.For<CaseSearchEntry>();
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
