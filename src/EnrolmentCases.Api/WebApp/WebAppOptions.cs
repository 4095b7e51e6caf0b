namespace EnrolmentCases.WebApp;

/// <summary>Where the built web app lives and how it signs people in with the identity provider.</summary>
public sealed class WebAppOptions
{
    public const string Section = "WebApp";

    /// <summary>The folder of the built app (web/dist, copied beside the API as webapp/); a relative path is taken from the API's folder.</summary>
    public string Root { get; set; } = "webapp";

    /// <summary>The OpenID Connect client the app signs in as at Auth:Authority (a public client: authorization code with PKCE).</summary>
    public string? ClientId { get; set; }

    /// <summary>The scopes the app asks the provider for; the access token must carry the API's audience (Auth:Audience).</summary>
    public string Scope { get; set; } = "openid profile";

    public static IEnumerable<string> Rules(WebAppOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.Root)) yield return "Root must name the folder of the built web app, e.g. webapp";
        if (!o.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid"))
            yield return $"Scope must include openid, e.g. \"openid profile\" (is '{o.Scope}')";
        if (o.ClientId is { } id && (id.Length is 0 or > 200 || id.Any(char.IsWhiteSpace)))
            yield return $"ClientId must be the client id registered at the identity provider, without spaces (is '{id}')";
    }
}
