using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EnrolmentCases.Money;

/// <summary>A calendar month, written "YYYY-MM": premiums, subsidies and lapses all count in months.</summary>
[JsonConverter(typeof(YearMonthJsonConverter))]
public readonly record struct YearMonth(int Year, int Month) : IComparable<YearMonth>
{
    /// <summary>Months since year 0: consecutive months have consecutive indexes, which makes month arithmetic and queries plain integers.</summary>
    public int Index => Year * 12 + Month - 1;

    public static YearMonth FromIndex(int index) => new(index / 12, index % 12 + 1);

    public static YearMonth Of(DateOnly date) => new(date.Year, date.Month);

    public YearMonth AddMonths(int months) => FromIndex(Index + months);

    public DateOnly FirstDay => new(Year, Month, 1);

    public int CompareTo(YearMonth other) => Index.CompareTo(other.Index);

    public static bool operator <(YearMonth a, YearMonth b) => a.Index < b.Index;
    public static bool operator >(YearMonth a, YearMonth b) => a.Index > b.Index;
    public static bool operator <=(YearMonth a, YearMonth b) => a.Index <= b.Index;
    public static bool operator >=(YearMonth a, YearMonth b) => a.Index >= b.Index;

    public override string ToString() => $"{Year:0000}-{Month:00}";

    public static bool TryParse([NotNullWhen(true)] string? text, out YearMonth month)
    {
        month = default;
        if (text is not { Length: 7 } || text[4] != '-') return false;
        if (!int.TryParse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture, out var year) ||
            !int.TryParse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m) ||
            year < 1900 || m is < 1 or > 12) return false;
        month = new YearMonth(year, m);
        return true;
    }
}

public sealed class YearMonthJsonConverter : JsonConverter<YearMonth>
{
    public override YearMonth Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        YearMonth.TryParse(reader.GetString(), out var month) ? month : throw new JsonException("Expected a month as YYYY-MM.");

    public override void Write(Utf8JsonWriter writer, YearMonth value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
