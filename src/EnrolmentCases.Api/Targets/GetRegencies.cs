using EnrolmentCases.Regencies;

namespace EnrolmentCases.Targets;

public sealed record RegencyView(string Code, string Name, int? Population, CoverageTarget? Target);

public static class GetRegenciesEndpoint
{
    /// <summary>The regencies and city of the province with this year's target: reference data, readable by every role.</summary>
    [WolverineGet("/api/regencies", OperationId = "GetRegencies", Summary = "The regencies",
        Description = "The regencies and city of the province, with this year's target.")]
    [Tags("Coverage and targets"), Authorize]
    [ProducesResponseType<RegencyView[]>(200)]
    public static async Task<RegencyView[]> Get(ReferenceData reference, IQuerySession session,
        Now now, HttpContext http)
    {
        var year = now.Today.Year;
        var targets = await RegencyTarget.ForYearAsync(session, year, http.RequestAborted);
        return reference.Regencies.Select(r => new RegencyView(r.Code, r.Name, r.Population,
            targets.GetValueOrDefault(r.Code)?.AsKnownAt(null) is { } t ? new CoverageTarget(t.EligibleWorkers, t.Source, year) : null)).ToArray();
    }
}
