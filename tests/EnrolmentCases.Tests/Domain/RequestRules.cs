using EnrolmentCases.Cases;
using EnrolmentCases.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace EnrolmentCases.Tests.Domain;

public class RequestRules
{
    private static HttpRequest WithIfMatch(string? value)
    {
        var context = new DefaultHttpContext();
        if (value != null) context.Request.Headers.IfMatch = value;
        return context.Request;
    }

    [Theory]
    [InlineData(null, null, true, null)]
    [InlineData(3L, null, true, 3L)]
    [InlineData(null, "\"4\"", true, 4L)]
    [InlineData(null, "W/\"4\"", true, 4L)]
    [InlineData(4L, "\"4\"", true, 4L)]
    [InlineData(3L, "\"4\"", false, null)]
    [InlineData(null, "*", true, null)]
    [InlineData(null, "\"abc\"", false, null)]
    [InlineData(0L, null, false, null)]
    public void the_expected_version_comes_from_the_body_or_if_match(long? body, string? header, bool ok, long? expected)
    {
        Assert.Equal(ok, ETags.TryExpectedVersion(body, WithIfMatch(header), out var actual, out var error));
        if (ok) Assert.Equal(expected, actual);
        else Assert.NotNull(error);
    }

    [Theory]
    [InlineData("0812-7000-1234", true)]
    [InlineData("+62 812 7000 1234", true)]
    [InlineData("(0736) 21234", true)]
    [InlineData("1234", false)]
    [InlineData("0812-7000-1234 ext", false)]
    [InlineData("08+12", false)]
    public void phone_numbers_are_checked_for_plausibility(string phone, bool plausible) =>
        Assert.Equal(plausible, PhoneNumber.IsPlausible(phone));
}
