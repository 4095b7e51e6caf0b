using EnrolmentCases.Coverage;
using EnrolmentCases.Money;

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

/// <summary>A regional budget takes over the monthly premium from StartMonth for Months months.</summary>
public record SubsidyGranted(
    Payer Payer,
    string? RegencyCode,
    int BudgetYear,
    YearMonth StartMonth,
    int Months,
    long MonthlyPremium,
    Guid BudgetId,
    DateTimeOffset GrantedAt);

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
/// The case moved from one stage to another. Appended by the write path right after the event that
/// caused the move, with when it was recorded and when it takes effect, and the changes it makes to
/// stage counts on both bases: the coverage projections read nothing else.
/// </summary>
public record CaseStageChanged(
    string RegencyCode,
    CaseStage? From,
    CaseStage To,
    DateTimeOffset RecordedAt,
    DateTimeOffset EffectiveAt,
    List<StageDelta> Recorded,
    List<StageDelta> Effective);

/// <summary>The subsidy a case currently has, and how much of its commitment has been paid.</summary>
public sealed record SubsidyTerms(
    Payer Payer,
    string? RegencyCode,
    int BudgetYear,
    YearMonth StartMonth,
    int Months,
    long MonthlyPremium,
    Guid BudgetId,
    long Paid)
{
    public YearMonth EndMonth => StartMonth.AddMonths(Months - 1);
    public long Commitment => MonthlyPremium * Months;
    public bool Covers(YearMonth month) => month >= StartMonth && month <= EndMonth;
}

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
    public SubsidyTerms? Subsidy { get; set; }
    public List<YearMonth> PaidMonths { get; set; } = [];
    public YearMonth? PaidThrough { get; set; }

    /// <summary>First month a premium is due: the subsidy's start month, else the enrolment's effective month.</summary>
    public YearMonth? DueFrom { get; set; }

    /// <summary>
    /// Month index (see YearMonth.Index) up to which nothing is owed: the latest paid month, or the
    /// month before premiums fell due. Stored as a plain number so the lapse sweep can query it.
    /// </summary>
    public int? SettledThroughIndex { get; set; }

    public CaseStage? StageBeforeLapse { get; set; }

    /// <summary>The case's stages over time as recorded, and as effective (see StageTimeline).</summary>
    public List<StagePeriod> RecordedStages { get; set; } = [];
    public List<StagePeriod> EffectiveStages { get; set; } = [];

    public DateTimeOffset OpenedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// A private copy to evolve while deciding. The instance Marten hands out is also the base of
    /// the inline snapshot, so mutating it would apply events twice.
    /// </summary>
    public Case Copy()
    {
        var copy = (Case)MemberwiseClone();
        copy.PaidMonths = [..PaidMonths];
        copy.RecordedStages = [..RecordedStages];
        copy.EffectiveStages = [..EffectiveStages];
        return copy;
    }

    /// <summary>Applies any case event; the write path uses it to evolve a copy while deciding.</summary>
    public void Follow(object e)
    {
        switch (e)
        {
            case ContactAttempted x: Apply(x); break;
            case WorkerEnrolled x: Apply(x); break;
            case CaseClosed x: Apply(x); break;
            case CaseReopened x: Apply(x); break;
            case SubsidyGranted x: Apply(x); break;
            case SubsidyEnded x: Apply(x); break;
            case PremiumPaid x: Apply(x); break;
            case CaseLapsed x: Apply(x); break;
            case CaseReactivated x: Apply(x); break;
            case CaseStageChanged x: Apply(x); break;
            default: throw new ArgumentException($"{e.GetType().Name} is not an event of an open case", nameof(e));
        }
    }

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
        DueFrom = YearMonth.Of(e.EffectiveDate);
        Settle();
        UpdatedAt = e.EnrolledAt;
    }

    public void Apply(SubsidyGranted e)
    {
        Subsidy = new SubsidyTerms(e.Payer, e.RegencyCode, e.BudgetYear, e.StartMonth, e.Months, e.MonthlyPremium, e.BudgetId, 0);
        Stage = CaseStage.Subsidized;
        DueFrom = e.StartMonth;
        Settle();
        UpdatedAt = e.GrantedAt;
    }

    public void Apply(SubsidyEnded e)
    {
        Subsidy = null;
        if (Stage == CaseStage.Subsidized) Stage = CaseStage.Enrolled;
        if (StageBeforeLapse == CaseStage.Subsidized) StageBeforeLapse = CaseStage.Enrolled;
        UpdatedAt = e.EndedAt;
    }

    public void Apply(PremiumPaid e)
    {
        PaidMonths.Add(e.Month);
        PaidMonths.Sort();
        if (PaidThrough is null || e.Month > PaidThrough) PaidThrough = e.Month;
        if (e.BudgetId is not null && Subsidy is not null) Subsidy = Subsidy with { Paid = Subsidy.Paid + e.Amount };
        Settle();
        UpdatedAt = e.RecordedAt;
    }

    public void Apply(CaseStageChanged e)
    {
        RecordedStages = StageTimeline.Move(RecordedStages, e.RecordedAt, e.To).Timeline;
        EffectiveStages = StageTimeline.Move(EffectiveStages, e.EffectiveAt, e.To).Timeline;
    }

    public void Apply(CaseLapsed e)
    {
        StageBeforeLapse = Stage;
        Stage = CaseStage.Lapsed;
        UpdatedAt = e.RecordedAt;
    }

    public void Apply(CaseReactivated e)
    {
        Stage = e.ToStage;
        StageBeforeLapse = null;
        UpdatedAt = e.ReactivatedAt;
    }

    private void Settle()
    {
        if (DueFrom is not { } due) return;
        var beforeDue = due.Index - 1;
        SettledThroughIndex = PaidThrough is { } paid && paid.Index > beforeDue ? paid.Index : beforeDue;
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
