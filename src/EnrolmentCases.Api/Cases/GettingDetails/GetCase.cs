using EnrolmentCases.Audit.AccessLog;
using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Privacy;
using EnrolmentCases.Regencies;

namespace EnrolmentCases.Cases.GettingDetails;

public static class GetCaseEndpoint
{
    /// <summary>
    /// The case now, or as it stood at a version or at an instant (by when events were recorded).
    /// Historical views are folded from the events, never taken from the stored view.
    /// </summary>
    [WolverineGet("/api/cases/{id}", OperationId = "GetCase", Summary = "Read a case",
        Description = "The case with the worker's personal data, as it stands now, or as it stood at a version (?version=) or at an instant (?asOf=). The ETag is the version to send back in If-Match.")]
    [Tags("Cases"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseDetails>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, long? version, DateTimeOffset? asOf, IQuerySession session, HttpContext http,
        LapsePolicy lapses, Now now, PersonalData privacy, PersonalDataReads reads)
    {
        if (version is not null && asOf is not null)
            return Results.Problem(Problems.ValidationFailed("asOf", "give either version or asOf, not both"));
        var errors = new ValidationErrors();
        if (version is < 1) errors.Add("version", "must be 1 or more");
        errors.Instant("asOf", asOf, now.Bounds);
        if (errors.Any) return Results.Problem(errors.ToProblem());

        var ct = http.RequestAborted;
        var (found, keyring) = version is { } v ? (await session.Events.AggregateStreamAsync<CaseDetails>(id, version: v, token: ct), null)
            : asOf is { } at ? (await session.Events.AggregateStreamAsync<CaseDetails>(id, timestamp: at.ToUniversalTime(), token: ct), null)
            : await WithKeyAsync(session, privacy, id, ct);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));
        if (version is { } wanted && found.Version != wanted)
            return Results.Problem(Problems.Create(Problems.NotFound, 404, "No such version", $"Case {id} has {found.Version} versions."));

        http.Response.Headers.ETag = ETags.For(found.Version);
        var shown = found.Revealed(keyring ?? await privacy.KeyringAsync(session, [found.Subject], ct));
        // A version is shown exactly as recorded; "now" and asOf apply the lapse rule on that day.
        return await reads.Answer(http, [id],
            Results.Ok(version is null ? shown.AsOn(asOf is { } day ? now.Calendar.DateOn(day) : now.Today, lapses.GraceMonths) : shown),
            version is { } asked ? $"version={asked}" : asOf is { } instant ? $"asOf={instant:O}" : null);
    }

    /// <summary>
    /// The stored view and its person's key in one round trip (ADR 0048): a batch of two statements, the key found by the
    /// view's subject inside the database. No key (an erased person) reveals nothing, as with KeyringAsync.
    /// </summary>
    private static async Task<(CaseDetails?, PersonKeyring?)> WithKeyAsync(IQuerySession session, PersonalData privacy, Guid id,
        CancellationToken ct)
    {
        var schema = session.DocumentStore.Options.Schema;
        var batch = session.CreateBatchQuery();
        var view = batch.Load<CaseDetails>(id);
        // The key by the subject the view holds, found by the database within the same batch.
        var keys = batch.Query<PersonKey>($"select k.data from {schema.For<PersonKey>()} k " +
                                          $"where k.id = (select c.data ->> 'subject' from {schema.For<CaseDetails>()} c where c.id = ?)", id);
        await batch.Execute(ct);
        return (await view, privacy.Keyring(await keys));
    }
}
