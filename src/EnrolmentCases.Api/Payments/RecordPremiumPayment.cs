using EnrolmentCases.Budgets;
using EnrolmentCases.Cases;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using EnrolmentCases.Regencies;
using JasperFx.Events;
using Wolverine.Marten;

namespace EnrolmentCases.Payments;

public record RecordPremiumPayment(string? Month, long? Amount, DateOnly? PaidOn, long? ExpectedVersion = null) : IExpectVersion
{
    public YearMonth PaidMonth => YearMonth.TryParse(Month, out var month) ? month : default;
}

/// <summary>The payment on record for a month, as a refused repeat names it.</summary>
public record RecordedPayment(YearMonth Month, long Amount, DateOnly PaidOn);

public static class RecordPremiumPaymentEndpoint
{
    public static ProblemDetails Validate(RecordPremiumPayment? command, Now now) => ValidationErrors.Check(command, (c, errors) =>
    {
        if (!YearMonth.TryParse(c.Month, out var month)) errors.Add("month", "must be a month written YYYY-MM");
        else if (month > YearMonth.Of(now.Today).AddMonths(12)) errors.Add("month", "must not be more than a year ahead");
        else errors.Date("month", month.FirstDay, now.Bounds);
        errors.Amount("amount", c.Amount, Inputs.MaxMonthlyAmount);
        if (c.PaidOn is not { } paidOn) errors.Add("paidOn", "is required");
        else if (paidOn > now.Today) errors.Add("paidOn", "must not be in the future");
        else errors.Date("paidOn", paidOn, now.Bounds);
    });

    /// <summary>
    /// Records one paid month, once: paying a month already paid with the same amount changes
    /// nothing; with another amount it is refused, naming the payment on record. A month inside a
    /// subsidy is paid from its budget at the subsidised premium. Paying brings a lapsed membership
    /// back when it leaves no more than the grace of unpaid months behind.
    /// </summary>
    public static Decision Decide(Case current, RecordPremiumPayment command, DateOnly today, int graceMonths, DateTimeOffset now)
    {
        if (current.Stage is not (CaseStage.Enrolled or CaseStage.Subsidized or CaseStage.Lapsed))
            return Decision.NotAt(current.Stage, "Premiums are paid only for enrolled workers.");

        var month = command.PaidMonth;
        if (current.Payments.TryGetValue(month, out var recorded))
            return recorded.Amount == command.Amount ? Decision.Record() : Decision.Refuse(AlreadyPaid(current.Stage, recorded));
        if (current.DueFrom is { } due && month < due) return Decision.Invalid("month", $"is before the first premium fell due ({due})");

        var subsidy = current.Subsidy is { } s && s.Covers(month) ? s : null;
        if (subsidy is not null && command.Amount != subsidy.MonthlyPremium)
            return Decision.Invalid("amount", $"must be the subsidised monthly premium of Rp {subsidy.MonthlyPremium:N0}");

        var paid = new PremiumPaid(month, command.Amount!.Value, command.PaidOn!.Value, subsidy?.BudgetId, now);
        if (current.Stage != CaseStage.Lapsed || LapseRule.StillLapsedAfterPaying(current, month, today, graceMonths))
            return Decision.Record(paid);

        var back = current.StageBeforeLapse == CaseStage.Subsidized && current.Subsidy is not null ? CaseStage.Subsidized : CaseStage.Enrolled;
        return Decision.Record(paid, new CaseReactivated(month, back, now));
    }

    /// <summary>A month already paid with another amount (409 invalid-transition, with the payment on record).</summary>
    public static ProblemDetails AlreadyPaid(CaseStage stage, PremiumPaid recorded) => Problems.Create(Problems.InvalidTransition, 409,
        "The month is already paid with another amount",
        $"{recorded.Month} was paid Rp {recorded.Amount:N0} on {recorded.PaidOn:yyyy-MM-dd}; a payment on record is not changed by repeating it. Nothing was written.",
        new Dictionary<string, object?>
        {
            ["stage"] = stage,
            ["recordedPayment"] = new RecordedPayment(recorded.Month, recorded.Amount, recorded.PaidOn)
        });

    [WolverinePost("/api/cases/{id}/premium-payments", OperationId = "RecordPremiumPayment", Summary = "Record a premium payment",
        Description = "Records one paid month; paying a month already paid with the same amount changes nothing, with another amount is refused (invalid-transition, with the recordedPayment). A month inside a subsidy is paid from its budget at the subsidised premium. A payment that leaves at most the grace of unpaid months behind reactivates a lapsed membership.")]
    [Tags("Subsidies and payments"), Authorize(Roles = Roles.Caseworker)]
    public static async Task<(IResult, Events)> Post(RecordPremiumPayment command,
        [LockedCase] Case @case,
        Now now, LapsePolicy lapses, IDocumentSession session)
    {
        var decision = lapses.Due(@case, now)
            .Then(@case, current => Decide(current, command, now.Today, lapses.GraceMonths, now.Instant));
        var (answer, events) = StageChanges.Annotate(@case, decision, now).Answer(@case);
        // A subsidised month is paid out of its budget, locked and booked as the command's last step.
        if (await BudgetLedger.BookAsync(session, @case.Id, events, now.Instant) is { } refused) return (Results.Problem(refused), new Events());
        return (answer, events);
    }
}
