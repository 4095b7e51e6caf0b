using JasperFx.Events.Projections;

namespace EnrolmentCases.Cases.GettingDetails;

public static class Configuration
{
    /// <summary>
    /// The case view behind GET /api/cases/{id} and the worklist, written in the same transaction as
    /// the events: never behind a command the caller just made. Indexed for the worklist and the sweep.
    /// </summary>
    public static IServiceCollection AddCaseDetails(this IServiceCollection services) =>
        services.ConfigureMarten(opts =>
        {
            opts.Projections.Snapshot<CaseDetails>(SnapshotLifecycle.Inline);
            opts.Schema.For<CaseDetails>()
                .Index(c => c.RegencyCode)
                .Index(c => c.OpenedAt)
                .Index(c => c.Subject)
                // Insurer status files find cases by KPJ (Reconciliations).
                .Index(c => c.MembershipNumber)
                .Duplicate(c => c.Stage)
                .Duplicate(c => c.SettledThroughIndex);
        });
}
