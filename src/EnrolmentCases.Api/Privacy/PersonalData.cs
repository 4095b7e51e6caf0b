using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Privacy;

/// <summary>One person's unwrapped data key: seals their fields for new events and opens them for reads.</summary>
public sealed class PersonSeal(string subject, Guid keyId, byte[] dataKey)
{
    public string Subject { get; } = subject;
    public Guid KeyId { get; } = keyId;

    public string Seal(string field, string value) => PersonalCipher.Seal(dataKey, Subject, field, value);

    public string? SealOptional(string field, string? value) => value is null ? null : Seal(field, value);

    public string? Open(string field, string? sealedValue) => PersonalCipher.Open(dataKey, Subject, field, sealedValue);
}

/// <summary>The data keys of the people a read needs, loaded in one query. A person without a key was erased.</summary>
public sealed class PersonKeyring(PersonalData data, IReadOnlyDictionary<string, PersonKey> keys)
{
    /// <summary>The seal of the key a case was written under, or null once that key is gone (erased).</summary>
    public PersonSeal? For(string? subject, Guid keyId) =>
        subject is not null && keys.TryGetValue(subject, out var key) ? data.Unwrap(key, keyId) : null;
}

/// <summary>
/// Personal data sealed per person (crypto-shredding): every NIK, name, phone, district and village
/// is stored encrypted under its person's data key, and deleting that key erases them everywhere at
/// once, events included, without touching an event row. See ADR 0017.
/// </summary>
public sealed class PersonalData
{
    private readonly byte[] _nikKey;
    private readonly Dictionary<string, byte[]> _keyEncryptionKeys;
    private readonly string _currentMasterKeyId;

    public PersonalData(IOptions<PrivacyOptions> options)
    {
        var o = options.Value;
        _nikKey = PrivacyOptions.Bytes(o.NikKey)!;
        _keyEncryptionKeys = o.MasterKeys.ToDictionary(k => k.Key, k => PersonalCipher.KeyEncryptionKey(PrivacyOptions.Bytes(k.Value)!));
        _currentMasterKeyId = o.CurrentMasterKeyId;
    }

    /// <summary>The pseudonymous subject id of a NIK: what claims, keys and read models are keyed by instead of the NIK.</summary>
    public string SubjectOf(string nik) => PersonalCipher.Subject(_nikKey, nik);

    /// <summary>A fresh data key for a person, wrapped under the current master key: insert it with the person's first event.</summary>
    public (PersonSeal Seal, PersonKey Key) NewKey(string subject, DateTimeOffset now)
    {
        var keyId = Guid.NewGuid();
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = PersonalCipher.Wrap(_keyEncryptionKeys[_currentMasterKeyId], subject, keyId, dataKey);
        return (new PersonSeal(subject, keyId, dataKey), new PersonKey(subject, keyId, _currentMasterKeyId, wrapped, now));
    }

    /// <summary>The key's seal when it is the generation a case was written under and its master key is configured; null otherwise.</summary>
    public PersonSeal? Unwrap(PersonKey? key, Guid keyId)
    {
        if (key is null || key.KeyId != keyId || !_keyEncryptionKeys.TryGetValue(key.MasterKeyId, out var kek)) return null;
        return PersonalCipher.Unwrap(kek, key.Id, key.KeyId, key.WrappedKey) is { } dataKey ? new PersonSeal(key.Id, key.KeyId, dataKey) : null;
    }

    /// <summary>The seals for people about to get a case: each one's existing key, or a new one (returned to insert in the same session).</summary>
    public async Task<(Dictionary<string, PersonSeal> Seals, List<PersonKey> NewKeys)> SealsForAsync(IQuerySession session,
        IEnumerable<string> subjects, DateTimeOffset now, CancellationToken ct)
    {
        var wanted = subjects.Distinct().ToArray();
        var existing = (await session.LoadManyAsync<PersonKey>(ct, wanted)).ToDictionary(k => k.Id);
        var seals = new Dictionary<string, PersonSeal>();
        var created = new List<PersonKey>();
        foreach (var subject in wanted)
        {
            if (existing.TryGetValue(subject, out var key))
            {
                seals[subject] = Unwrap(key, key.KeyId) ?? throw new InvalidOperationException(
                    $"The data key of a person is wrapped under master key '{key.MasterKeyId}', which is not configured (Privacy:MasterKeys).");
                continue;
            }

            var (seal, newKey) = NewKey(subject, now);
            seals[subject] = seal;
            created.Add(newKey);
        }

        return (seals, created);
    }

    public async Task<PersonKeyring> KeyringAsync(IQuerySession session, IEnumerable<string?> subjects, CancellationToken ct)
    {
        var wanted = subjects.OfType<string>().Distinct().ToArray();
        var keys = wanted.Length == 0 ? [] : await session.LoadManyAsync<PersonKey>(ct, wanted);
        return Keyring(keys);
    }

    /// <summary>A keyring of keys already loaded (a person without one, erased, reveals nothing).</summary>
    public PersonKeyring Keyring(IEnumerable<PersonKey> keys) => new(this, keys.ToDictionary(k => k.Id));
}
