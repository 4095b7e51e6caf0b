using System.Security.Cryptography;
using System.Text;

namespace EnrolmentCases.Privacy;

/// <summary>The names personal fields are sealed under: part of each ciphertext's associated data.</summary>
public static class PersonalField
{
    public const string Nik = "nik";
    public const string FullName = "fullName";
    public const string District = "district";
    public const string Village = "village";
    public const string Phone = "phone";
}

/// <summary>
/// Pure crypto for personal data. Fields are AES-256-GCM under the person's data key, with the
/// subject id and the field name as associated data, so a ciphertext moved to another person or
/// field does not open. Data keys are wrapped under a key derived from a master key. Opening never
/// throws: anything that does not authenticate reads as null.
/// </summary>
public static class PersonalCipher
{
    /// <summary>Marks a sealed value ("personal data, format 1") so a reader never mistakes it for plaintext.</summary>
    public const string Prefix = "pd1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public static string Subject(byte[] nikKey, string nik) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(nikKey, Encoding.UTF8.GetBytes(nik)));

    public static byte[] KeyEncryptionKey(byte[] masterKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, info: "enrolment-cases/person-key-wrap"u8.ToArray());

    public static string Wrap(byte[] kek, string subject, Guid keyId, byte[] dataKey) =>
        Convert.ToBase64String(Encrypt(kek, dataKey, WrapContext(subject, keyId)));

    public static byte[]? Unwrap(byte[] kek, string subject, Guid keyId, string wrapped)
    {
        try
        {
            return Decrypt(kek, Convert.FromBase64String(wrapped), WrapContext(subject, keyId));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static string Seal(byte[] dataKey, string subject, string field, string value) =>
        Prefix + Convert.ToBase64String(Encrypt(dataKey, Encoding.UTF8.GetBytes(value), FieldContext(subject, field)));

    public static string? Open(byte[] dataKey, string subject, string field, string? sealedValue)
    {
        if (sealedValue is null || !sealedValue.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        try
        {
            var plain = Decrypt(dataKey, Convert.FromBase64String(sealedValue[Prefix.Length..]), FieldContext(subject, field));
            return plain is null ? null : Encoding.UTF8.GetString(plain);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] FieldContext(string subject, string field) => Encoding.UTF8.GetBytes($"field/{subject}/{field}");
    private static byte[] WrapContext(string subject, Guid keyId) => Encoding.UTF8.GetBytes($"key/{subject}/{keyId:N}");

    private static byte[] Encrypt(byte[] key, byte[] plain, byte[] context)
    {
        var output = new byte[NonceSize + plain.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length), context);
        return output;
    }

    private static byte[]? Decrypt(byte[] key, byte[] sealedBytes, byte[] context)
    {
        if (sealedBytes.Length < NonceSize + TagSize || key.Length != 32) return null;
        var length = sealedBytes.Length - NonceSize - TagSize;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, length),
                sealedBytes.AsSpan(NonceSize + length), plain, context);
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
