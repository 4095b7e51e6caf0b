using System.Text.RegularExpressions;

namespace EnrolmentCases.Imports;

/// <summary>A column of a worker list: its name in the API (product.md's CSV header) and the headers offices write for it.</summary>
public sealed record WorkerColumn(string Name, bool Required, string[] Aliases, string Guidance);

/// <summary>
/// The columns a worker list has, in product.md's order, with the Indonesian headers regency offices use
/// (reference data: the one place they are listed; the import, its errors and the template read them here).
/// Headers match case-insensitively, and spaces, dots and hyphens count as underscores ("No. HP" is no_hp).
/// </summary>
public static partial class WorkerColumns
{
    public static readonly IReadOnlyList<WorkerColumn> All =
    [
        new("nik", true, ["nik"], "16 digits, as text / 16 digit, sebagai teks"),
        new("fullName", true, ["nama"], "the worker's name / nama pekerja"),
        new("regencyCode", true, ["kode_wilayah", "kode_kabupaten"], "Kemendagri regency code, e.g. 17.04 / kode kabupaten/kota"),
        new("district", false, ["kecamatan"], "kecamatan"),
        new("village", false, ["desa", "kelurahan"], "desa or kelurahan"),
        new("occupation", true, ["pekerjaan"], "e.g. rubber tapper, fisher / pekerjaan, mis. penyadap karet, nelayan"),
        new("phone", false, ["no_hp", "telepon"], "e.g. 081270001234, as text / nomor HP, sebagai teks"),
        new("source", true, ["sumber"], "where the name comes from / asal data")
    ];

    private static readonly Dictionary<string, WorkerColumn> ByHeader = All
        .SelectMany(c => c.Aliases.Append(c.Name).Select(header => (Key(header), c)))
        .DistinctBy(x => x.Item1)
        .ToDictionary(x => x.Item1, x => x.c);

    /// <summary>The column a header names, or null for a header that is not a worker list's.</summary>
    public static WorkerColumn? Find(string header) => ByHeader.GetValueOrDefault(Key(header));

    /// <summary>How errors name a column: "occupation (or pekerjaan)".</summary>
    public static string Described(WorkerColumn column) =>
        column.Aliases.Where(a => Key(a) != Key(column.Name)).ToList() is { Count: > 0 } others
            ? $"{column.Name} (or {string.Join(", ", others)})"
            : column.Name;

    private static string Key(string header) => Separators().Replace(header.Trim().ToLowerInvariant(), "_").Trim('_');

    [GeneratedRegex(@"[\s._\-]+")]
    private static partial Regex Separators();
}
