using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases.Worklist;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using Marten.Pagination;

namespace EnrolmentCases.Audit;

public static class GetAccessLogEndpoint
{
    public const int MaxPageSize = 200;
    public const int MaxUserLength = 200;

    /// <summary>
    /// Who read which cases' personal data, and when: newest first, paged, narrowed to a case, a user
    /// (their `sub`) and a period (read at or after `from`, before `to`). Reading it is itself recorded.
    /// </summary>
    [WolverineGet("/api/audit/access-log", OperationId = "GetAccessLog", Summary = "Who read personal data",
        Description = "Every response that carried a worker's NIK, name or phone, recorded as who read which cases when, through which route; newest first, paged. Filters: caseId, user (the reader's sub), from (inclusive) and to (exclusive).")]
    [Tags("Audit"), Authorize(Roles = Roles.Auditor)]
    [ProducesResponseType<Paged<AccessLogEntry>>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    public static async Task<IResult> Get(Guid? caseId, string? user, DateTimeOffset? from, DateTimeOffset? to, int? page, int? pageSize,
        IQuerySession session, PersonalDataReads reads, Now now, HttpContext http)
    {
        var pageNumber = page ?? 1;
        var size = pageSize ?? 50;
        var errors = new ValidationErrors();
        errors.Text("user", user, MaxUserLength);
        errors.Instant("from", from, now.Bounds);
        errors.Instant("to", to, now.Bounds);
        if (from > to) errors.Add("to", "must not be before from");
        errors.Page("page", pageNumber);
        if (size is < 1 or > MaxPageSize) errors.Add("pageSize", $"must be between 1 and {MaxPageSize}");
        if (errors.Any) return Results.Problem(errors.ToProblem());

        IQueryable<AccessLogEntry> query = session.Query<AccessLogEntry>();
        if (caseId is { } id) query = query.Where(e => e.CaseIds.Contains(id));
        if (!string.IsNullOrEmpty(user)) query = query.Where(e => e.UserId == user);
        if (from is { } start) query = query.Where(e => e.ReadAt >= start);
        if (to is { } end) query = query.Where(e => e.ReadAt < end);
        var items = await query.OrderByDescending(e => e.ReadAt).ThenByDescending(e => e.Id)
            .ToPagedListAsync(pageNumber, size, http.RequestAborted);

        // Reading who read a case is itself a read about that case.
        return await reads.Answer(http, caseId is { } c ? [c] : [],
            Results.Ok(new Paged<AccessLogEntry>(items.ToList(), items.TotalItemCount, pageNumber, size)),
            $"user={user} from={from:O} to={to:O} page={pageNumber} pageSize={size}");
    }
}
