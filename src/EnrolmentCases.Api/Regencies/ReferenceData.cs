namespace EnrolmentCases.Regencies;

/// <summary>
/// Regions the product knows, bound from the "ReferenceData" configuration section so that a
/// regency split or a new province is a configuration change, not a code change.
/// </summary>
public sealed class ReferenceData
{
    public const string Section = "ReferenceData";

    public string ProvinceCode { get; set; } = "";
    public string ProvinceName { get; set; } = "";

    /// <summary>Two-digit Kemendagri province codes that a NIK may start with.</summary>
    public List<string> NikProvinceCodes { get; set; } = [];

    public List<Regency> Regencies { get; set; } = [];

    /// <summary>The province's time zone (Bengkulu keeps Western Indonesia Time).</summary>
    public string TimeZone { get; set; } = "Asia/Jakarta";

    /// <summary>
    /// The earliest date any input may name (effective dates, payments, contact attempts, budget and
    /// target years, "as of" reads): BPJS Ketenagakerjaan began operating on 2014-01-01.
    /// </summary>
    public DateOnly EarliestDate { get; set; } = new(2014, 1, 1);

    /// <summary>How many calendar years past the current one an input may reach (budgets, targets, timelines).</summary>
    public int HorizonYears { get; set; } = 10;

    public Regency? FindRegency(string? code) => Regencies.FirstOrDefault(r => r.Code == code);

    public static IEnumerable<string> Rules(ReferenceData o)
    {
        if (!TwoDigits(o.ProvinceCode)) yield return $"ProvinceCode must be two digits, e.g. 17 (is '{o.ProvinceCode}')";
        if (string.IsNullOrWhiteSpace(o.ProvinceName)) yield return "ProvinceName must not be empty";
        if (o.NikProvinceCodes.Count == 0 || o.NikProvinceCodes.Any(c => !TwoDigits(c)))
            yield return "NikProvinceCodes must list two-digit province codes";
        else if (!o.NikProvinceCodes.Contains(o.ProvinceCode))
            yield return $"NikProvinceCodes must include the province's own code {o.ProvinceCode}";
        if (o.Regencies.Count == 0) yield return "Regencies must list the province's regencies";
        foreach (var regency in o.Regencies)
        {
            if (regency.Code is not { Length: 5 } code || code[2] != '.' || !TwoDigits(code[..2]) || !TwoDigits(code[3..]) || code[..2] != o.ProvinceCode)
                yield return $"Regencies: '{regency.Code}' must be a code of province {o.ProvinceCode} written as {o.ProvinceCode}.NN";
            if (string.IsNullOrWhiteSpace(regency.Name)) yield return $"Regencies: {regency.Code} needs a name";
            if (regency.Population is <= 0) yield return $"Regencies: {regency.Code}'s Population must be positive when given";
        }

        foreach (var repeated in o.Regencies.GroupBy(r => r.Code).Where(g => g.Count() > 1))
            yield return $"Regencies: {repeated.Key} is listed {repeated.Count()} times";
        if (!ProvinceCalendar.IsKnownZone(o.TimeZone))
            yield return $"TimeZone '{o.TimeZone}' is not a time zone this machine knows (an IANA name such as Asia/Jakarta; install tzdata for others)";
        if (o.EarliestDate.Year < 1900 || o.EarliestDate > DateOnly.FromDateTime(DateTime.UtcNow))
            yield return $"EarliestDate must be a past date after 1900, e.g. 2014-01-01 (is {o.EarliestDate:yyyy-MM-dd})";
        if (o.HorizonYears is < 1 or > 100) yield return $"HorizonYears must be between 1 and 100 (is {o.HorizonYears})";
    }

    private static bool TwoDigits(string? s) => s is { Length: 2 } && s.All(char.IsAsciiDigit);
}

public sealed record Regency
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    public int? Population { get; init; }
}
