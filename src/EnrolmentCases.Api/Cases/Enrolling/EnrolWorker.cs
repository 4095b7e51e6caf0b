using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Cases.Enrolling;

public record EnrolWorker(
    string? MembershipNumber,
    Programme[]? Programmes,
    long? DeclaredMonthlyIncome,
    DateOnly? EffectiveDate,
    long? ExpectedVersion = null);

public static class EnrolWorkerEndpoint
{
    public static ProblemDetails Validate(EnrolWorker? command, TimeProvider clock)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        // KPJ: 11 digits by practitioners' convention; no official check digit is published.
        if (string.IsNullOrWhiteSpace(command.MembershipNumber)) errors.Add("membershipNumber", "is required");
        else if (command.MembershipNumber.Length != 11 || !command.MembershipNumber.All(char.IsAsciiDigit))
            errors.Add("membershipNumber", "must be the 11-digit KPJ number");

        if (command.Programmes is not { Length: > 0 }) errors.Add("programmes", "is required");
        else if (!command.Programmes.Contains(Programme.Jkk) || !command.Programmes.Contains(Programme.Jkm))
            errors.Add("programmes", "must include JKK and JKM");
        else if (command.Programmes.Distinct().Count() != command.Programmes.Length)
            errors.Add("programmes", "must not repeat a programme");

        if (command.DeclaredMonthlyIncome is null) errors.Add("declaredMonthlyIncome", "is required");
        else if (command.DeclaredMonthlyIncome <= 0) errors.Add("declaredMonthlyIncome", "must be a positive amount in rupiah");

        if (command.EffectiveDate is null) errors.Add("effectiveDate", "is required");
        else if (command.EffectiveDate > DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddDays(31))
            errors.Add("effectiveDate", "must not be more than a month ahead");
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    public static object[] Decide(Case current, EnrolWorker command, DateTimeOffset now)
    {
        if (current.Stage != CaseStage.Contacted)
            throw new InvalidTransition(current.Stage, $"Only a contacted worker can be enrolled; this case is {current.Stage.ToString().ToLowerInvariant()}.");
        return
        [
            new WorkerEnrolled(command.MembershipNumber!, command.Programmes!.Order().ToArray(),
                command.DeclaredMonthlyIncome!.Value, command.EffectiveDate!.Value, now)
        ];
    }

    [WolverinePost("/api/cases/{id}/enrolment", Name = "EnrolWorker"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, EnrolWorker command, CaseCommand cases, HttpContext http, TimeProvider clock) =>
        cases.ExecuteAsync(http, id, command.ExpectedVersion, current => Decide(current, command, clock.GetUtcNow()));
}
