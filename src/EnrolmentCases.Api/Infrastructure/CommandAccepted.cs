namespace EnrolmentCases.Infrastructure;

/// <summary>The answer to every command on a stream: its id and the version the command produced.</summary>
public sealed record CommandAccepted(Guid Id, long Version)
{
    public static IResult Created(HttpContext http, Guid id, long version)
    {
        http.Response.Headers.ETag = ETags.For(version);
        return Results.Created($"/api/cases/{id}", new CommandAccepted(id, version));
    }

    public static IResult Ok(HttpContext http, Guid id, long version)
    {
        http.Response.Headers.ETag = ETags.For(version);
        return Results.Ok(new CommandAccepted(id, version));
    }
}

public static class ETags
{
    public static string For(long version) => $"\"{version}\"";

    /// <summary>
    /// The version a command expects, from the body's expectedVersion or an If-Match header.
    /// Both may be given only when they agree.
    /// </summary>
    public static bool TryExpectedVersion(long? fromBody, HttpRequest request, out long? expected, out string? error)
    {
        expected = fromBody;
        error = null;
        var header = request.Headers.IfMatch.ToString();
        // "*" asks only that the case exists, which every command checks anyway.
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*") return Validate(expected, out error);

        var raw = header.Trim();
        if (raw.StartsWith("W/", StringComparison.Ordinal)) raw = raw[2..];
        raw = raw.Trim('"');
        if (!long.TryParse(raw, System.Globalization.NumberStyles.None, null, out var fromHeader))
        {
            error = "If-Match must be a single version tag such as \"3\"";
            return false;
        }

        if (fromBody is not null && fromBody != fromHeader)
        {
            error = "expectedVersion and If-Match disagree";
            return false;
        }

        expected = fromHeader;
        return Validate(expected, out error);
    }

    private static bool Validate(long? expected, out string? error)
    {
        error = expected is < 1 ? "expectedVersion must be 1 or more" : null;
        return error is null;
    }
}
