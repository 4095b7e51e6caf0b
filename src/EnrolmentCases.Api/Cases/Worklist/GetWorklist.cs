using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Cases.Searching;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using Marten.Linq;
using Microsoft.Extensions.Options;
using System.Text.Json.Serialization;

namespace EnrolmentCases.Cases.Worklist;

public sealed record Paged<T>(IReadOnlyList<T> Items, long Total, int Page, int PageSize)
{
    /// <summary>
    /// True when the list stopped counting (the worklist, ADR 0039): there are more than `total` items. Absent when the total is exact.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool TotalCapped { get; init; }
}

public static class GetWorklistEndpoint
{
    public const int MaxPageSize = 200;

    /// <summary>
    /// Newest cases first, optionally narrowed to one regency and stage, and searched (q) by NIK or by words of
    /// the name or village. Caseworkers see only their own regencies; asking for another one yields an empty page
    /// rather than a hint that it exists.
    /// </summary>
    [WolverineGet("/api/cases", OperationId = "GetWorklist", Summary = "The worklist",
        Description = "Cases of your regencies, newest first, paged, optionally narrowed to a regency, a stage, (lapsingBefore) the active memberships that lapse after today and before that day unless a payment arrives, what the insurer's latest status file said (insurerStatus=active|inactive; drift=true for a report that disagreed with the case), and (q) a search: an exact NIK, or words each of which begins a word of the name or village (case-insensitive; words under 3 letters are ignored).")]
    [Tags("Cases"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<Paged<CaseDetails>>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(IQuerySession session, HttpContext http, LapsePolicy lapses, Now now, PersonalData privacy,
        string? regency, string? stage, int? page, int? pageSize, DateOnly? lapsingBefore, string? q, SearchIndex searchIndex,
        PersonalDataReads reads, string? insurerStatus, bool? drift, IOptions<WorklistOptions> options, SearchIndexRepair repair,
        ILogger<WorklistSearch> logger)
    {
        var errors = new ValidationErrors();
        CaseStage? wantedStage = null;
        if (!string.IsNullOrEmpty(stage))
        {
            wantedStage = Enum.GetValues<CaseStage>().Cast<CaseStage?>()
                .FirstOrDefault(s => s.ToString()!.Equals(stage, StringComparison.OrdinalIgnoreCase));
            if (wantedStage is null) errors.Add("stage", "must be one of identified, contacted, enrolled, subsidized, lapsed, closed");
        }

        MembershipStatus? insurer = insurerStatus?.ToLowerInvariant() switch
        {
            "active" => MembershipStatus.Active,
            "inactive" => MembershipStatus.Inactive,
            _ => null
        };
        if (!string.IsNullOrEmpty(insurerStatus) && insurer is null) errors.Add("insurerStatus", "must be active or inactive");

        var (pageNumber, size) = CheckPage(errors, page, pageSize, regency);
        errors.Date("lapsingBefore", lapsingBefore, now.Bounds);
        var search = WorklistSearch.From(errors, q, privacy, searchIndex);
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var ct = http.RequestAborted;
        var regencies = RegenciesOf(Caller.From(http.User), regency);
        // The regencies' search tokens: each index entry holds its case's.
        var regencyTokens = regencies?.Select(searchIndex.RegencyToken).ToArray();
        // Words in one regency: their tokens within it, once every entry holds such tokens (ADR 0053).
        var inRegency = search is { Nik: null } && regencies is [var only] && repair.Complete ? searchIndex.QueryTokens(search.Words, only) : null;
        var skip = (pageNumber - 1) * size;
        var wordsAlone = search is { Nik: null } && wantedStage is null && lapsingBefore is null && insurer is null && drift is null;
        var limit = wordsAlone ? options.Value.SearchCountLimit : options.Value.CountLimit;
        long total;
        IReadOnlyList<Guid> ids;
        if (wordsAlone)
        {
            // Words alone: filtered, counted, ordered and paged in the search index (ADR 0028).
            (total, ids) = await search!.PageAsync(session, regencies, regencyTokens, inRegency, skip, size, limit, ct, logger);
        }
        else
        {
            var query = InRegencies(session.Query<CaseDetails>(), regencies);
            if (wantedStage is { } s) query = query.Where(c => c.Stage == s);
            if (lapsingBefore is { } day) query = LapsingBetween(query, now.Today, day, lapses.GraceMonths);
            // What the insurer's latest report (Reconciliations) says about the membership, and whether it disagreed with ours.
            if (insurer is { } said) query = query.Where(c => c.InsurerStatus == said);
            if (drift is { } drifting) query = query.Where(c => c.InsurerDrifting == drifting);
            if (search is not null) query = search.Narrow(query, session, regencyTokens, inRegency);

            // Columns and indexes (ADR 0028): the count reads the index up to the limit (ADR 0039), the page one range of
            // it, newest first; the page's views are loaded after.
            total = await CountUpToAsync(session, query, limit, ct);
            ids = await query.OrderByDescending(c => c.OpenedAt).ThenByDescending(c => c.Id).Select(c => c.Id).Skip(skip).Take(size).ToListAsync(ct);
        }

        var views = (await session.LoadManyAsync<CaseDetails>(http.RequestAborted, ids)).ToDictionary(c => c.Id);
        var items = ids.Where(views.ContainsKey).Select(id => views[id]).ToList();
        var keys = await privacy.KeyringAsync(session, items.Select(c => c.Subject), http.RequestAborted);
        var shown = items.Select(c => c.Revealed(keys).AsOn(now.Today, lapses.GraceMonths)).ToList();
        // A search's index narrows up to a hash collision; what the decrypted case does not match is left out.
        if (search is not null)
        {
            var matching = shown.Where(search.Matches).ToList();
            total -= shown.Count - matching.Count;
            shown = matching;
        }

        // Past the limit the count stopped: total says "at least this many" (ADR 0039).
        var capped = total > limit;
        var answer = new Paged<CaseDetails>(shown, capped ? limit : total, pageNumber, size) { TotalCapped = capped };
        return await reads.Answer(http, shown.Select(c => c.Id), Results.Ok(answer),
            $"regency={regency} stage={wantedStage} page={pageNumber} pageSize={size} insurerStatus={insurer} drift={drift}{(search is null ? "" : " " + search.Detail)}");
    }

    /// <summary>
    /// The number of matches, counted up to one past the limit: `select count(*) from (the query's ids limit n + 1)` reads at
    /// most that many index entries however many cases match.
    /// </summary>
    public static async Task<long> CountUpToAsync(IQuerySession session, IQueryable<CaseDetails> query, int limit, CancellationToken ct)
    {
        var command = query.Select(c => c.Id).Take(limit + 1).ToCommand(FetchType.FetchMany);
        command.CommandText = $"select count(*) from ({command.CommandText.TrimEnd().TrimEnd(';')}) up_to_limit";
        await using var reader = await session.ExecuteReaderAsync(command, ct);
        return await reader.ReadAsync(ct) ? reader.GetInt64(0) : 0;
    }

    /// <summary>The page asked for, checked the way every case list checks it (the regency filter with it).</summary>
    public static (int Page, int PageSize) CheckPage(ValidationErrors errors, int? page, int? pageSize, string? regency)
    {
        var (pageNumber, size) = (page ?? 1, pageSize ?? 50);
        errors.Page("page", pageNumber);
        errors.Text("regency", regency, 10);
        if (size is < 1 or > MaxPageSize) errors.Add("pageSize", $"must be between 1 and {MaxPageSize}");
        return (pageNumber, size);
    }

    /// <summary>The case views a caller may list: all for auditors, their own regencies for caseworkers; narrowed to a regency if asked.</summary>
    public static IQueryable<CaseDetails> VisibleTo(IQuerySession session, Caller caller, string? regency) =>
        InRegencies(session.Query<CaseDetails>(), RegenciesOf(caller, regency));

    /// <summary>The regencies a caller may list, narrowed to one if asked: null for every regency (auditors), none when none.</summary>
    public static string[]? RegenciesOf(Caller caller, string? regency)
    {
        if (caller.Has(Roles.Auditor)) return string.IsNullOrEmpty(regency) ? null : [regency];
        var visible = caller.Regencies.ToArray();
        return string.IsNullOrEmpty(regency) ? visible : visible.Contains(regency) ? [regency] : [];
    }

    /// <summary>One regency as an equality, so the planner walks one range of the (regency, opened at, id) index in order.</summary>
    private static IQueryable<CaseDetails> InRegencies(IQueryable<CaseDetails> query, string[]? regencies) => regencies switch
    {
        null => query,
        [var one] => query.Where(c => c.RegencyCode == one),
        _ => query.Where(c => regencies.Contains(c.RegencyCode))
    };

    /// <summary>Active memberships whose lapse day, counted from their settled month, is after today and before the day.</summary>
    public static IQueryable<CaseDetails> LapsingBetween(IQueryable<CaseDetails> query, DateOnly today, DateOnly before, int graceMonths)
    {
        var (from, to) = LapseRule.SettledBetween(today, before, graceMonths);
        return query.Where(c => (c.Stage == CaseStage.Enrolled || c.Stage == CaseStage.Subsidized)
                                && c.SettledThroughIndex >= from && c.SettledThroughIndex <= to);
    }
}
