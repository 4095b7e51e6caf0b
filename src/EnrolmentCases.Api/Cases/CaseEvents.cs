using EnrolmentCases.Money;

namespace EnrolmentCases.Cases;

// The events of a case's stream. Each carries its own business instants (taken from the province
// calendar once per command), so that nothing depends on when Marten happened to write it.
// Their names and members are stored history: never rename them.

public record WorkerIdentified(
    Guid CaseId,
    string Nik,
    string FullName,
    string RegencyCode,
    string? District,
    string? Village,
    string Occupation,
    string? Phone,
    WorkerSource Source,
    DateTimeOffset IdentifiedAt);

/// <summary>OccurredAt is when the attempt happened in the field; RecordedAt when it was entered.</summary>
public record ContactAttempted(ContactChannel Channel, ContactOutcome Outcome, string? Note, DateTimeOffset OccurredAt, DateTimeOffset RecordedAt);

/// <summary>BPJS Ketenagakerjaan registered the worker; EffectiveDate may be backdated (collective agreements).</summary>
public record WorkerEnrolled(string MembershipNumber, Programme[] Programmes, long DeclaredMonthlyIncome, DateOnly EffectiveDate,
    DateTimeOffset EnrolledAt);

public record CaseClosed(ClosureReason Reason, string? Note, CaseStage FromStage, DateTimeOffset ClosedAt);

public record CaseReopened(string Note, CaseStage ToStage, DateTimeOffset ReopenedAt);

/// <summary>A regional budget takes over the monthly premium from StartMonth for Months months.</summary>
public record SubsidyGranted(Payer Payer, string? RegencyCode, int BudgetYear, YearMonth StartMonth, int Months, long MonthlyPremium,
    Guid BudgetId, DateTimeOffset GrantedAt);

/// <summary>Released is what the budget had reserved for this subsidy and will not spend.</summary>
public record SubsidyEnded(SubsidyEndReason Reason, Guid BudgetId, long Released, DateTimeOffset EndedAt);

/// <summary>BudgetId names the budget that paid a subsidised month; null when the worker paid.</summary>
public record PremiumPaid(YearMonth Month, long Amount, DateOnly PaidOn, Guid? BudgetId, DateTimeOffset RecordedAt);

/// <summary>
/// Membership became inactive: more unpaid months in a row than the grace allows. EffectiveOn is the
/// day the rule was met, which may be earlier than when it was recorded.
/// </summary>
public record CaseLapsed(YearMonth FirstUnpaidMonth, int UnpaidMonths, DateOnly EffectiveOn, string Reason, DateTimeOffset RecordedAt);

public record CaseReactivated(YearMonth PaidMonth, CaseStage ToStage, DateTimeOffset ReactivatedAt);
