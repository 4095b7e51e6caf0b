using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// The words of names and villages as the search compares them, and their blind-index tokens. A word is a run
/// of letters and digits, lower-cased, without diacritics and apostrophes ("Ma'ruf" is "maruf", "Élok" "elok");
/// a query word matches a word it begins. Each indexed word yields one token per prefix of MinLength to
/// MaxLength characters, the first 8 bytes of an HMAC under the search key; a query word yields the token of
/// its own prefix, so the database finds exactly the cases with a word starting so (up to a collision of
/// 64-bit hashes, or query words longer than MaxLength), without ever holding a name in clear.
/// </summary>
public static partial class SearchWords
{
    /// <summary>Shorter words are neither indexed nor searched: two letters would match a large part of any regency.</summary>
    public const int MinLength = 3;

    /// <summary>Longer words are indexed by their first MaxLength characters.</summary>
    public const int MaxLength = 20;

    /// <summary>The most words a query may hold.</summary>
    public const int MaxQueryWords = 8;

    [GeneratedRegex(@"^\d{16}$")]
    private static partial Regex SixteenDigits();

    /// <summary>Is the query a NIK (16 digits), searched for exactly through the subject id?</summary>
    public static bool IsNik(string query) => SixteenDigits().IsMatch(query);

    /// <summary>The words of a text, normalised; short ones included (the caller decides).</summary>
    public static IEnumerable<string> Of(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) yield break;
        var word = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (char.IsLetterOrDigit(c)) word.Append(char.ToLowerInvariant(c));
            else if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark || c is '\'' or '\u2019' or '`') continue;
            else if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
        }

        if (word.Length > 0) yield return word.ToString();
    }

    /// <summary>The words of a query the index can serve (MinLength or longer), distinct.</summary>
    public static string[] OfQuery(string query) => Of(query).Where(w => w.Length >= MinLength).Distinct().ToArray();

    /// <summary>Does every query word begin a word of one of the texts? The exact check after decryption.</summary>
    public static bool Match(IReadOnlyCollection<string> queryWords, params string?[] texts)
    {
        var words = texts.SelectMany(Of).ToList();
        return queryWords.All(q => words.Any(w => w.StartsWith(q, StringComparison.Ordinal)));
    }

    /// <summary>The tokens a case is indexed under: every prefix of every word of its name and village.</summary>
    public static long[] IndexTokens(byte[] key, params string?[] texts) => CaseTokens(key, null, texts).Tokens;

    /// <summary>
    /// The tokens a case is indexed under: every prefix of every word of its name and village, once on its own and, when
    /// the case's regency is given, once within that regency (InRegencyInput).
    /// </summary>
    public static (long[] Tokens, long[]? InRegency) CaseTokens(byte[] key, string? regencyCode, IEnumerable<string?> texts)
    {
        var prefixes = texts.SelectMany(Of)
            .Where(w => w.Length >= MinLength)
            .SelectMany(w => Enumerable.Range(MinLength, Math.Min(w.Length, MaxLength) - MinLength + 1).Select(n => w[..n]))
            .Distinct()
            .ToList();
        // One keyed HMAC for all of a case's prefixes (about 20): the one-shot HashData sets the key up again for each,
        // which was half of a token's CPU (ADR 0045). The tokens are the same.
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        var tokens = prefixes.Select(prefix => Token(hmac, PrefixDomain + prefix)).Distinct().Order().ToArray();
        var inRegency = regencyCode is null
            ? null
            : prefixes.Select(prefix => Token(hmac, InRegencyInput(regencyCode, prefix))).Distinct().Order().ToArray();
        return (tokens, inRegency);
    }

    /// <summary>The tokens a case must hold to match the query words: one per word.</summary>
    public static long[] QueryTokens(byte[] key, IEnumerable<string> queryWords) =>
        queryWords.Select(w => Token(key, PrefixDomain + Clip(w))).Distinct().Order().ToArray();

    /// <summary>The tokens a case of the regency must hold, among its tokens within its regency, to match the query words.</summary>
    public static long[] QueryTokens(byte[] key, IEnumerable<string> queryWords, string regencyCode) =>
        queryWords.Select(w => Token(key, InRegencyInput(regencyCode, Clip(w)))).Distinct().Order().ToArray();

    private static string Clip(string word) => word.Length > MaxLength ? word[..MaxLength] : word;

    /// <summary>
    /// A prefix within a regency ("in/17.03/siti"): a word's posting list in the index is then one regency's, so a
    /// caseworker's common word is found without intersecting it with the whole regency's (ADR 0053). Neither "prefix/" nor
    /// "regency/" begins it, and a prefix holds no "/", so it meets neither other kind.
    /// </summary>
    private static string InRegencyInput(string regencyCode, string prefix) => InRegencyDomain + regencyCode + "/" + prefix;

    /// <summary>
    /// The token of a regency: every entry holds its case's, so a caseworker's search narrows to their regencies inside
    /// the GIN index rather than after it. "regency/" never begins a word's input ("prefix/"), so the two never meet.
    /// </summary>
    public static long RegencyToken(byte[] key, string regencyCode) => Token(key, RegencyDomain + regencyCode);

    private const string PrefixDomain = "prefix/", RegencyDomain = "regency/", InRegencyDomain = "in/";

    /// <summary>A token under a keyed HMAC reused for many (a case's prefixes): the same value as the one-shot form below.</summary>
    private static long Token(IncrementalHash hmac, string input)
    {
        Span<byte> mac = stackalloc byte[32];
        hmac.AppendData(Encoding.UTF8.GetBytes(input));
        hmac.GetHashAndReset(mac);
        return TokenOf(mac);
    }

    /// <summary>The token of one input (its domain and text), with the key set up for it alone.</summary>
    private static long Token(byte[] key, string input)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(input), mac);
        return TokenOf(mac);
    }

    /// <summary>A token is the MAC's first 8 bytes, big-endian.</summary>
    private static long TokenOf(ReadOnlySpan<byte> mac) => BinaryPrimitives.ReadInt64BigEndian(mac);
}
