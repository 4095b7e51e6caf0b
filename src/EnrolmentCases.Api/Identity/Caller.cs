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

/// <summary>Who is calling, read from the validated bearer token.</summary>
public sealed record Caller(string Id, string Name, string Role, IReadOnlySet<string> Regencies)
{
    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(ClaimNames.Subject) ?? "",
        user.FindFirstValue(ClaimNames.Name) ?? "",
        user.FindFirstValue(ClaimNames.Role) ?? "",
        user.FindAll(ClaimNames.Regency).Select(c => c.Value).ToHashSet());

    public static Caller System(string job) => new($"system:{job}", $"Scheduled {job}", Roles.System, new HashSet<string>());

    /// <summary>May this caller read personal case data of the given regency?</summary>
    public bool CanSeeCasesOf(string regencyCode) =>
        Role == Roles.Auditor || (Role == Roles.Caseworker && Regencies.Contains(regencyCode));

    public bool CanChangeCasesOf(string regencyCode) =>
        Role == Roles.System || (Role == Roles.Caseworker && Regencies.Contains(regencyCode));
}
