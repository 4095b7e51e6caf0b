using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
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
    ClosureReason? ClosedReason,
    DateTimeOffset OpenedAt,
    DateTimeOffset UpdatedAt)
{
    public static CaseView From(Case c) => new(c.Id, c.Version, c.Nik, c.FullName, c.RegencyCode, c.District, c.Village,
        c.Occupation, c.Phone, c.Source, c.Stage, c.ContactAttempts, c.MembershipNumber, c.Programmes,
        c.DeclaredMonthlyIncome, c.EnrolmentEffectiveDate, c.ClosedReason, c.OpenedAt, c.UpdatedAt);
}

public static class GetCaseEndpoint
{
    [WolverineGet("/api/cases/{id}", Name = "GetCase"), Authorize(Roles = $"{Roles.Caseworker},{Roles.Auditor}")]
    [ProducesResponseType<CaseView>(200)]
    [ProducesResponseType<ProblemDetails>(404, "application/problem+json")]
    public static async Task<IResult> Get(Guid id, IQuerySession session, HttpContext http)
    {
        var found = await session.LoadAsync<Case>(id, http.RequestAborted);
        if (found is null || !Caller.From(http.User).CanSeeCasesOf(found.RegencyCode))
            return Results.Problem(Problems.CaseNotFound(id));

        http.Response.Headers.ETag = ETags.For(found.Version);
        return Results.Ok(CaseView.From(found));
    }
}
