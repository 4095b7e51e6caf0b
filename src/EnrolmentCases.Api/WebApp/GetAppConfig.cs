using EnrolmentCases.Identity;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.WebApp;

/// <summary>How the web app may sign people in here: with a pasted development token, with the identity provider, or both.</summary>
public sealed record AppConfig(bool DevelopmentTokens, OidcSignIn? Oidc);

/// <summary>The authorization-code flow with PKCE: the provider (its discovery document), the app's client id and scopes.</summary>
public sealed record OidcSignIn(string Authority, string ClientId, string Scope);

public static class GetAppConfigEndpoint
{
    [WolverineGet("/api/app-config", OperationId = "GetAppConfig", Summary = "How the web app signs in",
        Description = "What the web app needs before anyone has signed in: whether development tokens are accepted (the Development " +
                      "environment with the development key) and the OpenID Connect provider, client id and scopes when configured. " +
                      "Holds no secret.")]
    [Tags("Operations"), AllowAnonymous]
    public static AppConfig Get(IOptions<AuthOptions> auth, IOptions<WebAppOptions> webApp, IHostEnvironment environment) =>
        new(Authentication.UsesDevelopmentKey(auth.Value, environment),
            string.IsNullOrEmpty(auth.Value.Authority) || string.IsNullOrEmpty(webApp.Value.ClientId)
                ? null
                : new OidcSignIn(auth.Value.Authority, webApp.Value.ClientId, webApp.Value.Scope));
}
