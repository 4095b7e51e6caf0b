using System.Security.Claims;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Lapses;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Regencies;
using JasperFx;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Cases.Identifying;

// Members are nullable so that a missing field reaches Validate and is reported by name.
public record IdentifyWorker(
    string? Nik,
    string? FullName,
    string? RegencyCode,
    string? Occupation,
    WorkerSource? Source,
    string? District = null,
    string? Village = null,
    string? Phone = null);

public static class IdentifyWorkerEndpoint
{
    public static ProblemDetails Validate(IdentifyWorker? command, ReferenceData reference, ClaimsPrincipal user)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        foreach (var problem in Nik.Problems(command.Nik, reference.NikProvinceCodes)) errors.Add("nik", problem);
        errors.Required("fullName", command.FullName);
        errors.MaxLength("fullName", command.FullName, 200);
        errors.Required("occupation", command.Occupation);
        errors.MaxLength("occupation", command.Occupation, 100);
        errors.MaxLength("district", command.District, 100);
        errors.MaxLength("village", command.Village, 100);
        if (command.Phone is { Length: > 0 } phone && !PhoneNumber.IsPlausible(phone))
            errors.Add("phone", "must be a phone number of 8-15 digits, optionally starting with +");
        errors.Required("source", command.Source);
        if (string.IsNullOrWhiteSpace(command.RegencyCode)) errors.Add("regencyCode", "is required");
        else if (reference.FindRegency(command.RegencyCode) is null)
            errors.Add("regencyCode", $"is not a regency of {reference.ProvinceName}");
        if (errors.Any) return errors.ToProblem();

        if (!Caller.From(user).CanChangeCasesOf(command.RegencyCode!))
            return Problems.Create(Problems.Forbidden, 403, "Not one of your regencies",
                $"You may only identify workers domiciled in your own regencies, not {command.RegencyCode}.");
        return WolverineContinue.NoProblems;
    }

    /// <summary>Pure: the event that opens a case. Attribution follows domicile (regencyCode), never the NIK prefix.</summary>
    public static WorkerIdentified Decide(IdentifyWorker command, Guid caseId, DateTimeOffset now) => new(
        caseId,
        command.Nik!,
        command.FullName!.Trim(),
        command.RegencyCode!,
        command.District?.Trim(),
        command.Village?.Trim(),
        command.Occupation!.Trim(),
        command.Phone is { Length: > 0 } phone ? PhoneNumber.Normalise(phone) : null,
        command.Source!.Value,
        now);

    [WolverinePost("/api/cases", Name = "IdentifyWorker"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(201)]
    [ProducesResponseType<ProblemDetails>(409, "application/problem+json")]
    public static async Task<IResult> Post(IdentifyWorker command, IDocumentStore store, HttpContext http, LapsePolicy calendar) =>
        await OpenAsync(store, CommandContext.From(http), command, calendar) switch
        {
            CommandOutcome.Accepted ok => CommandAccepted.Created(http, ok.Id, ok.Version),
            var refused => refused.ToHttpResult(http)
        };

    /// <summary>Opens the case, or refuses when the worker already has an open one.</summary>
    public static async Task<CommandOutcome> OpenAsync(IDocumentStore store, CommandContext context, IdentifyWorker command,
        LapsePolicy calendar)
    {
        var now = calendar.Now;
        var caseId = Guid.CreateVersion7(now);
        var events = StageChanges.Annotate(null, [Decide(command, caseId, now)], calendar, now);
        var nik = command.Nik!;

        // An explicit session: the duplicate check needs to see the commit fail and answer for it.
        await using var session = store.LightweightSession();
        session.Events.StartStream<Case>(caseId, events.ToArray());
        // The claim's primary key is the NIK: PostgreSQL lets exactly one open case hold it.
        session.Insert(new OpenCaseClaim(nik, caseId, command.RegencyCode!));
        context.Stamp(session);
        try
        {
            await session.SaveChangesAsync(context.Cancellation);
            return new CommandOutcome.Accepted(caseId, events.Count);
        }
        catch (DocumentAlreadyExistsException)
        {
            return new CommandOutcome.Refused(await OpenCaseClaim.DuplicateProblem(session, nik, context.Cancellation));
        }
    }
}
