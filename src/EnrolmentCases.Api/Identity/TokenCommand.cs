using EnrolmentCases.Regencies;
using JasperFx.CommandLine;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace EnrolmentCases.Identity;

public class TokenInput : NetCoreInput
{
    [Description("One or more of caseworker, auditor, planner, admin (default caseworker)")]
    [FlagAlias("role", 'r')]
    public List<string> RoleFlag { get; set; } = [];

    [Description("Regency codes a caseworker works in, e.g. --regency 17.04 17.07")]
    [FlagAlias("regency")]
    public List<string> RegencyFlag { get; set; } = [];

    [Description("Display name recorded on every event the user causes")]
    [FlagAlias("name", 'n')]
    public string NameFlag { get; set; } = "";

    [Description("User id (sub claim); derived from the name when omitted")]
    [FlagAlias("sub")]
    public string SubFlag { get; set; } = "";

    [Description("Lifetime in hours, 1 to 8")]
    [FlagAlias("hours")]
    public int HoursFlag { get; set; } = 8;
}

/// <summary>
/// Mints development tokens only: in the Development environment, signed with the public development
/// key, for known roles and at most eight hours. Anywhere else tokens come from the identity provider,
/// and this command refuses (exit code 1, the reason on stderr, nothing on stdout).
/// </summary>
[Description("Prints a bearer token signed with the development key (Development environment only)", Name = "token")]
public class TokenCommand : JasperFxCommand<TokenInput>
{
    public override bool Execute(TokenInput input)
    {
        IHost host;
        try
        {
            host = input.BuildHost();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"Cannot mint a development token here: {e.Message}");
            return false;
        }

        using var _ = host;
        var environment = host.Services.GetRequiredService<IHostEnvironment>();
        var options = host.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var reference = host.Services.GetRequiredService<ReferenceData>();

        if (!environment.IsDevelopment())
        {
            Console.Error.WriteLine($"The token command mints development tokens only, and this is the {environment.EnvironmentName} environment: " +
                                    "tokens come from the identity provider (Auth:Authority) here.");
            return false;
        }

        if (!Authentication.UsesDevelopmentKey(options, environment))
        {
            Console.Error.WriteLine("The token command signs with the development key only, and another Auth:SigningKey is configured: " +
                                    "it will not sign with a real key.");
            return false;
        }

        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Authentication.DevelopmentSigningKey));
        var roles = input.RoleFlag.Count == 0 ? [Roles.Caseworker] : input.RoleFlag.Distinct().ToList();
        var unknownRoles = roles.Where(r => !Roles.All.Contains(r)).ToList();
        if (unknownRoles.Count > 0)
        {
            Console.Error.WriteLine($"Unknown role '{string.Join("', '", unknownRoles)}'. Use one of: {string.Join(", ", Roles.All)}.");
            return false;
        }

        if (input.HoursFlag is < 1 or > Authentication.MaxDevelopmentTokenHours)
        {
            Console.Error.WriteLine($"--hours must be between 1 and {Authentication.MaxDevelopmentTokenHours}.");
            return false;
        }

        var unknown = input.RegencyFlag.Where(r => reference.FindRegency(r) is null).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"Unknown regency code(s): {string.Join(", ", unknown)}. See GET /api/regencies.");
            return false;
        }

        if (roles.Contains(Roles.Caseworker) && input.RegencyFlag.Count == 0)
        {
            Console.Error.WriteLine("A caseworker needs at least one --regency.");
            return false;
        }

        var name = string.IsNullOrWhiteSpace(input.NameFlag) ? $"Dev {string.Join(" ", roles)}" : input.NameFlag;
        var subject = string.IsNullOrWhiteSpace(input.SubFlag)
            ? $"{roles[0]}:{name.ToLowerInvariant().Replace(' ', '.')}"
            : input.SubFlag;
        Console.WriteLine(Authentication.IssueToken(options, key, subject, name, roles, input.RegencyFlag,
            TimeSpan.FromHours(input.HoursFlag), DateTimeOffset.UtcNow));
        return true;
    }
}
