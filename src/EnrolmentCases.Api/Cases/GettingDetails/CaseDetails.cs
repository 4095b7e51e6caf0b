using EnrolmentCases.Coverage;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;
using EnrolmentCases.Privacy;

namespace EnrolmentCases.Cases.GettingDetails;

public sealed record SubsidyView(Payer Payer, int BudgetYear, YearMonth StartMonth, int Months, long MonthlyPremium)
{
    /// <summary>Is the month one the budget has reserved this subsidy's premium for?</summary>
    public bool Covers(YearMonth month) => month >= StartMonth && month <= StartMonth.AddMonths(Months - 1);
}

/// <summary>The latest insurer report a case shows (GET /api/cases/{id} `insurer`), with our values when it was recorded.</summary>
public sealed record InsurerView(
    MembershipStatus Status,
    YearMonth? PaidThrough,
    DateOnly ReportedOn,
    Guid ReconciliationId,
    MembershipStatus OurStatus,
    YearMonth? OurPaidThrough,
    Drift[] Drift)
{
    /// <summary>Stored so that the worklist can filter on it (drift=true).</summary>
    public bool Drifting => Drift.Length > 0;

    public static InsurerView Of(InsurerStatusReported e) =>
        new(e.Status, e.PaidThrough, e.ReportedOn, e.ReconciliationId, e.OurStatus, e.OurPaidThrough, e.Drift);
}

