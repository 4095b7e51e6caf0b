using EnrolmentCases.Infrastructure;
using JasperFx.Events.Projections;

namespace EnrolmentCases.Budgets;

public static class Configuration
{
    /// <summary>One stream per payer, regency and year; its ledger is an inline snapshot, read by money decisions under its lock.</summary>
    public static IServiceCollection AddBudgets(this IServiceCollection services) =>
        services
            .ConfigureMarten(opts =>
            {
                opts.Projections.Snapshot<Budget>(SnapshotLifecycle.Inline);
                opts.Schema.For<Budget>().Duplicate(b => b.Year);
            })
            .AddInstruments<BudgetHeadroom>()
            // How long money commands wait for their budgets' row locks and hold them (ADR 0061).
            .AddInstruments<BudgetLockTiming>()
            .ConfigureMarten((provider, opts) => opts.Listeners.Add(provider.GetRequiredService<BudgetLockTiming>()));
}
