using System.Globalization;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// The dates an input may name: nothing before the programme could exist, nothing absurdly far
/// ahead. The instants are the first and last moments of those days in the province's time zone.
/// </summary>
public sealed record InputBounds(DateOnly Earliest, DateOnly Latest, DateTimeOffset EarliestInstant, DateTimeOffset LatestInstant);

/// <summary>
/// The input rules every Validate shares: free text (length, no control characters), page numbers,
/// and dates, instants and years inside the bounds. Each adds its error under the field's JSON name.
/// </summary>
public static class Inputs
{
    /// <summary>Page numbers above this are refused: nobody pages that far, and offsets stay far from overflow.</summary>
    public const int MaxPage = 100_000;

    /// <summary>The largest request body an endpoint takes unless it declares its own limit (imports do): 1 MiB of JSON.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Why a record was corrected (an allocation adjustment): enough for a decree's number and a sentence or two.</summary>
    public const int MaxReasonLength = 1000;

    /// <summary>Columns an uploaded table (CSV or a workbook's sheet) may have: lists have a dozen; more is not a list.</summary>
    public const int MaxTableColumns = 100;

    /// <summary>What an uploaded workbook may expand to, all its parts together: about ten times the 20 MB a body may hold.</summary>
    public const long MaxWorkbookUncompressedBytes = 256L * 1024 * 1024;

    /// <summary>Parts (files in its ZIP package) an uploaded workbook may have: a list's has about ten.</summary>
    public const int MaxWorkbookParts = 10_000;

    /// <summary>Rp 1 billion: above any monthly income or premium of an informal worker, far below where premium arithmetic could overflow.</summary>
    public const long MaxMonthlyAmount = 1_000_000_000;

    /// <summary>A free-text field: at most max characters, no control characters (line breaks only where multiline).</summary>
    public static void Text(this ValidationErrors errors, string field, string? value, int max, bool multiline = false)
    {
        if (value is null) return;
        if (value.Length > max) errors.Add(field, $"must be at most {max} characters");
        else if (HasForbiddenCharacter(value, multiline))
            errors.Add(field, multiline ? "must not contain control characters other than line breaks and tabs" : "must not contain control characters");
    }

    /// <summary>Pure: whether text holds a control character (C0, DEL, C1) or a broken surrogate pair.</summary>
    public static bool HasForbiddenCharacter(string value, bool multiline = false)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t')) return true;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])) return true;
                i++;
            }
            else if (char.IsLowSurrogate(c)) return true;
        }

        return false;
    }

    /// <summary>A required amount in rupiah, positive and at most max.</summary>
    public static void Amount(this ValidationErrors errors, string field, long? value, long max)
    {
        if (value is null) errors.Add(field, "is required");
        else if (value is <= 0) errors.Add(field, "must be a positive amount in rupiah");
        else if (value > max) errors.Add(field, string.Create(CultureInfo.InvariantCulture, $"must be at most Rp {max:N0}"));
    }

    public static void Page(this ValidationErrors errors, string field, int? value)
    {
        if (value is < 1 or > MaxPage) errors.Add(field, $"must be between 1 and {MaxPage}");
    }

    public static void Date(this ValidationErrors errors, string field, DateOnly? value, InputBounds bounds)
    {
        if (value < bounds.Earliest) errors.Add(field, $"must not be before {bounds.Earliest:yyyy-MM-dd}");
        else if (value > bounds.Latest) errors.Add(field, $"must not be after {bounds.Latest:yyyy-MM-dd}");
    }

    public static void Instant(this ValidationErrors errors, string field, DateTimeOffset? value, InputBounds bounds)
    {
        if (value < bounds.EarliestInstant) errors.Add(field, $"must not be before {bounds.Earliest:yyyy-MM-dd}");
        else if (value > bounds.LatestInstant) errors.Add(field, $"must not be after {bounds.Latest:yyyy-MM-dd}");
    }

    public static void Year(this ValidationErrors errors, string field, int? value, InputBounds bounds)
    {
        if (value < bounds.Earliest.Year || value > bounds.Latest.Year)
            errors.Add(field, $"must be a year between {bounds.Earliest.Year} and {bounds.Latest.Year}");
    }

    /// <summary>Pure: the bounds for today, given the earliest date and how many years ahead an input may reach.</summary>
    public static (DateOnly Earliest, DateOnly Latest) Range(DateOnly earliest, DateOnly today, int horizonYears) =>
        (earliest, new DateOnly(today.Year + horizonYears, 12, 31));
}
