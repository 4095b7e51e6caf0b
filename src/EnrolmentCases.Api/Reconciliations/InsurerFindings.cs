using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Money;

namespace EnrolmentCases.Reconciliations;

/// <summary>The pure rules of a finding: our status, the drift between two records, and whether a report overrides the one shown.</summary>
public static class InsurerFindings
{
    /// <summary>Active here: enrolled or subsidized on the day (the lapse rule applied); lapsed, closed or not yet enrolled is inactive.</summary>
    public static MembershipStatus OurStatus(CaseStage stageOnTheDay) =>
        stageOnTheDay is CaseStage.Enrolled or CaseStage.Subsidized ? MembershipStatus.Active : MembershipStatus.Inactive;

    public static Drift[] DriftBetween(MembershipStatus ours, YearMonth? ourPaidThrough, MembershipStatus theirs, YearMonth? theirPaidThrough)
    {
        var drift = new List<Drift>();
        if (ours == MembershipStatus.Active && theirs == MembershipStatus.Inactive) drift.Add(Drift.ActiveHereInactiveThere);
        if (ours == MembershipStatus.Inactive && theirs == MembershipStatus.Active) drift.Add(Drift.InactiveHereActiveThere);
        if (ourPaidThrough != theirPaidThrough) drift.Add(Drift.PaidThroughDiffers);
        return drift.ToArray();
    }

    /// <summary>A report overrides the one a case shows unless that one is of a later day (same day: the later file wins).</summary>
    public static bool Overrides(DateOnly reportedOn, InsurerView? shown) => shown is null || reportedOn >= shown.ReportedOn;

    /// <summary>The event a matched row records on its case, decided on the case view as it stands on the day (lapse rule applied).</summary>
    public static InsurerStatusReported Decide(CaseDetails onTheDay, StatusRow row, Guid reconciliationId, string fileSha256,
        DateTimeOffset now)
    {
        var ours = OurStatus(onTheDay.Stage);
        return new InsurerStatusReported(reconciliationId, fileSha256, row.Row, row.Kpj, row.Status, row.PaidThrough, row.ReportedOn,
            onTheDay.Stage, ours, onTheDay.PaidThrough, DriftBetween(ours, onTheDay.PaidThrough, row.Status, row.PaidThrough),
            Overrides(row.ReportedOn, onTheDay.Insurer), now);
    }
}
