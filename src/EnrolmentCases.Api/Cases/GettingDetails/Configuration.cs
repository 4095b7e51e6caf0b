using EnrolmentCases.Infrastructure;
using JasperFx.Events.Projections;

namespace EnrolmentCases.Cases.GettingDetails;

public static class Configuration
{
    /// <summary>
    /// The case view behind GET /api/cases/{id} and the worklist, written in the same transaction as
    /// the events: never behind a command the caller just made. What the worklist filters and sorts on is in
    /// columns beside the JSON, each under the index its query walks (ADR 0028): the worklist's
    /// `where regency_code = .. [and stage = ..] order by opened_at desc, id desc` reads one index range backwards and
    /// counts over the same index, never sorting documents.
    /// </summary>
    public static IServiceCollection AddCaseDetails(this IServiceCollection services) =>
        services.ConfigureMarten(opts =>
        {
            // Marten's inline snapshot of the case's stream, rebuilt set-wise (ADR 0041).
            opts.Projections.Add(new CaseDetailsProjection(), ProjectionLifecycle.Inline);
            // Marten gives each duplicated field an index of its own column; the composite ones are added beside them, or, where
            // an index of the column alone would only repeat a composite's first key, the column's own index is the composite
            // (DuplicateIndexes, ADR 0063).
            opts.Schema.For<CaseDetails>()
                // A caseworker's worklist: one regency, newest first, and its count (the composite's former name kept, so a
                // database that has it keeps it).
                .Duplicate(c => c.RegencyCode, notNull: true, configure: index =>
                {
                    index.Name = "mt_doc_casedetails_idx_regency_codeopened_atid";
                    index.AlsoKeyedBy("opened_at", "id");
                })
                // An auditor's worklist, every regency newest first, with the id that breaks ties: no sort.
                .Duplicate(c => c.OpenedAt, notNull: true, configure: index => index.AlsoKeyedBy("id"))
                .Duplicate(c => c.Stage)
                // The lapse sweep and lapsingBefore, which ask only for enrolled and subsidized cases: the index holds only theirs,
                // so the cases which lapsed long ago (their settled month is as old, and they only grow in number) are not read
                // on the way to those still to lapse (ADR 0052). The predicate is written as PostgreSQL writes it back, in the one
                // spelling it also writes back unchanged: Weasel compares the texts, and `stage in (...)` made every start drop
                // and build the index again (ADR 0063).
                .Duplicate(c => c.SettledThroughIndex, configure: index => index.Predicate =
                    "(stage)::text = ANY (ARRAY['Enrolled'::text, 'Subsidized'::text])")
                // What the insurer's latest status file said (insurerStatus=, drift=).
                .Duplicate(c => c.InsurerStatus)
                .Duplicate(c => c.InsurerDrifting)
                // A worklist narrowed to one stage.
                .Index([c => c.RegencyCode, c => c.Stage, c => c.OpenedAt, c => c.Id])
                .Index(c => c.Subject)
                // The year-end sweep finds the subsidies of budget years that are over (ADR 0052).
                .Index(c => c.Subsidy!.BudgetYear)
                // Insurer status files find cases by KPJ (Reconciliations).
                .Index(c => c.MembershipNumber);
        });
}
