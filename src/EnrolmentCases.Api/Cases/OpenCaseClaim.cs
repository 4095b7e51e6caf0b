using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Cases;

/// <summary>
/// One row per NIK with an open case, keyed by the NIK itself: the primary key makes PostgreSQL
/// the arbiter when two caseworkers identify the same worker at once. Written in the same
/// transaction as the events that open, close or reopen a case.
/// </summary>
public sealed record OpenCaseClaim(string Id, Guid CaseId, string RegencyCode)
{
    public static OpenCaseClaim For(Case @case) => new(@case.Nik, @case.Id, @case.RegencyCode);

    /// <summary>Read after the failed commit, on a connection of its own: the transaction that failed is gone.</summary>
    public static async Task<ProblemDetails> DuplicateProblemAsync(IDocumentStore store, string nik)
    {
        await using var session = store.QuerySession();
        var existing = await session.LoadAsync<OpenCaseClaim>(nik);
        return Problems.Create(Problems.DuplicateCase, 409, "This worker already has an open case",
            existing is null
                ? "Another open case for this NIK was being written at the same moment."
                : $"Worker already has an open case in regency {existing.RegencyCode}: case {existing.CaseId}.",
            new Dictionary<string, object?> { ["existingCaseId"] = existing?.CaseId, ["regencyCode"] = existing?.RegencyCode });
    }
}
