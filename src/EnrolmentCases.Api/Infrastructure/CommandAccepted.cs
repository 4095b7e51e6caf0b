namespace EnrolmentCases.Infrastructure;

/// <summary>The answer to every command on a stream: its id and the version the command produced.</summary>
public sealed record CommandAccepted(Guid Id, long Version);

/// <summary>
/// The HTTP answer of an accepted command: 200 (or 201 with Location for a new stream), the new
/// version as the ETag, and CommandAccepted as the body. A value, so handlers stay free of HttpContext.
/// </summary>
public sealed record CommandAnswer(Guid Id, long Version, string? Location = null) : IResult
{
    public static CommandAnswer Created(Guid id, long version, string location) => new(id, version, location);

    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.Headers.ETag = ETags.For(Version);
        var body = new CommandAccepted(Id, Version);
        return (Location is null ? Results.Ok(body) : Results.Created(Location, body)).ExecuteAsync(http);
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
