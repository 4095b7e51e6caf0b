using System.Security.Cryptography;
using System.Text;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Targets;

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

    /// <summary>The target as known at an instant (null: as known now).</summary>
    public TargetVersion? AsKnownAt(DateTimeOffset? at) =>
        at is { } instant ? Versions.LastOrDefault(v => v.RecordedAt <= instant) : Versions.LastOrDefault();
}

public record SetTarget(long? EligibleWorkers, string? Source, string? Note = null);

public static class SetTargetEndpoint
{
    public static ProblemDetails Validate(string code, int year, SetTarget? command, ReferenceData reference)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        if (reference.FindRegency(code) is null) errors.Add("code", $"is not a regency of {reference.ProvinceName}");
        if (year is < 2000 or > 2100) errors.Add("year", "must be between 2000 and 2100");
        if (command.EligibleWorkers is not { } eligible) errors.Add("eligibleWorkers", "is required");
        else if (eligible is < 1 or > 100_000_000) errors.Add("eligibleWorkers", "must be a positive number of workers");
        errors.Required("source", command.Source);
        errors.MaxLength("source", command.Source, 300);
        errors.MaxLength("note", command.Note, 2000);
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    /// <summary>Sets (or revises) the target; every revision stays in the history.</summary>
    [WolverinePut("/api/regencies/{code}/targets/{year}", Name = "SetTarget"), Authorize(Roles = Roles.Planner)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static async Task<IResult> Put(string code, int year, SetTarget command, IDocumentStore store, HttpContext http,
        TimeProvider clock)
    {
        var (id, version) = await SetAsync(store, CommandContext.From(http), code, year, command, clock.GetUtcNow());
        return CommandAccepted.Ok(http, id, version);
    }

    public static async Task<(Guid Id, long Version)> SetAsync(IDocumentStore store, CommandContext context, string code,
        int year, SetTarget command, DateTimeOffset now)
    {
        var id = RegencyTarget.IdFor(code, year);
        var set = new TargetSet(code, year, command.EligibleWorkers!.Value, command.Source!.Trim(), command.Note, now);
        // Two planners revising the same target at once: both revisions are kept, in order.
        return (id, await StreamAppends.AppendAsync<RegencyTarget>(store, context, id, set, exclusive: false));
    }
}
