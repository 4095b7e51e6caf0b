using EnrolmentCases.Money;

namespace EnrolmentCases.Cases;

// The events of a case's stream. Each carries its own business instants (taken from the province
// calendar once per command), so that nothing depends on when Marten happened to write it.
// Their names and members are stored history: never rename them.

/// <summary>
/// Nik, FullName, District, Village and Phone are sealed (Privacy/PersonalCipher) under the data key
/// KeyId of the person Subject (a MAC of the NIK, never the NIK): erasing the key erases them here too.
/// </summary>
public record WorkerIdentified(
    Guid CaseId,
    string? Nik,
    string? FullName,
    string RegencyCode,
    string? District,
    string? Village,
    string Occupation,
    string? Phone,
    WorkerSource Source,
    DateTimeOffset IdentifiedAt,
    string Subject,
    Guid KeyId);

/// <summary>
/// A worker's details corrected (the right to correction, UU 27/2022): only the fields given, the
/// personal ones sealed under the key the case was opened with. Reason says why; metadata says who.
/// </summary>
public record WorkerDetailsCorrected(
    string? FullName,
    string? Phone,
    string? District,
    string? Village,
    string? Occupation,
    string Reason,
    DateTimeOffset CorrectedAt);

/// <summary>
/// A lawful erasure order destroyed the person's data key: the case's personal fields are gone for
/// good, while its stages, dates and money stay. Carries no personal data.
/// </summary>
public record PersonalDataErased(Guid OrderId, string LegalBasis, string Reference, DateTimeOffset ErasedAt);

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

/// <summary>
/// BPJS Ketenagakerjaan reported on the membership (Reconciliations): what it said, in row Row of the status file
/// ReconciliationId (FileSha256 its SHA-256), and what our case said at that moment. Applied is false
/// when the case already shows a report of a later day (an older file does not override it).
/// Nothing else about the case changes: its stage and payments are the caseworker's to act on.
/// Carries no personal data (the KPJ is the membership number the case already holds).
/// </summary>
public record InsurerStatusReported(
    Guid ReconciliationId,
    string FileSha256,
    int Row,
    string Kpj,
    MembershipStatus Status,
    YearMonth? PaidThrough,
    DateOnly ReportedOn,
    CaseStage OurStage,
    MembershipStatus OurStatus,
    YearMonth? OurPaidThrough,
    Drift[] Drift,
    bool Applied,
    DateTimeOffset RecordedAt);
