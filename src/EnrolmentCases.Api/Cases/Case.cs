using System.Collections.Immutable;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;

namespace EnrolmentCases.Cases;

/// <summary>The subsidy a case currently has, and how much of its commitment has been paid.</summary>
public sealed record SubsidyTerms(Payer Payer, int BudgetYear, YearMonth StartMonth, int Months, long MonthlyPremium, Guid BudgetId,
    long Paid)
{
    public YearMonth EndMonth => StartMonth.AddMonths(Months - 1);
    public long Commitment => MonthlyPremium * Months;
    public bool Covers(YearMonth month) => month >= StartMonth && month <= EndMonth;
}

/// <summary>
/// The write model of a case: only what its decisions need, evolved by its events and never
/// changed in place. CaseFold folds it from the stream when a command loads it, with Opened and
/// With (not named Create and Apply: Marten refuses those beside an explicit Evolve); the views people
/// read are projections of their own (GettingDetails/). It knows the worker by Subject, the MAC of the NIK (never the
/// NIK itself), which keys the open-case claim; null once the person's data was erased.
/// </summary>
public sealed partial record Case(Guid Id, string? Subject, string RegencyCode, CaseStage Stage)
{
    public long Version { get; init; }
    /// <summary>The person's data key the case was opened with: corrections are sealed under it.</summary>
    public Guid KeyId { get; init; }
    public CaseStage? StageBeforeClosure { get; init; }
    public CaseStage? StageBeforeLapse { get; init; }
    public IReadOnlyList<Programme> Programmes { get; init; } = [];
    public long DeclaredMonthlyIncome { get; init; }
    public SubsidyTerms? Subsidy { get; init; }
    /// <summary>The payment recorded for each paid month: a repeat is compared against it.</summary>
    public ImmutableDictionary<YearMonth, PremiumPaid> Payments { get; init; } = ImmutableDictionary<YearMonth, PremiumPaid>.Empty;
    public YearMonth? PaidThrough { get; init; }

    /// <summary>First month a premium is due: the subsidy's start month, else the enrolment's effective month.</summary>
    public YearMonth? DueFrom { get; init; }

    /// <summary>The month up to which nothing is owed: the latest paid month, or the month before premiums fell due.</summary>
    public YearMonth? SettledThrough => Settled(DueFrom, PaidThrough);

    public static YearMonth? Settled(YearMonth? dueFrom, YearMonth? paidThrough) =>
        dueFrom is not { } due ? null
        : paidThrough is { } paid && paid >= due ? paid
        : due.AddMonths(-1);

    public static Case Opened(WorkerIdentified e) => new(e.CaseId, e.Subject, e.RegencyCode, CaseStage.Identified) { KeyId = e.KeyId };

    /// <summary>An erased case no longer knows whose it was: it holds no claim on the NIK and takes no corrections.</summary>
    public static Case With(PersonalDataErased e, Case c) => c with { Subject = null };

    public static Case With(ContactAttempted e, Case c) =>
        e.Outcome == ContactOutcome.Reached && c.Stage == CaseStage.Identified ? c with { Stage = CaseStage.Contacted } : c;

    public static Case With(WorkerEnrolled e, Case c) => c with
    {
        Stage = CaseStage.Enrolled, Programmes = e.Programmes, DeclaredMonthlyIncome = e.DeclaredMonthlyIncome,
        DueFrom = YearMonth.Of(e.EffectiveDate)
    };

    public static Case With(SubsidyGranted e, Case c) => c with
    {
        Stage = CaseStage.Subsidized, DueFrom = e.StartMonth,
        Subsidy = new SubsidyTerms(e.Payer, e.BudgetYear, e.StartMonth, e.Months, e.MonthlyPremium, e.BudgetId, 0)
    };

    public static Case With(SubsidyEnded e, Case c) => c with
    {
        Subsidy = null,
        Stage = c.Stage == CaseStage.Subsidized ? CaseStage.Enrolled : c.Stage,
        StageBeforeLapse = c.StageBeforeLapse == CaseStage.Subsidized ? CaseStage.Enrolled : c.StageBeforeLapse
    };

    public static Case With(PremiumPaid e, Case c) => c with
    {
        Payments = c.Payments.SetItem(e.Month, e),
        PaidThrough = c.PaidThrough is { } through && through > e.Month ? through : e.Month,
        Subsidy = e.BudgetId is not null && c.Subsidy is { } s ? s with { Paid = s.Paid + e.Amount } : c.Subsidy
    };

    public static Case With(CaseLapsed e, Case c) => c with { StageBeforeLapse = c.Stage, Stage = CaseStage.Lapsed };

    public static Case With(CaseReactivated e, Case c) => c with { Stage = e.ToStage, StageBeforeLapse = null };

    public static Case With(CaseClosed e, Case c) => c with { StageBeforeClosure = e.FromStage, Stage = CaseStage.Closed };

    public static Case With(CaseReopened e, Case c) => c with { StageBeforeClosure = null, Stage = e.ToStage };

    /// <summary>
    /// Coverage's stage timelines of the case (Coverage.CaseStages), folded with the case by CaseFold from the same read of
    /// its stream: what the next stage change a command annotates is measured against (StageChanges). Opaque here, so
    /// that cases do not depend on coverage; null before the first stage change.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore] public object? Stages { get; init; }

    /// <summary>The last event the case was folded from, as read under the stream's lock (CaseFold); null when folded otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public StreamTail? Tail { get; init; }

    /// <summary>The case after an event: what a decision composed of several steps decides on next.</summary>
    public Case After(object e) => e switch
    {
        ContactAttempted x => With(x, this),
        WorkerEnrolled x => With(x, this),
        SubsidyGranted x => With(x, this),
        SubsidyEnded x => With(x, this),
        PremiumPaid x => With(x, this),
        CaseLapsed x => With(x, this),
        CaseReactivated x => With(x, this),
        CaseClosed x => With(x, this),
        CaseReopened x => With(x, this),
        PersonalDataErased x => With(x, this),
        _ => this
    };
}
