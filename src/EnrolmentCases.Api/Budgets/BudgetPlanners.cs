using System.Security.Claims;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Budgets;

/// <summary>
/// Who may change a budget's allocation: a province planner (no `regency` claims) any budget; a regency's
/// planner that regency's budget only, never the province's (403, nothing written). A missing payer or an
/// unknown regency is the input rules' to report.
/// </summary>
public static class BudgetPlanners
{
    public static ProblemDetails Refuse(Payer? payer, string? regencyCode, ClaimsPrincipal user, ReferenceData reference, string action)
    {
        if (payer is null) return WolverineContinue.NoProblems;
        if (payer == Payer.ApbdRegency && reference.FindRegency(regencyCode) is null) return WolverineContinue.NoProblems;
        var regency = payer == Payer.ApbdRegency ? regencyCode : null;
        return Caller.From(user).CanPlanFor(regency)
            ? WolverineContinue.NoProblems
            : Problems.Create(Problems.Forbidden, 403, "Not one of your regencies",
                regency is null
                    ? $"Only the province's planners (without regency claims) may {action} for the provincial budget."
                    : $"You may only {action} for your own regencies, not {regency}.");
    }

    /// <summary>Which budget is meant: a regency budget names a regency of the province, the provincial budget none.</summary>
    public static void CheckBudget(ValidationErrors errors, Payer? payer, string? regencyCode, ReferenceData reference)
    {
        errors.Text("regencyCode", regencyCode, 10);
        if (payer == Payer.ApbdRegency && reference.FindRegency(regencyCode) is null)
            errors.Add("regencyCode", $"must name a regency of {reference.ProvinceName} for a regency budget");
        if (payer == Payer.ApbdProvince && !string.IsNullOrEmpty(regencyCode))
            errors.Add("regencyCode", "must be empty for the provincial budget");
    }
}
