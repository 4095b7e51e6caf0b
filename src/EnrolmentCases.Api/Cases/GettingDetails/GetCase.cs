using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Lapses;
using EnrolmentCases.Money;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Cases.GettingDetails;

/// <summary>A case as caseworkers and auditors see it. Carries personal data: never put it in aggregates.</summary>
public sealed record CaseView(
    Guid Id,
    long Version,
    string Nik,
    string FullName,
    string RegencyCode,
    string? District,
    string? Village,
    string Occupation,
    string? Phone,
    WorkerSource Source,
    CaseStage Stage,
    int ContactAttempts,
    string? MembershipNumber,
    Programme[]? Programmes,
    long? DeclaredMonthlyIncome,
    DateOnly? EnrolmentEffectiveDate,
    SubsidyView? Subsidy,
    YearMonth? PaidThrough,
    ClosureReason? ClosedReason,
    DateTimeOffset OpenedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>
    /// The stage shown has the lapse rule applied (today, or at the instant asked about), so a sweep
    /// that has not yet run never shows a lapsed membership as active.
    /// </summary>
    public static CaseView From(Case c, LapsePolicy lapses, DateTimeOffset? asOf = null) =>
        From(c, lapses.Due(c, asOf) is null ? c.Stage : CaseStage.Lapsed);

    public static CaseView From(Case c, CaseStage stage) => new(c.Id, c.Version, c.Nik,
        c.FullName, c.RegencyCode, c.District, c.Village, c.Occupation, c.Phone, c.Source, stage,
        c.ContactAttempts, c.MembershipNumber, c.Programmes, c.DeclaredMonthlyIncome, c.EnrolmentEffectiveDate,
        c.Subsidy is { } s ? new SubsidyView(s.Payer, s.BudgetYear, s.StartMonth, s.Months, s.MonthlyPremium) : null,
        c.PaidThrough, c.ClosedReason, c.OpenedAt, c.UpdatedAt);
}

public sealed record SubsidyView(Payer Payer, int BudgetYear, YearMonth StartMonth, int Months, long MonthlyPremium);

public static class GetCaseEndpoint
{
    /// <summary>
    /// The case now, or as it stood at a version or at an instant (by when events were recorded).
    /// Historical views are replayed from the events, never taken from the snapshot.
    /// </summary>
    [WolverineGet("/api/cases/{id}", Name = "GetCase"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseView>(200)]
    [ProducesResponseType<ProblemDetails>(400, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, long? version, DateTimeOffset? asOf, IQuerySession session,
        HttpContext http, LapsePolicy lapses)
    {
        if (version is not null && asOf is not null)
            return Results.Problem(Problems.ValidationFailed("asOf", "give either version or asOf, not both"));
        if (version is < 1) return Results.Problem(Problems.ValidationFailed("version", "must be 1 or more"));

        var ct = http.RequestAborted;
        var found = version is { } v ? await session.Events.AggregateStreamAsync<Case>(id, version: v, token: ct)
            : asOf is { } at ? await session.Events.AggregateStreamAsync<Case>(id, timestamp: at.ToUniversalTime(), token: ct)
            : await session.LoadAsync<Case>(id, ct);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));
        if (version is { } wanted && found.Version != wanted)
            return Results.Problem(Problems.Create(Problems.NotFound, 404, "No such version",
                $"Case {id} has {found.Version} versions."));

        http.Response.Headers.ETag = ETags.For(found.Version);
        // A version is shown exactly as recorded; "now" and asOf apply the lapse rule at that instant.
        return Results.Ok(version is null ? CaseView.From(found, lapses, asOf) : CaseView.From(found, found.Stage));
    }
}
