using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using Wolverine.Marten;

namespace EnrolmentCases.Cases.Correcting;

/// <summary>Only the fields given change. The NIK is not correctable: close the case as duplicate and open another.</summary>
public record CorrectWorkerDetails(
    string? FullName = null,
    string? Phone = null,
    string? District = null,
    string? Village = null,
    string? Occupation = null,
    string? Reason = null,
    long? ExpectedVersion = null) : IExpectVersion;

public static class CorrectWorkerDetailsEndpoint
{
    /// <summary>Each field by the rules of identifying a worker; at least one of them, and why.</summary>
    public static ProblemDetails Validate(CorrectWorkerDetails? command) => ValidationErrors.Check(command, (c, errors) =>
    {
        if (c is { FullName: null, Phone: null, District: null, Village: null, Occupation: null })
            errors.Add("body", "give at least one of fullName, phone, district, village, occupation");
        if (c.FullName is not null) errors.Required("fullName", c.FullName);
        errors.Text("fullName", c.FullName, 200);
        if (c.Occupation is not null) errors.Required("occupation", c.Occupation);
        errors.Text("occupation", c.Occupation, 100);
        if (c.District is not null) errors.Required("district", c.District);
        errors.Text("district", c.District, 100);
        if (c.Village is not null) errors.Required("village", c.Village);
        errors.Text("village", c.Village, 100);
        if (c.Phone is not null && !PhoneNumber.IsPlausible(c.Phone))
            errors.Add("phone", "must be a phone number of 8-15 digits, optionally starting with +");
        errors.Required("reason", c.Reason);
        errors.Text("reason", c.Reason, 2000, multiline: true);
    });

    /// <summary>Pure: the correction, its personal fields sealed under the key the case was opened with; none once that key was erased.</summary>
    public static Decision Decide(Case current, CorrectWorkerDetails command, PersonSeal? person, DateTimeOffset now) =>
        person is null
            ? Decision.Refuse(Problems.Create(Problems.InvalidTransition, 409, "The worker's personal data was erased",
                "A lawful erasure order removed this worker's personal data; there is nothing left to correct.",
                new Dictionary<string, object?> { ["stage"] = current.Stage }))
            : Decision.Record(new WorkerDetailsCorrected(
                person.SealOptional(PersonalField.FullName, command.FullName?.Trim()),
                person.SealOptional(PersonalField.Phone, command.Phone is { } phone ? PhoneNumber.Normalise(phone) : null),
                person.SealOptional(PersonalField.District, command.District?.Trim()),
                person.SealOptional(PersonalField.Village, command.Village?.Trim()),
                command.Occupation?.Trim(),
                command.Reason!.Trim(),
                now));

    [WolverinePost("/api/cases/{id}/corrections", OperationId = "CorrectWorkerDetails", Summary = "Correct a worker's details",
        Description = "Corrects the worker's name, phone, district, village or occupation (only the fields given), with the reason; the history keeps what was corrected, by whom and why. The NIK cannot be corrected: close the case as duplicate and open a new one.")]
    [Tags("Cases"), Authorize(Roles = Roles.Caseworker)]
    public static async Task<(IResult, Events)> Post(CorrectWorkerDetails command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses, PersonalData privacy, IDocumentSession session, CancellationToken ct)
    {
        var person = (await privacy.KeyringAsync(session, [@case.Subject], ct)).For(@case.Subject, @case.KeyId);
        var decision = lapses.Due(@case, now).Then(@case, current => Decide(current, command, person, now.Instant));
        return StageChanges.Annotate(@case, decision, now).Answer(@case);
    }
}
