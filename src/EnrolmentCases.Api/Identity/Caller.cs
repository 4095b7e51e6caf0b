using System.Security.Claims;

namespace EnrolmentCases.Identity;

public static class Roles
{
    public const string Caseworker = "caseworker";
    public const string Auditor = "auditor";
    public const string Planner = "planner";
    public const string Admin = "admin";

    /// <summary>Scheduled work inside the application; never issued in a token.</summary>
    public const string System = "system";

    public static readonly string[] All = [Caseworker, Auditor, Planner, Admin];
}

public static class ClaimNames
{
    public const string Subject = "sub";
    public const string Name = "name";
    public const string Role = "role";
    public const string Regency = "regency";
}

/// <summary>
/// Who is calling, read from the validated bearer token: every `role` claim counts. A token may
/// never make its bearer the system (see <see cref="RoleRules"/>): only <see cref="System"/>,
/// created in-process by the sweep and similar jobs, acts as it.
/// </summary>
public sealed record Caller(string Id, string Name, IReadOnlySet<string> Roles, IReadOnlySet<string> Regencies)
{
    private bool IsSystem { get; init; }

    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimNames.Subject) ?? "",
        user.FindFirstValue(ClaimNames.Name) ?? "",
        // Only the roles a token may carry; the authorisation policy has already refused any other.
        user.FindAll(ClaimNames.Role).Select(c => c.Value).Where(EnrolmentCases.Identity.Roles.All.Contains).ToHashSet(),
        user.FindAll(ClaimNames.Regency).Select(c => c.Value).ToHashSet());

    public static Caller System(string job) =>
        new($"system:{job}", $"Scheduled {job}", new HashSet<string> { EnrolmentCases.Identity.Roles.System }, new HashSet<string>())
        {
            IsSystem = true
        };

    /// <summary>The roles as recorded on events: comma-separated, in a stable order.</summary>
    public string Role => string.Join(",", Roles.Order(StringComparer.Ordinal));

    public bool Has(string role) => Roles.Contains(role);

    /// <summary>May this caller read personal case data of the given regency?</summary>
    public bool CanSeeCasesOf(string regencyCode) =>
        Has(EnrolmentCases.Identity.Roles.Auditor) || (Has(EnrolmentCases.Identity.Roles.Caseworker) && Regencies.Contains(regencyCode));

    /// <summary>
    /// May this caller set targets and record allocations for the regency (null: the province's own
    /// budget)? A planner with `regency` claims is that regency's Bappeda and plans for those
    /// regencies only; a planner without one is the province's and may plan for any.
    /// </summary>
    public bool CanPlanFor(string? regencyCode) =>
        Has(EnrolmentCases.Identity.Roles.Planner) &&
        (Regencies.Count == 0 || (regencyCode is not null && Regencies.Contains(regencyCode)));

    public bool CanChangeCasesOf(string regencyCode) =>
        IsSystem || (Has(EnrolmentCases.Identity.Roles.Caseworker) && Regencies.Contains(regencyCode));
}

/// <summary>
/// Which role claims a token may carry: at least one, and only known ones. A token naming any other
/// role (`system` included, or a misspelling) is refused as a whole with 403 on every route, rather
/// than honoured in part: an identity provider that sends a role this API does not know is
/// misconfigured, and guessing what it meant is how privileges leak.
/// </summary>
public static class RoleRules
{
    public const string Policy = "known-roles";

    public static bool Acceptable(ClaimsPrincipal user)
    {
        var roles = user.FindAll(ClaimNames.Role).Select(c => c.Value).ToList();
        return roles.Count > 0 && roles.All(Roles.All.Contains);
    }

    /// <summary>The same caller stripped of every role claim: authenticated, allowed nothing.</summary>
    public static ClaimsPrincipal WithoutRoles(ClaimsPrincipal user) => new(user.Identities.Select(identity =>
        new ClaimsIdentity(identity.Claims.Where(c => c.Type != ClaimNames.Role && c.Type != identity.RoleClaimType),
            identity.AuthenticationType, identity.NameClaimType, identity.RoleClaimType)));
}
