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
    /// The stage shown is the lapse rule applied today, so a sweep that has not yet run never
    /// shows a lapsed membership as active.
    /// </summary>
    public static CaseView From(Case c, LapsePolicy lapses) => new(c.Id, c.Version, c.Nik, c.FullName, c.RegencyCode,
        c.District, c.Village, c.Occupation, c.Phone, c.Source, lapses.Due(c) is null ? c.Stage : CaseStage.Lapsed,
        c.ContactAttempts, c.MembershipNumber, c.Programmes, c.DeclaredMonthlyIncome, c.EnrolmentEffectiveDate,
        c.Subsidy is { } s ? new SubsidyView(s.Payer, s.BudgetYear, s.StartMonth, s.Months, s.MonthlyPremium) : null,
        c.PaidThrough, c.ClosedReason, c.OpenedAt, c.UpdatedAt);
}

public sealed record SubsidyView(Payer Payer, int BudgetYear, YearMonth StartMonth, int Months, long MonthlyPremium);

public static class GetCaseEndpoint
{
    [WolverineGet("/api/cases/{id}", Name = "GetCase"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseView>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, IQuerySession session, HttpContext http, LapsePolicy lapses)
    {
        var found = await session.LoadAsync<Case>(id, http.RequestAborted);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));

        http.Response.Headers.ETag = ETags.For(found.Version);
        return Results.Ok(CaseView.From(found, lapses));
    }
}
