namespace EnrolmentCases.Privacy;

/// <summary>
/// The keys that protect personal data, from configuration only (never stored in the database).
/// Development and test keys live in appsettings.Development.json; anywhere else they must be given,
/// e.g. Privacy__NikKey, Privacy__SearchKey, Privacy__MasterKeys__2027a and Privacy__CurrentMasterKeyId=2027a.
/// </summary>
public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    /// <summary>Base64, 32 bytes or more: the HMAC key that turns a NIK into the pseudonymous subject id.</summary>
    public string NikKey { get; set; } = "";

    /// <summary>
    /// Base64, 32 bytes or more: the HMAC key of the worklist search's blind index (keyed hashes of the prefixes of
    /// the words of names and villages). A key of its own, so that the index reveals nothing to a holder of the NIK key.
    /// </summary>
    public string SearchKey { get; set; } = "";

    /// <summary>Base64 AES-256 keys by id. Each person's data key is wrapped under one of them; retired ids stay until no key uses them.</summary>
    public Dictionary<string, string> MasterKeys { get; set; } = new();

    /// <summary>The master key new person keys are wrapped under.</summary>
    public string CurrentMasterKeyId { get; set; } = "";

    public static IEnumerable<string> Rules(PrivacyOptions o)
    {
        if (Bytes(o.NikKey) is not { Length: >= 32 })
            yield return "NikKey must be set to at least 32 random bytes in base64 (configuration or environment, never the database)";
        if (Bytes(o.SearchKey) is not { Length: >= 32 })
            yield return "SearchKey must be set to at least 32 random bytes in base64 (configuration or environment, never the database)";
        foreach (var (id, key) in o.MasterKeys)
            if (Bytes(key) is not { Length: 32 })
                yield return $"MasterKeys:{id} must be 32 random bytes in base64";
        if (string.IsNullOrWhiteSpace(o.CurrentMasterKeyId) || !o.MasterKeys.ContainsKey(o.CurrentMasterKeyId))
            yield return "CurrentMasterKeyId must name one of MasterKeys";
    }

    internal static byte[]? Bytes(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64)) return null;
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