/// <summary>
/// A case as caseworkers and auditors see it, kept by an inline projection of the case's stream, so
/// the detail view and the worklist are never behind a command the caller just made. Carries
/// personal data: never put it in aggregates. Stage is the recorded one; readers apply the lapse rule.
/// The personal fields are stored as sealed in the events (PersonalCipher) and opened only when a
/// response is made (Revealed), so the table holds no plaintext and a rebuild needs no keys; an
/// erasure leaves them null and Erased true.
/// </summary>
public sealed partial record CaseDetails(
    Guid Id,
    string? Nik,
    string? FullName,
    string RegencyCode,
    string? District,
    string? Village,
    string Occupation,
    string? Phone,
    WorkerSource Source,
    CaseStage Stage,
    DateTimeOffset OpenedAt,
    DateTimeOffset UpdatedAt)
{
    public long Version { get; init; }
    public int ContactAttempts { get; init; }
    public string? MembershipNumber { get; init; }
    public Programme[]? Programmes { get; init; }
    public long? DeclaredMonthlyIncome { get; init; }
    public DateOnly? EnrolmentEffectiveDate { get; init; }
    public SubsidyView? Subsidy { get; init; }
    public YearMonth? PaidThrough { get; init; }
    public ClosureReason? ClosedReason { get; init; }

    /// <summary>The latest report of BPJS Ketenagakerjaan on this membership (by its reportedOn), with our values when it was recorded.</summary>
    public InsurerView? Insurer { get; init; }

    /// <summary>The SHA-256 of every status file recorded on the case: the same file sent again records nothing.</summary>
    [NotInResponses] public string[] InsurerFiles { get; init; } = [];

    /// <summary>True once the worker's personal data was erased: Nik, FullName, District, Village and Phone are null for good.</summary>
    public bool Erased { get; init; }

    /// <summary>The person's subject id (a MAC of the NIK) and the data key the fields are sealed under.</summary>
    [NotInResponses] public string? Subject { get; init; }

    [NotInResponses] public Guid KeyId { get; init; }

    [NotInResponses] public YearMonth? DueFrom { get; init; }

    /// <summary>Month index of Case.SettledThrough, stored so that the lapse sweep can query it.</summary>
    [NotInResponses] public int? SettledThroughIndex { get; init; }

    /// <summary>The insurer's latest status and whether it disagreed with ours, as columns for the worklist's filters.</summary>
    [NotInResponses] public MembershipStatus? InsurerStatus => Insurer?.Status;

    [NotInResponses] public bool? InsurerDrifting => Insurer?.Drifting;

    /// <summary>OpenedAt in UTC: it is a timestamptz column (ADR 0028), which takes no other offset.</summary>
    public static CaseDetails Create(WorkerIdentified e) => new(e.CaseId, e.Nik, e.FullName, e.RegencyCode, e.District, e.Village,
        e.Occupation, e.Phone, e.Source, CaseStage.Identified, e.IdentifiedAt.ToUniversalTime(), e.IdentifiedAt) { Subject = e.Subject, KeyId = e.KeyId };

    public static CaseDetails Apply(WorkerDetailsCorrected e, CaseDetails d) => d with
    {
        FullName = e.FullName ?? d.FullName, Phone = e.Phone ?? d.Phone, District = e.District ?? d.District,
        Village = e.Village ?? d.Village, Occupation = e.Occupation ?? d.Occupation, UpdatedAt = e.CorrectedAt
    };

    public static CaseDetails Apply(PersonalDataErased e, CaseDetails d) => d with
    {
        Nik = null, FullName = null, District = null, Village = null, Phone = null, Subject = null, Erased = true, UpdatedAt = e.ErasedAt
    };

    public static CaseDetails Apply(CaseStageChanged e, CaseDetails d) => d with { Stage = e.To };

    public static CaseDetails Apply(ContactAttempted e, CaseDetails d) =>
        d with { ContactAttempts = d.ContactAttempts + 1, UpdatedAt = e.RecordedAt };

    public static CaseDetails Apply(WorkerEnrolled e, CaseDetails d) => Settle(d with
    {
        MembershipNumber = e.MembershipNumber, Programmes = e.Programmes, DeclaredMonthlyIncome = e.DeclaredMonthlyIncome,
        EnrolmentEffectiveDate = e.EffectiveDate, DueFrom = YearMonth.Of(e.EffectiveDate), UpdatedAt = e.EnrolledAt
    });

    public static CaseDetails Apply(SubsidyGranted e, CaseDetails d) => Settle(d with
    {
        Subsidy = new SubsidyView(e.Payer, e.BudgetYear, e.StartMonth, e.Months, e.MonthlyPremium), DueFrom = e.StartMonth,
        UpdatedAt = e.GrantedAt
    });

    public static CaseDetails Apply(SubsidyEnded e, CaseDetails d) => d with { Subsidy = null, UpdatedAt = e.EndedAt };

    public static CaseDetails Apply(PremiumPaid e, CaseDetails d) =>
        Settle(d with { PaidThrough = d.PaidThrough is { } p && p > e.Month ? p : e.Month, UpdatedAt = e.RecordedAt });

    public static CaseDetails Apply(CaseLapsed e, CaseDetails d) => d with { UpdatedAt = e.RecordedAt };

    public static CaseDetails Apply(CaseReactivated e, CaseDetails d) => d with { UpdatedAt = e.ReactivatedAt };

    public static CaseDetails Apply(CaseClosed e, CaseDetails d) => d with { ClosedReason = e.Reason, UpdatedAt = e.ClosedAt };

    /// <summary>Recorded always; shown when it is not older than the report the case shows. Stage and payments stay.</summary>
    public static CaseDetails Apply(InsurerStatusReported e, CaseDetails d) => d with
    {
        Insurer = e.Applied ? InsurerView.Of(e) : d.Insurer, InsurerFiles = d.InsurerFiles.Contains(e.FileSha256) ? d.InsurerFiles : [..d.InsurerFiles, e.FileSha256]
    };

    public static CaseDetails Apply(CaseReopened e, CaseDetails d) => d with { ClosedReason = null, UpdatedAt = e.ReopenedAt };

    /// <summary>The view with its personal fields opened for a response; all null, and Erased, once the person's key is gone.</summary>
    public CaseDetails Revealed(PersonKeyring keys)
    {
        if (keys.For(Subject, KeyId) is not { } person)
            return this with { Nik = null, FullName = null, District = null, Village = null, Phone = null, Erased = true };
        return this with
        {
            Nik = person.Open(PersonalField.Nik, Nik), FullName = person.Open(PersonalField.FullName, FullName),
            District = person.Open(PersonalField.District, District), Village = person.Open(PersonalField.Village, Village),
            Phone = person.Open(PersonalField.Phone, Phone)
        };
    }

    private static CaseDetails Settle(CaseDetails d) => d with { SettledThroughIndex = Case.Settled(d.DueFrom, d.PaidThrough)?.Index };

    /// <summary>
    /// The day the membership lapses unless a payment arrives first; null when no lapse is pending (not yet
    /// enrolled, lapsed, closed). Shown on the case as it stands on a day, never stored.
    /// </summary>
    public DateOnly? LapsesOn { get; init; }

    /// <summary>
    /// The details with the lapse rule applied at a day: a sweep that has not yet run never shows a lapsed
    /// membership as active, and an active one says when it lapses.
    /// </summary>
    public CaseDetails AsOn(DateOnly day, int graceMonths)
    {
        var settled = SettledThroughIndex is { } i ? YearMonth.FromIndex(i) : (YearMonth?)null;
        if (Lapses.LapseRule.IsLapsedOn(Stage, settled, day, graceMonths)) return this with { Stage = CaseStage.Lapsed, LapsesOn = null };
        return this with
        {
            LapsesOn = Stage is CaseStage.Enrolled or CaseStage.Subsidized && settled is { } month ? Lapses.LapseRule.LapsesOn(month, graceMonths) : null
        };
    }
}
