using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Privacy;
using JasperFx.CommandLine;
using Marten.Pagination;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// Rebuilds the search index from the case views and the people's keys: after `projections rebuild` into an
/// empty database, or a restore that lacks the index. The views hold the sealed name and village, so the result is
/// what the listener would have written; an erased case (no subject, or no key) gets no entry.
/// </summary>
public sealed class SearchIndexRebuild(IDocumentStore store, SearchIndex index, PersonalData privacy)
{
    private const int BatchSize = 1000;

    public async Task<(int Indexed, int Removed)> RunAsync(CancellationToken ct)
    {
        var (indexed, removed) = (0, 0);
        for (var page = 1; ; page++)
        {
            await using var session = store.LightweightSession();
            var views = await session.Query<CaseDetails>().OrderBy(c => c.Id).ToPagedListAsync(page, BatchSize, ct);
            var keys = await privacy.KeyringAsync(session, views.Select(v => v.Subject), ct);
            foreach (var view in views)
            {
                var entry = index.EntryOf(view, keys);
                if (view.Subject is null || keys.For(view.Subject, view.KeyId) is null)
                {
                    session.Delete<CaseSearchEntry>(view.Id);
                    removed++;
                }
                else
                {
                    session.Store(entry);
                    indexed++;
                }
            }

            await session.SaveChangesAsync(ct);
            if (!views.HasNextPage) return (indexed, removed);
        }
    }
}

[Description("Rebuilds the worklist search's index from the case views and the people's keys (after rebuilding projections into an empty database, or a restore without it)", Name = Name)]
public class RebuildSearchIndexCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public const string Name = "rebuild-search-index";

    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var (indexed, removed) = await host.Services.GetRequiredService<SearchIndexRebuild>().RunAsync(CancellationToken.None);
        Console.WriteLine($"{indexed} cases indexed for search, {removed} erased ones left out.");
        return true;
    }
}
