using System.Security.Claims;
using System.Text;
using EnrolmentCases.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace EnrolmentCases.Identity;

public sealed class AuthOptions
{
    public const string Section = "Auth";

    public string Issuer { get; set; } = "enrolment-cases";
    public string Audience { get; set; } = "enrolment-cases-api";

    /// <summary>OpenID Connect authority issuing tokens in production; when set, its keys are used.</summary>
    public string? Authority { get; set; }

    /// <summary>Symmetric signing key (at least 32 bytes) for deployments without an authority.</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// The development key is honoured only while the API listens on loopback addresses; true lets a
    /// Development host listen on the network too (containers, whose port is published on loopback).
    /// </summary>
    public bool AllowDevelopmentKeyOnNetwork { get; set; }

    public static IEnumerable<string> Rules(AuthOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Issuer)) yield return "Issuer must not be empty";
        if (string.IsNullOrWhiteSpace(o.Audience)) yield return "Audience must not be empty";
        if (!string.IsNullOrEmpty(o.Authority) && !Uri.TryCreate(o.Authority, UriKind.Absolute, out _))
            yield return $"Authority must be an absolute URL such as https://login.example.go.id/realms/bpjs (is '{o.Authority}')";
        if (!string.IsNullOrEmpty(o.SigningKey) && Encoding.UTF8.GetByteCount(o.SigningKey) < 32) yield return "SigningKey must be at least 32 bytes";
    }
}

public static class Authentication
{
    /// <summary>
    /// Signs development tokens (`./run.sh -- token`). It is public in this repository, so it is
    /// accepted only when the host runs in the Development environment.
    /// </summary>
    public const string DevelopmentSigningKey = "enrolment-cases-development-only-signing-key-2026";

    public static SymmetricSecurityKey? SigningKeyFor(AuthOptions options, IHostEnvironment environment)
    {
        if (!string.IsNullOrEmpty(options.SigningKey))
        {
            if (options.SigningKey == DevelopmentSigningKey && !environment.IsDevelopment())
                throw new InvalidOperationException("The development signing key must not be used outside the Development environment.");
            if (Encoding.UTF8.GetByteCount(options.SigningKey) < 32)
                throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes.");
            return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(options.SigningKey));
        }

