using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EnrolmentCases.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static EnrolmentCases.Tests.Api.Routes;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Every route the host maps, read from its endpoint metadata, against the table in Routes: without a
/// token 401, with a role the table does not allow 403, with an allowed role neither (a 400 or a 409
/// is fine: it passed authorisation), and for a case or an import, a caseworker of another regency
/// is told 404. A route mapped without a line in the table fails here, so no route reaches production
/// without someone deciding who may call it.
/// </summary>
[Collection(InputsCollection.Name)]
public class RouteAuthorisation(InputsFixture api)
{
    /// <summary>Every endpoint the host routes to, keyed like the table ("ANY" when it takes every method).</summary>
    private IReadOnlyList<(string Key, RouteEndpoint Endpoint)> Mapped() =>
        api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(method => ($"{method} /{e.RoutePattern.RawText!.TrimStart('/')}", e)))
            .ToList();

    [Fact]
    public void every_mapped_route_has_a_line_in_the_table_and_every_line_maps_a_route()
    {
        var mapped = Mapped().Select(m => m.Key).ToHashSet();
        var table = All.Select(r => r.Key).ToList();

        Assert.True(table.Count == table.Distinct().Count(), "the table lists a route twice");
        var unlisted = mapped.Except(table).Order().ToList();
        Assert.True(unlisted.Count == 0,
            "Routes mapped without a line in Routes.All (decide who may call each, from product.md, and add it):\n" + string.Join("\n", unlisted));
        var gone = table.Except(mapped).Order().ToList();
        Assert.True(gone.Count == 0, "Lines in Routes.All that map no route (renamed or removed?):\n" + string.Join("\n", gone));
    }

    [Fact]
    public void every_route_declares_its_authorisation_and_only_the_anonymous_ones_of_the_table_allow_anonymous_callers()
    {
        var anonymous = All.Where(r => r.Anonymous).Select(r => r.Key).ToHashSet();
        var undeclared = new List<string>();
        var wronglyAnonymous = new List<string>();
        foreach (var (key, endpoint) in Mapped())
        {
            var allowsAnonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (!allowsAnonymous && endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Count == 0) undeclared.Add(key);
            if (allowsAnonymous != anonymous.Contains(key)) wronglyAnonymous.Add($"{key} (allows anonymous: {allowsAnonymous})");
        }

        Assert.True(undeclared.Count == 0,
            "Endpoints without [Authorize] or [AllowAnonymous] (they rely on the fallback policy alone):\n" + string.Join("\n", undeclared));
        Assert.True(wronglyAnonymous.Count == 0, "Anonymous access differs from the table:\n" + string.Join("\n", wronglyAnonymous));
    }

    public static TheoryData<string> Lines => new(All.Select(r => r.Key));

    public static TheoryData<string> IdLines => new(All.Where(r => r.Id is Resource.Case or Resource.Import).Select(r => r.Key));

    [Theory]
    [MemberData(nameof(Lines))]
    public async Task without_a_token_401_for_a_role_not_allowed_403_and_for_an_allowed_role_neither(string key)
    {
        var route = All.Single(r => r.Key == key);
        var owner = api.Token(Roles.Caseworker, "17.04");
        var id = await ResourceFor(route, owner);
        var tokens = new Dictionary<string, string>
        {
            [Roles.Caseworker] = owner,
            [Roles.Auditor] = api.Token(Roles.Auditor),
            [Roles.Planner] = api.Token(Roles.Planner),
            [Roles.Admin] = api.Token(Roles.Admin)
        };
        var failures = new List<string>();

        var (status, slug) = await SendAsync(route, id, token: null);
        if (route.Anonymous ? status is 401 or 403 or >= 500 : (status, slug) != (401, "unauthorized"))
            failures.Add($"no token -> {status} {slug}");

        foreach (var role in Roles.All)
        {
            (status, slug) = await SendAsync(route, id, tokens[role]);
            var allowed = route.Anonymous || route.Allowed.Contains(role);
            if (!allowed && (status, slug) != (403, "forbidden")) failures.Add($"{role}, not allowed -> {status} {slug} (expected 403)");
            if (allowed && (status is 401 or 403 or >= 500 || (status == 404 && route.Id is Resource.Case or Resource.Import)))
                failures.Add($"{role}, allowed -> {status} {slug}");
        }

        Assert.True(failures.Count == 0, $"{route.Line}:\n" + string.Join("\n", failures));
    }

    [Theory]
    [MemberData(nameof(IdLines))]
    public async Task a_caseworker_of_another_regency_is_told_the_case_or_import_does_not_exist(string key)
    {
        var route = All.Single(r => r.Key == key);
        var id = await ResourceFor(route, api.Token(Roles.Caseworker, "17.04"));
        var before = await api.WrittenAsync();

        var (status, slug) = await SendAsync(route, id, api.Token(Roles.Caseworker, "17.07"));

        Assert.True((status, slug) == (404, "not-found"), $"{route.Line} by a caseworker of Lebong -> {status} {slug}");
        Assert.Equal(before, await api.WrittenAsync());
    }

    /// <summary>The id the route's path names: a case of Kaur, an import by the owner, or a job that does not exist.</summary>
    private async Task<Guid> ResourceFor(Routes.Route route, string owner) => route.Id switch
    {
        Resource.Case => await api.Host.IdentifyWorker(owner),
        Resource.Import => await api.Host.StartImport(owner, CsvHeader),
        _ => Guid.NewGuid()
    };

    /// <summary>The route's sample request (placeholders filled, a fresh NIK), answered with its status and problem slug.</summary>
    private async Task<(int Status, string? Slug)> SendAsync(Routes.Route route, Guid id, string? token)
    {
        using var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(route.Method == "ANY" ? "GET" : route.Method), route.Url(id));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (route.SampleBody() is { } body)
            request.Content = new StringContent(body, Encoding.UTF8, route.ContentType);
        using var response = await client.SendAsync(request);
        string? slug = null;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
            slug = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Slug();
        return ((int)response.StatusCode, slug);
    }
}
