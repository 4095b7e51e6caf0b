using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Cases;

/// <summary>
/// One row per NIK with an open case, keyed by the NIK's subject id (its MAC, Privacy/PersonalData),
/// never the NIK itself, so neither the table nor a log or dead letter naming the key shows a NIK:
/// the primary key makes PostgreSQL the arbiter when two caseworkers identify the same worker at
/// once. Written in the same transaction as the events that open, close or reopen a case.
/// </summary>
public sealed record OpenCaseClaim(string Id, Guid CaseId, string RegencyCode)
{
    public static OpenCaseClaim For(Case @case, string subject) => new(subject, @case.Id, @case.RegencyCode);

    /// <summary>
    /// Read after the failed commit, on a connection of its own: the transaction that failed is gone.
    /// The answer names the existing case and its regency only to a caller who may see that case; any
    /// other caller learns that the worker has an open case, not where.
    /// </summary>
    public static async Task<ProblemDetails> DuplicateProblemAsync(IDocumentStore store, string subject, Caller caller)
    {
        await using var session = store.QuerySession();
        var existing = await session.LoadAsync<OpenCaseClaim>(subject);
        var visible = existing is not null && caller.CanSeeCasesOf(existing.RegencyCode) ? existing : null;
        return Problems.Create(Problems.DuplicateCase, 409, "This worker already has an open case",
            (existing, visible) switch
            {
                (null, _) => "Another open case for this NIK was being written at the same moment.",
                (_, null) => "Worker already has an open case outside your regencies; only its own caseworkers may see it.",
                _ => $"Worker already has an open case in regency {visible.RegencyCode}: case {visible.CaseId}."
            },
            visible is null
                ? null
                : new Dictionary<string, object?> { ["existingCaseId"] = visible.CaseId, ["regencyCode"] = visible.RegencyCode });
    }
}
