namespace EnrolmentCases.Cases;

// One stream per case. Events carry their own business timestamps (taken from the injected clock),
// so projections never depend on when Marten happened to write them.

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
public record ContactAttempted(
    ContactChannel Channel,
    ContactOutcome Outcome,
    string? Note,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt);

/// <summary>BPJS Ketenagakerjaan registered the worker; EffectiveDate may be backdated (collective agreements).</summary>
public record WorkerEnrolled(
    string MembershipNumber,
    Programme[] Programmes,
    long DeclaredMonthlyIncome,
    DateOnly EffectiveDate,
    DateTimeOffset EnrolledAt);

public record CaseClosed(ClosureReason Reason, string? Note, CaseStage FromStage, DateTimeOffset ClosedAt);

public record CaseReopened(string Note, CaseStage ToStage, DateTimeOffset ReopenedAt);

/// <summary>
/// The write model of a case, and (as an inline snapshot) the document the case detail and the
/// worklist read. Apply methods must stay public: Marten 9 dispatches them from generated code.
/// </summary>
public class Case
{
    public Guid Id { get; set; }
    public long Version { get; set; }
    public string Nik { get; set; } = "";
    public string FullName { get; set; } = "";
    public string RegencyCode { get; set; } = "";
    public string? District { get; set; }
    public string? Village { get; set; }
    public string Occupation { get; set; } = "";
    public string? Phone { get; set; }
    public WorkerSource Source { get; set; }
    public CaseStage Stage { get; set; }
    public int ContactAttempts { get; set; }
    public string? MembershipNumber { get; set; }
    public Programme[]? Programmes { get; set; }
    public long? DeclaredMonthlyIncome { get; set; }
    public DateOnly? EnrolmentEffectiveDate { get; set; }
    public ClosureReason? ClosedReason { get; set; }
    public CaseStage? StageBeforeClosure { get; set; }
    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public static Case Create(WorkerIdentified e) => new()
    {
        Id = e.CaseId,
        Nik = e.Nik,
        FullName = e.FullName,
        RegencyCode = e.RegencyCode,
        District = e.District,
        Village = e.Village,
        Occupation = e.Occupation,
        Phone = e.Phone,
        Source = e.Source,
        Stage = CaseStage.Identified,
        OpenedAt = e.IdentifiedAt,
        UpdatedAt = e.IdentifiedAt
    };

    public void Apply(ContactAttempted e)
    {
        ContactAttempts++;
        if (e.Outcome == ContactOutcome.Reached && Stage == CaseStage.Identified) Stage = CaseStage.Contacted;
        UpdatedAt = e.RecordedAt;
    }

    public void Apply(WorkerEnrolled e)
    {
        MembershipNumber = e.MembershipNumber;
        Programmes = e.Programmes;
        DeclaredMonthlyIncome = e.DeclaredMonthlyIncome;
        EnrolmentEffectiveDate = e.EffectiveDate;
        Stage = CaseStage.Enrolled;
        UpdatedAt = e.EnrolledAt;
    }

    public void Apply(CaseClosed e)
    {
        ClosedReason = e.Reason;
        StageBeforeClosure = e.FromStage;
        Stage = CaseStage.Closed;
        UpdatedAt = e.ClosedAt;
    }

    public void Apply(CaseReopened e)
    {
        ClosedReason = null;
        StageBeforeClosure = null;
        Stage = e.ToStage;
        UpdatedAt = e.ReopenedAt;
    }
}
