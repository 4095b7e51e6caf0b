using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Lapses;
using EnrolmentCases.Regencies;
using Wolverine.Marten;

namespace EnrolmentCases.Cases.Enrolling;

public record EnrolWorker(
    string? MembershipNumber,
    Programme[]? Programmes,
    long? DeclaredMonthlyIncome,
    DateOnly? EffectiveDate,
    long? ExpectedVersion = null) : IExpectVersion;

public static class EnrolWorkerEndpoint
{
    public static ProblemDetails Validate(EnrolWorker? command, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        // KPJ: 11 digits by practitioners' convention; no official check digit is published.
        if (string.IsNullOrWhiteSpace(c.MembershipNumber)) errors.Add("membershipNumber", "is required");
        else if (c.MembershipNumber.Length != 11 || !c.MembershipNumber.All(char.IsAsciiDigit))
            errors.Add("membershipNumber", "must be the 11-digit KPJ number");

        if (c.Programmes is not { Length: > 0 }) errors.Add("programmes", "is required");
        else if (!c.Programmes.Contains(Programme.Jkk) || !c.Programmes.Contains(Programme.Jkm))
            errors.Add("programmes", "must include JKK and JKM");
        else if (c.Programmes.Distinct().Count() != c.Programmes.Length)
            errors.Add("programmes", "must not repeat a programme");

        errors.Amount("declaredMonthlyIncome", c.DeclaredMonthlyIncome, Inputs.MaxMonthlyAmount);

        if (c.EffectiveDate is null) errors.Add("effectiveDate", "is required");
        else if (c.EffectiveDate > now.Today.AddDays(31)) errors.Add("effectiveDate", "must not be more than a month ahead");
        else errors.Date("effectiveDate", c.EffectiveDate, now.Bounds);
    });

    public static Decision Decide(Case current, EnrolWorker command, DateTimeOffset now) =>
        current.Stage != CaseStage.Contacted
            ? Decision.NotAt(current.Stage, $"Only a contacted worker can be enrolled; this case is {current.Stage.ToString().ToLowerInvariant()}.")
            : Decision.Record(new WorkerEnrolled(command.MembershipNumber!, command.Programmes!.Order().ToArray(),
                command.DeclaredMonthlyIncome!.Value, command.EffectiveDate!.Value, now));

    [WolverinePost("/api/cases/{id}/enrolment", OperationId = "EnrolWorker", Summary = "Record the enrolment",
        Description = "Records that BPJS Ketenagakerjaan registered the worker: the 11-digit membership number (KPJ), the programmes (JKK and JKM, optionally JHT), the declared monthly income and the effective date, which may lie in the past. Moves a contacted case to enrolled.")]
    [Tags("Cases"), Authorize(Roles = Roles.Caseworker)]
    public static (IResult, Events) Post(EnrolWorker command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses)
    {
        var decision = lapses.Due(@case, now).Then(@case, current => Decide(current, command, now.Instant));
        return StageChanges.Annotate(@case, decision, now).Answer(@case);
    }
}
