using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Privacy;
using Marten.Services;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// Keeps the search index in step with the events, in their own transaction: a case identified (by a
/// caseworker or an import) or corrected gets the tokens of its name and village as they now stand; an erased
/// one loses its entry. It runs before the session is saved, so a person's key inserted in the same session (a
/// first case) is taken from the session, any other from the database.
/// </summary>
public sealed class SearchIndexListener(SearchIndex index, PersonalData privacy) : DocumentSessionListenerBase
{
    private sealed record Person(string? Subject, Guid KeyId, string? Name, string? Village, bool Erased, string Regency, DateTimeOffset OpenedAt);

    public override async Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        var changes = session.PendingChanges.Streams()
            .SelectMany(s => s.Events.Select(e => (Case: s.Id, e.Data)))
            // A correction of neither the name nor the village leaves the entry as it is.
            .Where(c => c.Data is WorkerIdentified or WorkerDetailsCorrected { FullName: not null } or WorkerDetailsCorrected { Village: not null }
                or PersonalDataErased)
            .ToList();
        if (changes.Count == 0) return;

        // Cases corrected without being identified in this session: their name and village as stored so far.
        var identified = changes.Where(c => c.Data is WorkerIdentified).Select(c => c.Case).ToHashSet();
        var stored = changes.Where(c => c.Data is WorkerDetailsCorrected && !identified.Contains(c.Case)).Select(c => c.Case).Distinct().ToArray();
        var views = stored.Length == 0 ? [] : (await session.LoadManyAsync<CaseDetails>(token, stored)).ToDictionary(v => v.Id);

        var people = new Dictionary<Guid, Person>();
        foreach (var (caseId, data) in changes)
        {
            people[caseId] = (data, people.GetValueOrDefault(caseId) ?? From(views.GetValueOrDefault(caseId))) switch
            {
                (WorkerIdentified e, _) => new Person(e.Subject, e.KeyId, e.FullName, e.Village, false, e.RegencyCode, e.IdentifiedAt),
                (WorkerDetailsCorrected e, { } p) => p with { Name = e.FullName ?? p.Name, Village = e.Village ?? p.Village },
                (PersonalDataErased, { } p) => p with { Erased = true },
                _ => new Person(null, Guid.Empty, null, null, true, "", default)
            };
        }

        var pending = session.PendingChanges.AllChangedFor<PersonKey>().ToDictionary(k => k.Id);
        var missing = people.Values.Where(p => !p.Erased && p.Subject is not null && !pending.ContainsKey(p.Subject))
            .Select(p => p.Subject!).Distinct().ToArray();
        if (missing.Length > 0)
            foreach (var key in await session.LoadManyAsync<PersonKey>(token, missing))
                pending[key.Id] = key;

        foreach (var (caseId, person) in people)
        {
            if (person.Erased || person.Subject is null) session.Delete<CaseSearchEntry>(caseId);
            else session.Store(index.EntryOf(caseId, person.Regency, person.OpenedAt,
                privacy.Unwrap(pending.GetValueOrDefault(person.Subject), person.KeyId), person.Name, person.Village));
        }
    }

    private static Person? From(CaseDetails? view) =>
        view is null ? null : new Person(view.Subject, view.KeyId, view.FullName, view.Village, view.Subject is null, view.RegencyCode, view.OpenedAt);
}
