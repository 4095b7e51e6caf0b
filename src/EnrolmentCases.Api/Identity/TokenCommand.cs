using EnrolmentCases.Regencies;
using JasperFx.CommandLine;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Identity;

public class TokenInput : NetCoreInput
{
    [Description("caseworker, auditor, planner or admin")]
    [FlagAlias("role", 'r')]
    public string RoleFlag { get; set; } = Roles.Caseworker;

    [Description("Regency codes a caseworker works in, e.g. --regency 17.04 17.07")]
    [FlagAlias("regency")]
    public List<string> RegencyFlag { get; set; } = [];

    [Description("Display name recorded on every event the user causes")]
    [FlagAlias("name", 'n')]
    public string NameFlag { get; set; } = "";

    [Description("User id (sub claim); derived from the name when omitted")]
    [FlagAlias("sub")]
    public string SubFlag { get; set; } = "";

    [Description("Lifetime in hours")]
    [FlagAlias("hours")]
    public int HoursFlag { get; set; } = 8;
}

[Description("Prints a bearer token signed with the development key", Name = "token")]
public class TokenCommand : JasperFxCommand<TokenInput>
{
    public override bool Execute(TokenInput input)
    {
        using var host = input.BuildHost();
        var environment = host.Services.GetRequiredService<IHostEnvironment>();
        var options = host.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var reference = host.Services.GetRequiredService<ReferenceData>();

        var key = Authentication.SigningKeyFor(options, environment);
        if (key is null)
        {
            Console.Error.WriteLine("No signing key is configured: tokens come from the identity provider in this environment.");
            return false;
        }

        if (!Roles.All.Contains(input.RoleFlag))
        {
            Console.Error.WriteLine($"Unknown role '{input.RoleFlag}'. Use one of: {string.Join(", ", Roles.All)}.");
            return false;
        }

        var unknown = input.RegencyFlag.Where(r => reference.FindRegency(r) is null).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"Unknown regency code(s): {string.Join(", ", unknown)}. See GET /api/regencies.");
            return false;
        }

        if (input.RoleFlag == Roles.Caseworker && input.RegencyFlag.Count == 0)
        {
            Console.Error.WriteLine("A caseworker needs at least one --regency.");
            return false;
        }

        var name = string.IsNullOrWhiteSpace(input.NameFlag) ? $"Dev {input.RoleFlag}" : input.NameFlag;
        var subject = string.IsNullOrWhiteSpace(input.SubFlag)
            ? $"{input.RoleFlag}:{name.ToLowerInvariant().Replace(' ', '.')}"
            : input.SubFlag;
        Console.WriteLine(Authentication.IssueToken(options, key, subject, name, input.RoleFlag, input.RegencyFlag,
            TimeSpan.FromHours(input.HoursFlag), DateTimeOffset.UtcNow));
        return true;
    }
}
