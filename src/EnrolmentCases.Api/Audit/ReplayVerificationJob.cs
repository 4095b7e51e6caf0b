using System.Security.Claims;
using System.Text.Json.Serialization;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Audit;

public enum ReplayJobStatus
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed
}

/// <summary>One replay verification, as its requester follows it; the results once it has completed.</summary>
public sealed class ReplayVerificationJob
{
    public Guid Id { get; set; }
    public ReplayJobStatus Status { get; set; }
    public string RequestedBy { get; set; } = "";
    public DateTimeOffset RequestedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public bool? Valid { get; set; }
    public long? EventsReplayed { get; set; }
    public IReadOnlyList<ReadModelComparison>? ReadModels { get; set; }

    /// <summary>Why a failed job failed.</summary>
    public string? Reason { get; set; }

    public void Complete(ReplayReport report, DateTimeOffset at)
    {
        Status = ReplayJobStatus.Completed;
        Valid = report.Valid;
        EventsReplayed = report.EventsReplayed;
        ReadModels = report.ReadModels;
        FinishedAt = at;
    }

    public void Fail(string reason, DateTimeOffset at)
    {
        Status = ReplayJobStatus.Failed;
        Reason = reason;
        FinishedAt = at;
    }
}

/// <summary>
/// The one place a queued or running verification holds: its fixed id lets PostgreSQL's primary key
/// admit one job at a time, also when requests race on several API processes. Taken in the same
/// transaction that stores a new job, given up in the one that finishes it.
/// </summary>
public sealed class ReplayVerificationSlot
{
    public const string Taken = "replay-verification";

    public string Id { get; set; } = Taken;
    public Guid JobId { get; set; }
}

public static class ReplayVerificationEndpoints
{
    public const string Route = "/api/audit/replay-verification";

    [WolverinePost(Route, OperationId = "StartReplayVerification", Summary = "Verify the read models",
        Description = "Starts a job that copies the events into a scratch schema, rebuilds every read model there and compares it, row by row, with the live one. Answers 202 with the job and its Location; follow it with GET until it is completed or failed. One runs at a time: while one is queued or running, job-running names it.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType<ReplayVerificationJob>(202)]
    [ProducesResponseType<ProblemDetails>(409, "application/problem+json")]
    public static async Task<IResult> Post(ReplayVerificationJobs jobs, ClaimsPrincipal user, CancellationToken ct)
    {
        var (job, running) = await jobs.StartAsync(Caller.From(user).Id, ct);
        return job is not null
            ? Results.Accepted($"{Route}/{job.Id}", job)
            : Results.Problem(Problems.Create(Problems.JobRunning, 409, "A replay verification is already running",
                $"Job {running} has not finished; follow it at {Route}/{running} and start another once it has.",
                new Dictionary<string, object?> { ["jobId"] = running }));
    }

    [WolverineGet(Route + "/{id}", OperationId = "GetReplayVerification", Summary = "Follow a replay verification",
        Description = "The job's status (queued, running, completed or failed); once completed, whether every read model matches the replay, how many events were replayed and, per read model, the rows compared and the first differing ids; once failed, the reason.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Auditor},{Roles.Admin}")]
    [ProducesResponseType<ReplayVerificationJob>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, IQuerySession session, CancellationToken ct) =>
        await session.LoadAsync<ReplayVerificationJob>(id, ct) is { } job
            ? Results.Ok(job)
            : Results.Problem(Problems.Create(Problems.NotFound, 404, "Replay verification not found", $"No replay verification {id}."));
}
