using System.Text.Json.Serialization;
using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Cases;
using EnrolmentCases.Cases.GettingDetails;
using EnrolmentCases.Coverage;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;
using JasperFx.Events;

namespace EnrolmentCases.Audit;

public sealed record HistoryEntry(
    long Sequence,
    long Version,
    string Type,
    DateTimeOffset Timestamp,
    DateTimeOffset? EffectiveAt,
    object Data,
    string? User,
    string? UserName,
    string? CorrelationId,
    string? CausationId,
    string? Hash,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Erased = false);

public sealed record CaseHistory(Guid CaseId, IReadOnlyList<HistoryEntry> Events);

public static class CaseHistoryEndpoint
{
    /// <summary>Every event of a case in order: what changed, who did it, when (recorded and effective), why, and its chain hash.</summary>
    [WolverineGet("/api/cases/{id}/history", OperationId = "GetCaseHistory", Summary = "A case's history",
        Description = "Every event of the case in order, with who acted, when (recorded and effective), under which correlation, and its place in the tamper-evidence chain.")]
    [Tags("Audit"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseHistory>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, IQuerySession session, ProvinceCalendar calendar, PersonalData privacy, HttpContext http,
        PersonalDataReads reads)
    {
        var found = await session.LoadAsync<CaseDetails>(id, http.RequestAborted);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));
        return await reads.Answer(http, [id], Results.Ok(await LoadAsync(session, id, calendar, privacy, http.RequestAborted)));
    }

    public static async Task<CaseHistory> LoadAsync(IQuerySession session, Guid id, ProvinceCalendar calendar, PersonalData privacy,
        CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(id, token: ct);
        var sequences = events.Select(e => e.Sequence).ToArray();
        var hashes = (await session.Query<AuditLink>().Where(l => sequences.Contains(l.Id)).ToListAsync(ct))
            .ToDictionary(l => l.Id, l => l.Hash);
        // Every event of a case is sealed under the key its first event names.
        var opened = events.Select(e => e.Data).OfType<WorkerIdentified>().FirstOrDefault();
        var person = opened is null ? null : (await privacy.KeyringAsync(session, [opened.Subject], ct)).For(opened.Subject, opened.KeyId);
        return new CaseHistory(id, events.Select(e => Entry(e, calendar, hashes.GetValueOrDefault(e.Sequence), person)).ToList());
    }

    private static HistoryEntry Entry(IEvent e, ProvinceCalendar calendar, string? hash, PersonSeal? person)
    {
        var effective = StageChanges.EffectiveAt(e.Data, calendar);
        var (data, erased) = Revealed(e.Data, person);
        return new HistoryEntry(e.Sequence, e.Version, e.EventTypeName, e.Timestamp,
            // Shown only where it differs meaningfully from when the event was written (backdating, field times).
            effective is { } at && (at - e.Timestamp).Duration() > TimeSpan.FromMinutes(1) ? at : null, data, e.UserName,
            e.GetHeader("userName")?.ToString(), e.CorrelationId, e.CausationId, hash, erased);
    }

    /// <summary>
    /// Event data as a reader may see it: personal fields opened, or null once the person's key was
    /// erased (never the ciphertext, which means nothing to a reader; the export keeps it as stored).
    /// </summary>
    private static (object Data, bool Erased) Revealed(object data, PersonSeal? person) => data switch
    {
        WorkerIdentified w => (w with
        {
            Nik = person?.Open(PersonalField.Nik, w.Nik), FullName = person?.Open(PersonalField.FullName, w.FullName),
            District = person?.Open(PersonalField.District, w.District), Village = person?.Open(PersonalField.Village, w.Village),
            Phone = person?.Open(PersonalField.Phone, w.Phone)
        }, person is null),
        WorkerDetailsCorrected c => (c with
        {
            FullName = person?.Open(PersonalField.FullName, c.FullName), Phone = person?.Open(PersonalField.Phone, c.Phone),
            District = person?.Open(PersonalField.District, c.District), Village = person?.Open(PersonalField.Village, c.Village)
        }, person is null),
        _ => (data, false)
    };
}