        return environment.IsDevelopment() ? new SymmetricSecurityKey(Encoding.UTF8.GetBytes(DevelopmentSigningKey)) : null;
    }

    /// <summary>Whether the host trusts the public development key (tokens from `./run.sh -- token`).</summary>
    public static bool UsesDevelopmentKey(AuthOptions options, IHostEnvironment environment) =>
        environment.IsDevelopment() && (string.IsNullOrEmpty(options.SigningKey) || options.SigningKey == DevelopmentSigningKey);

    /// <summary>The longest lifetime of a development token, in hours.</summary>
    public const int MaxDevelopmentTokenHours = 8;

    public static IServiceCollection AddCaseworkerIdentity(this IServiceCollection services, IConfiguration configuration,
        IHostEnvironment environment)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var key = SigningKeyFor(options, environment);
        if (key is null && string.IsNullOrEmpty(options.Authority))
            throw new InvalidOperationException("Configure Auth:Authority or Auth:SigningKey outside the Development environment.");

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(jwt =>
        {
            jwt.MapInboundClaims = false;
            jwt.Authority = options.Authority;
            jwt.RequireHttpsMetadata = !environment.IsDevelopment();
            jwt.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = options.Issuer,
                ValidAudience = options.Audience,
                IssuerSigningKey = key,
                ValidateIssuerSigningKey = key is not null,
                NameClaimType = ClaimNames.Name,
                RoleClaimType = ClaimNames.Role,
                ClockSkew = TimeSpan.FromMinutes(1)
            };
            jwt.Events = new JwtBearerEvents
            {
                // A token with an unknown role (or `system`, or none) keeps no role at all, so every policy
                // (role-based ones included, which ASP.NET does not combine with the default policy) answers 403.
                OnTokenValidated = context =>
                {
                    if (context.Principal is { } principal && !RoleRules.Acceptable(principal))
                        context.Principal = RoleRules.WithoutRoles(principal);
                    return Task.CompletedTask;
                },
                // Answer with problem details instead of a bare status code.
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    await WriteProblem(context.HttpContext, 401, context.ErrorDescription ?? "A valid bearer token is required.");
                },
                OnForbidden = context => WriteProblem(context.HttpContext, 403, "Your role does not allow this request.")
            };
        });

        services.AddAuthorization(authorization =>
        {
            // Everything needs a token unless an endpoint explicitly allows anonymous access.
            // Every policy also refuses a token carrying an unknown role (or `system`, or none): see RoleRules.
            var knownRoles = new AuthorizationPolicyBuilder().RequireAuthenticatedUser()
                .RequireAssertion(context => RoleRules.Acceptable(context.User)).Build();
            authorization.DefaultPolicy = knownRoles;
            authorization.FallbackPolicy = knownRoles;
            authorization.AddPolicy(RoleRules.Policy, knownRoles);
            // Readiness detail (projection lag, sealer lag, errors) is for those who run and audit the system.
            authorization.AddPolicy(Operations.HealthDetailsPolicy, policy => policy.Combine(knownRoles).RequireRole(Roles.Admin, Roles.Auditor));
        });
        if (UsesDevelopmentKey(options, environment) && !options.AllowDevelopmentKeyOnNetwork)
            services.AddHostedService<DevelopmentKeyOnLoopback>();
        return services;
    }

    private static async Task WriteProblem(HttpContext http, int status, string detail)
    {
        var (slug, title) = Problems.ForStatus(status);
        http.Response.StatusCode = status;
        await Results.Problem(Problems.Create(slug, status, title, detail)).ExecuteAsync(http);
    }

    public static string IssueToken(AuthOptions options, SymmetricSecurityKey key, string subject, string name, string role,
        IEnumerable<string> regencies, TimeSpan lifetime, DateTimeOffset now) =>
        IssueToken(options, key, subject, name, [role], regencies, lifetime, now);

    public static string IssueToken(AuthOptions options, SymmetricSecurityKey key, string subject, string name,
        IReadOnlyCollection<string> roles, IEnumerable<string> regencies, TimeSpan lifetime, DateTimeOffset now)
    {
        var claims = new List<Claim>
        {
            new(ClaimNames.Subject, subject),
            new(ClaimNames.Name, name)
        };
        claims.AddRange(roles.Select(r => new Claim(ClaimNames.Role, r)));
        claims.AddRange(regencies.Select(r => new Claim(ClaimNames.Regency, r)));

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256)
        });
    }
}

/// <summary>
/// The development key is public, so a Development host that trusts it must not be reachable from
/// the network: once the server has bound its addresses, any address that is not loopback stops the
/// host with an error (unless Auth:AllowDevelopmentKeyOnNetwork). A host without a real server
/// (the tests' in-memory one) has no addresses and passes.
/// </summary>
public sealed class DevelopmentKeyOnLoopback(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var addresses = services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        var exposed = addresses.Where(a => !IsLoopback(a)).ToList();
        if (exposed.Count > 0)
            throw new InvalidOperationException(
                $"The Development environment trusts the public development signing key, so it listens on loopback only, not on {string.Join(", ", exposed)}. " +
                "Serve on 127.0.0.1 (./run.sh --urls http://127.0.0.1:5080), configure Auth:SigningKey or Auth:Authority in a non-Development environment, " +
                "or set Auth:AllowDevelopmentKeyOnNetwork=true where the network is private (a container whose port is published on loopback).");
        return Task.CompletedTask;
    }

    public static bool IsLoopback(string address)
    {
        if (!Uri.TryCreate(address.Replace("://+", "://wildcard").Replace("://*", "://wildcard"), UriKind.Absolute, out var uri)) return false;
        if (uri.IsLoopback) return true; // localhost, 127.0.0.0/8, [::1]
        return System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
