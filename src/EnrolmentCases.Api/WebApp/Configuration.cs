using EnrolmentCases.Identity;
using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.WebApp;

/// <summary>
/// The web app for people (web/), served by the API itself: its built files anonymously, with a
/// Content-Security-Policy that allows only this origin (and the identity provider's token endpoint),
/// and its page for any other client route (/coverage, /cases/...), so a bookmark or a reload works.
/// The API's own paths are never shadowed: they answer as before, problem details included.
/// </summary>
public static partial class Configuration
{
    /// <summary>First path segments that belong to the API, never to the app's client routes.</summary>
    private static readonly string[] ApiSegments = ["api", "health", "openapi", "docs", "problems"];

    public static IServiceCollection AddWebApp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<WebAppOptions>(configuration, WebAppOptions.Section, WebAppOptions.Rules);
        return services;
    }

    /// <summary>Before authentication: the app's files are public, and the fallback policy would otherwise ask for a token.</summary>
    public static WebApplication UseWebApp(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<WebAppOptions>>().Value;
        var authority = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.Authority;
        var root = Path.Combine(AppContext.BaseDirectory, options.Root);
        // Without a build (a bare `dotnet build`), the API still serves; `/` then answers 404 like any unknown path.
        IFileProvider files = Directory.Exists(root) ? new PhysicalFileProvider(root) : new NullFileProvider();
        var policy = ContentSecurityPolicy(authority);

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                SecurityHeaders(context.Context.Response, policy);
                // Vite names every asset by its content hash: it never changes under its name.
                context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
            }
        });
        app.Use(async (http, next) =>
        {
            if (IsClientRoute(http) && files.GetFileInfo("index.html") is { Exists: true } index)
            {
                SecurityHeaders(http.Response, policy);
                http.Response.Headers.CacheControl = "no-cache";
                http.Response.ContentType = "text/html; charset=utf-8";
                await http.Response.SendFileAsync(index, http.RequestAborted);
                return;
            }

            await next(http);
        });
        return app;
    }

    /// <summary>
    /// A page request no endpoint answers: GET or HEAD, no file extension, outside the API's paths. An extension starts
    /// with a letter (".js", ".png"): a regency code such as 17.04 in /timeline/17.04 is a page, not a file.
    /// </summary>
    public static bool IsClientRoute(HttpContext http)
    {
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method)) return false;
        if (http.GetEndpoint() is not null) return false;
        var path = http.Request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length > 0 && ApiSegments.Contains(segments[0], StringComparer.OrdinalIgnoreCase)) return false;
        return segments.Length == 0 || !FileExtension().IsMatch(segments[^1]);
    }

    /// <summary>Only this origin, no inline script or style, no framing; the provider's origin for the token exchange.</summary>
    public static string ContentSecurityPolicy(string? authority)
    {
        var provider = Uri.TryCreate(authority, UriKind.Absolute, out var uri) ? " " + uri.GetLeftPart(UriPartial.Authority) : "";
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; " +
               $"connect-src 'self'{provider}; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
    }

    private static void SecurityHeaders(HttpResponse response, string policy)
    {
        response.Headers.ContentSecurityPolicy = policy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\.[A-Za-z][A-Za-z0-9]*$")]
    private static partial System.Text.RegularExpressions.Regex FileExtension();
}
