using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Privacy;
using JasperFx.CommandLine;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// Rebuilds the search index from the case views and the people's keys: after `projections rebuild` into an
/// empty database, or a restore that lacks the index. The views hold the sealed name and village, so the result is
/// what the listener would have written; an erased case (no subject, or no key) gets no entry. It walks the views in
/// id order from the last id it wrote (keyset paging): each batch costs the same at a million cases as at the first,
/// where numbered pages would count the table and skip every row before the page.
/// </summary>
public sealed class SearchIndexRebuild(IDocumentStore store, SearchIndex index, PersonalData privacy)
{
    public const int DefaultBatchSize = 1000;

    public async Task<(int Indexed, int Removed)> RunAsync(CancellationToken ct, int batchSize = DefaultBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var (indexed, removed) = (0, 0);
        for (var after = Guid.Empty; ;)
        {
            await using var session = store.LightweightSession();
            var views = await session.QueryAsync<CaseDetails>("where d.id > ? order by d.id limit ?", ct, after, batchSize);
            if (views.Count == 0) return (indexed, removed);
            after = views[^1].Id;
            var (written, erased) = await IndexAsync(session, views.Select(v => v.Id).ToList(), views, ct);
            (indexed, removed) = (indexed + written, removed + erased);
            await session.SaveChangesAsync(ct);
            if (views.Count < batchSize) return (indexed, removed);
        }
    }

    /// <summary>
    /// Queues, in the session, each case's entry as its view now stands, or its removal when the person is erased (no subject,
    /// or no key) or the case has no view: the rebuild's step, and the repair's of entries an earlier release wrote (ADR 0051).
    /// </summary>
    public async Task<(int Indexed, int Removed)> IndexAsync(IDocumentSession session, IReadOnlyCollection<Guid> caseIds,
        IReadOnlyList<CaseDetails> views, CancellationToken ct)
    {
        var keys = await privacy.KeyringAsync(session, views.Select(v => v.Subject), ct);
        var byId = views.ToDictionary(v => v.Id);
        var (indexed, removed) = (0, 0);
        foreach (var id in caseIds)
        {
            if (byId.GetValueOrDefault(id) is { Subject: { } subject } view && keys.For(subject, view.KeyId) is not null)
            {
                session.Store(index.EntryOf(view, keys));
                indexed++;
            }
            else
            {
                session.Delete<CaseSearchEntry>(id);
                removed++;
            }
        }

        return (indexed, removed);
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
