using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// A request body may hold at most 1 MiB (Inputs.MaxBodyBytes), unless its endpoint declares its own
/// limit ([RequestSizeLimit], as imports do). A declared length over the limit is refused with 413
/// before anything reads the body; a body without a declared length (chunked) is cut off at the limit
/// by the server, whose error ErrorHandling turns into the same 413.
/// </summary>
public static class BodyLimits
{
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? Inputs.MaxBodyBytes;
        if (http.Request.ContentLength > limit)
        {
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await Results.Problem(Problems.Create(Problems.PayloadTooLarge, 413, "The request body is too large",
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"This endpoint takes a body of at most {limit:N0} bytes."))).ExecuteAsync(http);
            return;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = limit;
        await next(http);
    });
}
