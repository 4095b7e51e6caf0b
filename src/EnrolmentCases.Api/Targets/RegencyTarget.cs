using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Targets;

/// <summary>The denominator of a coverage figure: eligible workers, where the figure came from, for which year.</summary>
public sealed record CoverageTarget(long EligibleWorkers, string Source, int Year);

/// <summary>A planner set how many workers in a regency are eligible in a year: the coverage denominator.</summary>
public record TargetSet(string RegencyCode, int Year, long EligibleWorkers, string Source, string? Note, DateTimeOffset RecordedAt);

public sealed record TargetVersion(DateTimeOffset RecordedAt, long EligibleWorkers, string Source);

/// <summary>One stream per regency and year; the snapshot keeps every version so past figures keep their denominator.</summary>
public class RegencyTarget
{
    public Guid Id { get; set; }
    public string RegencyCode { get; set; } = "";
    public int Year { get; set; }
    public List<TargetVersion> Versions { get; set; } = [];

    public static Guid IdFor(string regencyCode, int year) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"target|{regencyCode}|{year}")).AsSpan(0, 16));

    public static RegencyTarget Create(TargetSet e) => new()
    {
        RegencyCode = e.RegencyCode,
        Year = e.Year,
        Versions = [new TargetVersion(e.RecordedAt, e.EligibleWorkers, e.Source)]
    };

    public void Apply(TargetSet e) => Versions.Add(new TargetVersion(e.RecordedAt, e.EligibleWorkers, e.Source));

    public static async Task<Dictionary<string, RegencyTarget>> ForYearAsync(IQuerySession session, int year, CancellationToken ct) =>
        (await session.Query<RegencyTarget>().Where(t => t.Year == year).ToListAsync(ct)).ToDictionary(t => t.RegencyCode);

    /// <summary>The target as known at an instant (null: as known now).</summary>
    public TargetVersion? AsKnownAt(DateTimeOffset? at) =>
        at is { } instant ? Versions.LastOrDefault(v => v.RecordedAt <= instant) : Versions.LastOrDefault();
}

public record SetTarget(long? EligibleWorkers, string? Source, string? Note = null);

public static class SetTargetEndpoint
{
    public static ProblemDetails Validate(string code, int year, SetTarget? command, ReferenceData reference, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        if (reference.FindRegency(code) is null) errors.Add("code", $"is not a regency of {reference.ProvinceName}");
        errors.Year("year", year, now.Bounds);
        if (c.EligibleWorkers is not { } eligible) errors.Add("eligibleWorkers", "is required");
        else if (eligible is < 1 or > 100_000_000) errors.Add("eligibleWorkers", "must be a positive number of workers");
        errors.Required("source", c.Source);
        errors.Text("source", c.Source, 300);
        errors.Text("note", c.Note, 2000, multiline: true);
    });

    /// <summary>
    /// Who may set it: a province planner (no `regency` claims) for any regency; a regency's planner
    /// for its own regencies only (403, nothing written). An unknown regency is the input rules' to report.
    /// </summary>
    public static ProblemDetails Before(string code, ClaimsPrincipal user, ReferenceData reference) =>
        reference.FindRegency(code) is null || Caller.From(user).CanPlanFor(code)
            ? WolverineContinue.NoProblems
            : Problems.Create(Problems.Forbidden, 403, "Not one of your regencies",
                $"You may only set targets for your own regencies, not {code}.");

    /// <summary>Sets (or revises) the target; every revision stays in the history, in order.</summary>
    [WolverinePut("/api/regencies/{code}/targets/{year}", OperationId = "SetTarget", Summary = "Set a coverage target",
        Description = "Sets or revises the number of eligible workers of a regency for a year, with its source: the denominator of coverage. Every revision is kept.")]
    [Tags("Coverage and targets"), Authorize(Roles = Roles.Planner)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static async Task<IResult> Put(string code, int year, SetTarget command, IDocumentSession session, Now now,
        CancellationToken ct)
    {
        var id = RegencyTarget.IdFor(code, year);
        var target = await session.Events.FetchForExclusiveWriting<RegencyTarget>(id, ct);
        target.AppendOne(new TargetSet(code, year, command.EligibleWorkers!.Value, command.Source!.Trim(), command.Note, now.Instant));
        return new CommandAnswer(id, target.CurrentVersion ?? 1);
    }
}
