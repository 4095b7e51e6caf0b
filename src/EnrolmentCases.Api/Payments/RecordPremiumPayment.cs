using EnrolmentCases.Cases;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Payments;

public record RecordPremiumPayment(string? Month, long? Amount, DateOnly? PaidOn, long? ExpectedVersion = null);

public static class RecordPremiumPaymentEndpoint
{
    public static ProblemDetails Validate(RecordPremiumPayment? command, LapsePolicy calendar)
    {
        if (command is null) return Problems.MissingBody;
        var errors = new ValidationErrors();
        if (!YearMonth.TryParse(command.Month, out var month)) errors.Add("month", "must be a month written YYYY-MM");
        else if (month > YearMonth.Of(calendar.Today).AddMonths(12)) errors.Add("month", "must not be more than a year ahead");
        if (command.Amount is not { } amount) errors.Add("amount", "is required");
        else if (amount <= 0) errors.Add("amount", "must be a positive amount in rupiah");
        if (command.PaidOn is not { } paidOn) errors.Add("paidOn", "is required");
        else if (paidOn > calendar.Today) errors.Add("paidOn", "must not be in the future");
        return errors.Any ? errors.ToProblem() : WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/cases/{id}/premium-payments", Name = "RecordPremiumPayment"), Authorize(Roles = Roles.Caseworker)]
    [ProducesResponseType<CommandAccepted>(200)]
    public static Task<IResult> Post(Guid id, RecordPremiumPayment command, CaseCommand cases, HttpContext http, LapsePolicy lapses) =>
        cases.ExecuteAsync(http, id, command.ExpectedVersion,
            current => PaymentDecisions.Record(current, command, lapses.Today, lapses.GraceMonths, lapses.Now));
}

public static class PaymentDecisions
{
    /// <summary>
    /// Records one paid month, once: paying a month already paid changes nothing. A month inside a
    /// subsidy is paid from its budget at the subsidised premium. Paying brings a lapsed membership
    /// back when it leaves no more than the grace of unpaid months behind.
    /// </summary>
    public static object[] Record(Case current, RecordPremiumPayment command, DateOnly today, int graceMonths, DateTimeOffset now)
    {
        if (current.Stage is not (CaseStage.Enrolled or CaseStage.Subsidized or CaseStage.Lapsed))
            throw new InvalidTransition(current.Stage, "Premiums are paid only for enrolled workers.");

        YearMonth.TryParse(command.Month, out var month);
        if (current.PaidMonths.Contains(month)) return [];
        if (current.DueFrom is { } due && month < due)
            throw new CommandRejected("month", $"is before the first premium fell due ({due})");

        var subsidy = current.Subsidy is { } s && s.Covers(month) ? s : null;
        if (subsidy is not null && command.Amount != subsidy.MonthlyPremium)
            throw new CommandRejected("amount", $"must be the subsidised monthly premium of Rp {subsidy.MonthlyPremium:N0}");

        var paid = new PremiumPaid(month, command.Amount!.Value, command.PaidOn!.Value, subsidy?.BudgetId, now);
        if (current.Stage != CaseStage.Lapsed || LapseRule.StillLapsedAfterPaying(current, month, today, graceMonths))
            return [paid];

        var back = current.StageBeforeLapse == CaseStage.Subsidized && current.Subsidy is not null
            ? CaseStage.Subsidized
            : CaseStage.Enrolled;
        return [paid, new CaseReactivated(month, back, now)];
    }
}
