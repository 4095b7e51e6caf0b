namespace EnrolmentCases.Cases;

/// <summary>
/// Nomor Induk Kependudukan: 16 digits PP KK CC DDMMYY SSSS (province, regency, district of first
/// registration, birth date with day + 40 for women, serial). The prefix records where the number
/// was issued, not where the person lives, so it is validated but never used for attribution.
/// </summary>
public static class Nik
{
    public static IReadOnlyList<string> Problems(string? nik, IReadOnlyCollection<string> knownProvinceCodes)
    {
        if (string.IsNullOrEmpty(nik)) return ["is required"];
        if (nik.Length != 16 || !nik.All(char.IsAsciiDigit)) return ["must be exactly 16 digits"];

        var problems = new List<string>();
        if (!knownProvinceCodes.Contains(nik[..2])) problems.Add($"starts with unknown province code {nik[..2]}");

        var day = int.Parse(nik.AsSpan(6, 2));
        if (day is not (>= 1 and <= 31 or >= 41 and <= 71)) problems.Add("has an invalid birth day (01-31, or 41-71 for women)");

        var month = int.Parse(nik.AsSpan(8, 2));
        if (month is < 1 or > 12) problems.Add("has an invalid birth month");

        if (nik[12..] == "0000") problems.Add("has serial 0000; serials start at 0001");
        return problems;
    }

}
