using EnrolmentCases.Infrastructure;

namespace EnrolmentCases.Tests.Domain;

public class InputRules
{
    private static readonly DateOnly Earliest = new(2014, 1, 1);

    private static readonly InputBounds Bounds = new(Earliest, new DateOnly(2036, 12, 31),
        new DateTimeOffset(2014, 1, 1, 0, 0, 0, TimeSpan.FromHours(7)), new DateTimeOffset(2036, 12, 31, 23, 59, 59, TimeSpan.FromHours(7)));

    private static IDictionary<string, string[]> Errors(Action<ValidationErrors> rules)
    {
        var errors = new ValidationErrors();
        rules(errors);
        return errors.ToDictionary();
    }

    [Theory]
    [InlineData("Siti Aminah", false, false)]
    [InlineData("Désa Ñusantara 中文 😀", false, false)]
    [InlineData("\u0000", false, true)]
    [InlineData("a\u001bb", false, true)]
    [InlineData("a\u007fb", false, true)]
    [InlineData("a\u0085b", false, true)]
    [InlineData("line\nbreak", false, true)]
    [InlineData("line\r\nbreak\tand tab", true, false)]
    [InlineData("bell\u0007", true, true)]
    public void free_text_refuses_control_characters_and_broken_surrogates(string text, bool multiline, bool forbidden) =>
        Assert.Equal(forbidden, Inputs.HasForbiddenCharacter(text, multiline));

    // Built here rather than in InlineData, whose serialization would replace a lone surrogate.
    [Fact]
    public void free_text_refuses_broken_surrogate_pairs()
    {
        Assert.True(Inputs.HasForbiddenCharacter("broken " + (char)0xD800 + " pair"));
        Assert.True(Inputs.HasForbiddenCharacter("lone low " + (char)0xDC00));
        Assert.True(Inputs.HasForbiddenCharacter("ends high " + (char)0xD83D));
        Assert.False(Inputs.HasForbiddenCharacter("pair " + (char)0xD83D + (char)0xDE00));
    }

    [Fact]
    public void text_over_its_length_is_refused_by_length()
    {
        var errors = Errors(e => e.Text("fileName", new string('a', 256), 255));
        Assert.Equal(["must be at most 255 characters"], errors["fileName"]);
        Assert.Empty(Errors(e => e.Text("fileName", new string('a', 255), 255)));
        Assert.Empty(Errors(e => e.Text("fileName", null, 255)));
    }

    [Fact]
    public void the_horizon_ends_with_the_last_day_of_the_year_that_many_years_ahead() =>
        Assert.Equal((Earliest, new DateOnly(2036, 12, 31)), Inputs.Range(Earliest, new DateOnly(2026, 3, 2), 10));

    [Theory]
    [InlineData("2013-12-31", true)]
    [InlineData("2014-01-01", false)]
    [InlineData("2036-12-31", false)]
    [InlineData("2037-01-01", true)]
    [InlineData("0001-01-01", true)]
    [InlineData("9999-12-31", true)]
    public void dates_outside_the_bounds_are_refused(string date, bool refused) =>
        Assert.Equal(refused, Errors(e => e.Date("effectiveDate", DateOnly.Parse(date), Bounds)).ContainsKey("effectiveDate"));

    [Theory]
    [InlineData(2013, true)]
    [InlineData(2014, false)]
    [InlineData(2036, false)]
    [InlineData(2037, true)]
    [InlineData(int.MaxValue, true)]
    [InlineData(int.MinValue, true)]
    public void years_outside_the_bounds_are_refused(int year, bool refused) =>
        Assert.Equal(refused, Errors(e => e.Year("year", year, Bounds)).ContainsKey("year"));

    [Fact]
    public void instants_are_compared_in_the_province_zone()
    {
        Assert.True(Errors(e => e.Instant("occurredAt", new DateTimeOffset(2013, 12, 31, 16, 59, 59, TimeSpan.Zero), Bounds)).ContainsKey("occurredAt"));
        Assert.Empty(Errors(e => e.Instant("occurredAt", new DateTimeOffset(2013, 12, 31, 17, 0, 0, TimeSpan.Zero), Bounds)));
        Assert.True(Errors(e => e.Instant("occurredAt", DateTimeOffset.MaxValue, Bounds)).ContainsKey("occurredAt"));
        Assert.True(Errors(e => e.Instant("occurredAt", DateTimeOffset.MinValue, Bounds)).ContainsKey("occurredAt"));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(Inputs.MaxPage, false)]
    [InlineData(Inputs.MaxPage + 1, true)]
    [InlineData(int.MaxValue, true)]
    public void page_numbers_are_bounded(int page, bool refused) =>
        Assert.Equal(refused, Errors(e => e.Page("page", page)).ContainsKey("page"));

    [Theory]
    [InlineData(null, "is required")]
    [InlineData(0L, "must be a positive amount in rupiah")]
    [InlineData(-1L, "must be a positive amount in rupiah")]
    [InlineData(long.MaxValue, "must be at most Rp 1,000,000,000")]
    public void amounts_are_positive_and_bounded(long? amount, string message) =>
        Assert.Equal([message], Errors(e => e.Amount("amount", amount, Inputs.MaxMonthlyAmount))["amount"]);
}
