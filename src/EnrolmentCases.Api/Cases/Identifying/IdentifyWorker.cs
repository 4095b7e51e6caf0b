using System.Security.Claims;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using Wolverine.Marten;
using JasperFx;

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
    public static ProblemDetails Validate(IdentifyWorker? command, ReferenceData reference) => ValidationErrors.Check(command, (c, errors) =>
    {
        foreach (var problem in Nik.Problems(c.Nik, reference.NikProvinceCodes)) errors.Add("nik", problem);
        errors.Required("fullName", c.FullName);
        errors.Text("fullName", c.FullName, 200);
        errors.Required("occupation", c.Occupation);
        errors.Text("occupation", c.Occupation, 100);
        errors.Text("district", c.District, 100);
        errors.Text("village", c.Village, 100);
        if (c.Phone is { Length: > 0 } phone && !PhoneNumber.IsPlausible(phone))
            errors.Add("phone", "must be a phone number of 8-15 digits, optionally starting with +");
        errors.Required("source", c.Source);
        errors.Text("regencyCode", c.RegencyCode, 10);
        if (string.IsNullOrWhiteSpace(c.RegencyCode)) errors.Add("regencyCode", "is required");
        else if (reference.FindRegency(c.RegencyCode) is null) errors.Add("regencyCode", $"is not a regency of {reference.ProvinceName}");
    });

    /// <summary>
    /// Who may open the case: a caseworker of the worker's regency of domicile (403 otherwise). An
    /// unknown or missing regency is the input rules' to report.
    /// </summary>
    public static ProblemDetails Before(IdentifyWorker? command, ClaimsPrincipal user, ReferenceData reference) =>
        reference.FindRegency(command?.RegencyCode) is null || Caller.From(user).CanChangeCasesOf(command!.RegencyCode!)
            ? WolverineContinue.NoProblems
            : Problems.Create(Problems.Forbidden, 403, "Not one of your regencies",
                $"You may only identify workers domiciled in your own regencies, not {command.RegencyCode}.");

    /// <summary>
    /// Pure: the event that opens a case, its personal fields sealed under the person's key.
    /// Attribution follows domicile (regencyCode), never the NIK prefix.
    /// </summary>
    public static WorkerIdentified Decide(IdentifyWorker command, Guid caseId, DateTimeOffset now, PersonSeal person) => new(
        caseId,
        person.Seal(PersonalField.Nik, command.Nik!),
        person.Seal(PersonalField.FullName, command.FullName!.Trim()),
        command.RegencyCode!,
        person.SealOptional(PersonalField.District, command.District?.Trim()),
        person.SealOptional(PersonalField.Village, command.Village?.Trim()),
        command.Occupation!.Trim(),
        person.SealOptional(PersonalField.Phone, command.Phone is { Length: > 0 } phone ? PhoneNumber.Normalise(phone) : null),
        command.Source!.Value,
        now,
        person.Subject,
        person.KeyId);

    [WolverinePost("/api/cases", OperationId = "IdentifyWorker", Summary = "Identify a worker",
        Description = "Opens a case for a worker found on a list (P3KE, DTSEN, a village list, a partner list) or in the field. The NIK must be valid and the worker domiciled in one of your regencies; a worker may have only one open case, so a second one is refused with duplicate-case, naming the first when you may see it. Answers 201 with the case id, its version and its Location.")]
    [Tags("Cases"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(201)]
    [ProducesResponseType<ProblemDetails>(409, "application/problem+json")]
    public static async Task<(IResult, IStartStream, IMartenOp, IMartenOp)> Post(IdentifyWorker command, Now now, PersonalData privacy,
        IDocumentSession session, CancellationToken ct)
    {
        var caseId = Guid.CreateVersion7(now.Instant);
        var subject = privacy.SubjectOf(command.Nik!);
        // The key is looked up inside the command's transaction, as commands on a case load it: a database
        // outage then fails the request with 503 at once instead of being retried as a plain read would be.
        await session.BeginTransactionAsync(ct);
        var (seals, newKeys) = await privacy.SealsForAsync(session, [subject], now.Instant, ct);
        var (stream, claim) = Open(command, caseId, now, seals[subject]);
        // A person's first case brings their data key, in the same transaction as the events sealed under it.
        // Stored, not inserted: when two first identifications race, the claim alone refuses the second, and
        // its rollback takes back its key too (two failed inserts would surface as one AggregateException).
        return (CommandAnswer.Created(caseId, stream.Events.Count, $"/api/cases/{caseId}"), stream, claim,
            newKeys is [var key] ? MartenOps.Store(key) : MartenOps.Nothing());
    }

    /// <summary>
    /// What opening a case writes: its stream, and the claim on the NIK's subject id whose primary key
    /// lets PostgreSQL admit exactly one open case per worker. Imports open their cases through it too.
    /// </summary>
    public static (IStartStream Stream, IMartenOp Claim) Open(IdentifyWorker command, Guid caseId, Now now, PersonSeal person)
    {
        var events = StageChanges.Annotate(null, CaseStages.None, [Decide(command, caseId, now.Instant, person)], now.Calendar, now.Instant);
        return (MartenOps.StartStream<Case>(caseId, events.ToArray()),
            MartenOps.Insert(new OpenCaseClaim(person.Subject, caseId, command.RegencyCode!)));
    }

    /// <summary>The worker already has an open case: the commit failed on the claim, and nothing was written.</summary>
    public static async Task<ProblemDetails> OnExceptionAsync(DocumentAlreadyExistsException e, IdentifyWorker command,
        IDocumentStore store, PersonalData privacy, HttpResponse response)
    {
        response.Headers.Remove("Location");
        return await OpenCaseClaim.DuplicateProblemAsync(store, privacy.SubjectOf(command.Nik!), Caller.From(response.HttpContext.User));
    }
}
