namespace EnrolmentCases.Tests.Api;

/// <summary>
/// Names and villages for the scale tests that load case views straight into the store: common given names, so
/// that a search for one has many matches, and villages of Kaur.
/// </summary>
public static class SyntheticPeople
{
    public static readonly string[] GivenNames =
    [
        "Siti", "Nur", "Dewi", "Sri", "Rina", "Yanti", "Ani", "Wati", "Agus", "Budi", "Joko", "Rahmat", "Hidayat", "Darmawan", "Slamet",
        "Ahmad", "Muhammad", "Putri", "Lestari", "Wahyuni", "Kurniawan", "Saputra", "Pratama", "Hasanah", "Aminah", "Fitri", "Rizki",
        "Indah", "Yusuf", "Ismail", "Hendra", "Eko", "Bambang", "Suparman", "Sutrisno", "Mulyadi", "Herlina", "Nurhayati", "Rosmawati"
    ];

    public static readonly string[] Villages =
    [
        "Padang Petron", "Bintuhan", "Tanjung Kemuning", "Muara Sahung", "Tanjung Agung", "Sukarami", "Air Kering", "Pagar Dewa",
        "Talang Padang", "Suka Jaya", "Tebat Monok", "Lubuk Gedang", "Rimbo Pengadang", "Pasar Manna", "Kota Agung", "Karang Anyar"
    ];

    /// <summary>Two or three common given names.</summary>
    public static string CommonName(Random random) =>
        string.Join(' ', Enumerable.Range(0, 2 + random.Next(2)).Select(_ => GivenNames[random.Next(GivenNames.Length)]));

    public static string Village(Random random) => Villages[random.Next(Villages.Length)];

    /// <summary>A word no other case holds: letters only, so it is a word of a name.</summary>
    public static string UniqueWord(int length = 7) =>
        new(Guid.NewGuid().ToString("N").Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16) % 26)).Take(length).ToArray());

    public static string Capitalised(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}
