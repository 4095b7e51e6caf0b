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
            authorization.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
            // Readiness detail (projection lag, sealer lag, errors) is for those who run and audit the system.
            authorization.AddPolicy(Operations.HealthDetailsPolicy, policy => policy.RequireRole(Roles.Admin, Roles.Auditor));
        });
        return services;
    }

    private static async Task WriteProblem(HttpContext http, int status, string detail)
    {
        var (slug, title) = Problems.ForStatus(status);
        http.Response.StatusCode = status;
        await Results.Problem(Problems.Create(slug, status, title, detail)).ExecuteAsync(http);
    }

    public static string IssueToken(AuthOptions options, SymmetricSecurityKey key, string subject, string name, string role,
        IEnumerable<string> regencies, TimeSpan lifetime, DateTimeOffset now)
    {
        var claims = new List<Claim>
        {
            new(ClaimNames.Subject, subject),
            new(ClaimNames.Name, name),
            new(ClaimNames.Role, role)
        };
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
