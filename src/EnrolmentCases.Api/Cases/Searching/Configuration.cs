using EnrolmentCases.Infrastructure;
using Weasel.Postgresql.Tables;

namespace EnrolmentCases.Cases.Searching;

public static class Configuration
{
    /// <summary>
    /// The worklist search's blind index (ADR 0022): a bigint[] column of tokens per case under a GIN index,
    /// written with the events that change a name or village.
    /// </summary>
    public static IServiceCollection AddCaseSearch(this IServiceCollection services)
    {
        services.AddSingleton<SearchIndex>();
        services.AddSingleton<SearchIndexListener>();
        services.AddSingleton<SearchIndexRebuild>();
        // Entries an earlier release wrote are rebuilt after start, and readiness says so until none is left (ADR 0051).
        services.AddSingleton<SearchIndexRepair>();
        services.AddHostedService(provider => provider.GetRequiredService<SearchIndexRepair>());
        services.AddHealthChecks().AddCheck<SearchIndexRepair>("search-index", tags: [Operations.Ready]);
        services.ConfigureMarten((provider, opts) => opts.Listeners.Add(provider.GetRequiredService<SearchIndexListener>()));
        // Counts past their limit, remembered while no entry loses a token (ADR 0062).
        services.ConfigureMarten(opts => opts.Storage.Add(new SearchCountHintsFeature(opts)));
        services.AddReadOnlyTable(SearchCountHints.GenerationTable);
        services.ConfigureMarten(opts => opts.Schema.For<CaseSearchEntry>()
            .Duplicate(e => e.Tokens, pgType: "bigint[]", configure: index => index.Method = IndexMethod.gin, notNull: true)
            // A search's page in newest-first order, read from this table (ADR 0028). Its index is keyed by the id that breaks
            // ties as well and carries the tokens: a walk of the province's newest entries is an index-only scan in the walk's
            // own order, as a regency's is (ADR 0063).
            .Duplicate(e => e.OpenedAt, configure: index => index.AlsoKeyedBy("id").IncludeColumns = ["tokens"])
            // A caseworker's search walks its regency's newest entries (ADR 0042). Nullable, so that the column can be
            // added to a populated table; every writer fills it. The tokens ride in the walk's index, so the walk is an
            // index-only scan of the regency's newest entries and the planner has no reason to walk the province's newest
            // rows instead (ADR 0048). That walk is the column's own index (named as when it was a second one), so the
            // entries carry no index of the regency alone (ADR 0063).
            .Duplicate(e => e.RegencyCode, configure: index =>
            {
                index.Name = "mt_doc_casesearchentry_idx_regency_codeopened_atid";
                index.AlsoKeyedBy("opened_at", "id").IncludeColumns = ["tokens"];
            })
            // A search in one regency finds its words' entries there alone (ADR 0053). Nullable: an entry an earlier release
            // wrote has none until the repair after start rewrites it, and the partial index finds those (ADR 0051).
            .Duplicate(e => e.TokensInRegency, pgType: "bigint[]", configure: index => index.Method = IndexMethod.gin)
            .Index([e => e.Id], index =>
            {
                index.Name = "mt_doc_casesearchentry_idx_unscoped";
                index.Predicate = "tokens_in_regency is null";
            }));
        return services;
    }
}
