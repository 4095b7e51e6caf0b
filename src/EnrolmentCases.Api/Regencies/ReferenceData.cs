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

    public Regency? FindRegency(string? code) => Regencies.FirstOrDefault(r => r.Code == code);
}

public sealed record Regency
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    public int? Population { get; init; }
}
