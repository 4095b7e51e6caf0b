using JasperFx.Events.Projections;

namespace EnrolmentCases.Cases.GettingDetails;

public static class Configuration
{
    /// <summary>
    /// The case view behind GET /api/cases/{id} and the worklist, written in the same transaction as
    /// the events: never behind a command the caller just made. What the worklist filters and sorts on, and what the
    /// forecast groups, are columns beside the JSON, each under the index its query walks (ADR 0028): the worklist's
    /// `where regency_code = .. [and stage = ..] order by opened_at desc, id desc` reads one index range backwards and
    /// counts over the same index, never sorting documents.
    /// </summary>
    public static IServiceCollection AddCaseDetails(this IServiceCollection services) =>
        services.ConfigureMarten(opts =>
        {
            opts.Projections.Snapshot<CaseDetails>(SnapshotLifecycle.Inline);
            opts.Schema.For<CaseDetails>()
                // A caseworker's worklist: one regency, newest first.
                .Duplicate(c => c.RegencyCode, notNull: true, configure: index => index.Columns = ["regency_code", "opened_at", "id"])
                // An auditor's worklist: every regency, newest first.
                .Duplicate(c => c.OpenedAt, notNull: true, configure: index => index.Columns = ["opened_at", "id"])
                // A worklist narrowed to one stage.
                .Duplicate(c => c.Stage, configure: index => index.Columns = ["regency_code", "stage", "opened_at", "id"])
                // The lapse sweep and lapsingBefore.
                .Duplicate(c => c.SettledThroughIndex)
                // What the insurer's latest status file said (insurerStatus=, drift=).
                .Duplicate(c => c.InsurerStatus, configure: index => index.Columns = ["regency_code", "insurer_status"])
                .Duplicate(c => c.InsurerDrifting, configure: index => index.Columns = ["regency_code", "insurer_drifting"])
                // The forecast's cohort of a year, grouped from the index alone.
                .Duplicate(c => c.SubsidyCohort, configure: index => index.Columns = ["subsidy_cohort", "regency_code"])
                .Index(c => c.Subject)
                // Insurer status files find cases by KPJ (Reconciliations).
                .Index(c => c.MembershipNumber);
        });
}
