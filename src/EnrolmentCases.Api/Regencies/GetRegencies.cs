using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace EnrolmentCases.Regencies;

public sealed record RegencyView(string Code, string Name, int? Population);

public static class GetRegenciesEndpoint
{
    /// <summary>The regencies and city of the province: reference data, readable by every role.</summary>
    [WolverineGet("/api/regencies", Name = "GetRegencies")]
    [ProducesResponseType<RegencyView[]>(200)]
    public static RegencyView[] Get(ReferenceData reference) =>
        reference.Regencies.Select(r => new RegencyView(r.Code, r.Name, r.Population)).ToArray();
}
