using System.Security.Cryptography;
using EnrolmentCases.Privacy;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Tests.Domain;

/// <summary>Keys for tests without a host: one NIK key and two master keys, the second one current.</summary>
public static class TestPrivacy
{
    public static PrivacyOptions Options(string current = "b") => new()
    {
        NikKey = Convert.ToBase64String(SHA256.HashData("nik key"u8)),
        SearchKey = Convert.ToBase64String(SHA256.HashData("search key"u8)),
        MasterKeys = new() { ["a"] = Convert.ToBase64String(SHA256.HashData("master a"u8)), ["b"] = Convert.ToBase64String(SHA256.HashData("master b"u8)) },
        CurrentMasterKeyId = current
    };

    public static PersonalData Data(string current = "b") => new(Microsoft.Extensions.Options.Options.Create(Options(current)));

    /// <summary>A new person's seal and the keyring a read of them would use.</summary>
    public static (PersonSeal Seal, PersonKeyring Keys) Person(string nik, PersonalData? data = null)
    {
        data ??= Data();
        var (seal, key) = data.NewKey(data.SubjectOf(nik), DateTimeOffset.UnixEpoch);
        return (seal, new PersonKeyring(data, new Dictionary<string, PersonKey> { [key.Id] = key }));
    }
}

/// <summary>Sealing personal fields: bound to the person and the field, never thrown on, and gone with the key.</summary>
public class PersonalDataRules
{
    private const string Nik = "1704015506900001";
    private const string OtherNik = "1704015506900002";

    [Fact]
    public void a_sealed_field_opens_with_its_person_and_field_only()
    {
        var data = TestPrivacy.Data();
        var (seal, keys) = TestPrivacy.Person(Nik, data);
        var sealedName = seal.Seal(PersonalField.FullName, "Siti Aminah");

        Assert.StartsWith(PersonalCipher.Prefix, sealedName);
        Assert.DoesNotContain("Siti", sealedName);
        Assert.Equal("Siti Aminah", keys.For(seal.Subject, seal.KeyId)!.Open(PersonalField.FullName, sealedName));
        // The same ciphertext presented as another field, or under another person's key, does not open.
        Assert.Null(seal.Open(PersonalField.Village, sealedName));
        var (other, _) = TestPrivacy.Person(OtherNik, data);
        Assert.Null(other.Open(PersonalField.FullName, sealedName));
    }

    [Fact]
    public void the_same_data_key_under_another_subject_does_not_open_a_field()
    {
        var data = TestPrivacy.Data();
        var (seal, key) = data.NewKey(data.SubjectOf(Nik), DateTimeOffset.UnixEpoch);
        var sealedName = seal.Seal(PersonalField.FullName, "Siti Aminah");
        // A key document copied to another subject unwraps to nothing: the wrap is bound to subject and key id.
        var moved = key with { Id = data.SubjectOf(OtherNik) };
        Assert.Null(data.Unwrap(moved, key.KeyId));
        Assert.NotNull(data.Unwrap(key, key.KeyId));
        Assert.Equal("Siti Aminah", data.Unwrap(key, key.KeyId)!.Open(PersonalField.FullName, sealedName));
    }

    [Fact]
    public void a_tampered_or_foreign_value_reads_as_null_and_never_throws()
    {
        var (seal, _) = TestPrivacy.Person(Nik);
        var sealedPhone = seal.Seal(PersonalField.Phone, "081270001234");
        var bytes = Convert.FromBase64String(sealedPhone[PersonalCipher.Prefix.Length..]);
        bytes[^1] ^= 1;
        var tampered = PersonalCipher.Prefix + Convert.ToBase64String(bytes);

        Assert.Null(seal.Open(PersonalField.Phone, tampered));
        Assert.Null(seal.Open(PersonalField.Phone, "081270001234"));
        Assert.Null(seal.Open(PersonalField.Phone, PersonalCipher.Prefix + "not base64!"));
        Assert.Null(seal.Open(PersonalField.Phone, PersonalCipher.Prefix + "AAAA"));
        Assert.Null(seal.Open(PersonalField.Phone, null));
    }

    [Fact]
    public void a_missing_key_or_a_new_key_for_the_same_nik_opens_nothing_written_before()
    {
        var data = TestPrivacy.Data();
        var (seal, _) = TestPrivacy.Person(Nik, data);
        var (fresh, freshKeys) = TestPrivacy.Person(Nik, data);
        Assert.Equal(seal.Subject, fresh.Subject);
        Assert.NotEqual(seal.KeyId, fresh.KeyId);

        Assert.Null(new PersonKeyring(data, new Dictionary<string, PersonKey>()).For(seal.Subject, seal.KeyId));
        // After an erasure the same NIK gets a new key: it is not the generation the old events name.
        Assert.Null(freshKeys.For(seal.Subject, seal.KeyId));
    }

    [Fact]
    public void keys_wrapped_under_a_retired_master_key_still_open_until_it_is_removed()
    {
        var (seal, key) = TestPrivacy.Data(current: "a").NewKey(TestPrivacy.Data().SubjectOf(Nik), DateTimeOffset.UnixEpoch);
        Assert.Equal("a", key.MasterKeyId);
        Assert.NotNull(TestPrivacy.Data(current: "b").Unwrap(key, seal.KeyId));

        var withoutA = TestPrivacy.Options();
        withoutA.MasterKeys.Remove("a");
        Assert.Null(new PersonalData(Options.Create(withoutA)).Unwrap(key, seal.KeyId));
    }

    [Fact]
    public void the_subject_id_is_a_keyed_mac_that_does_not_contain_the_nik()
    {
        var data = TestPrivacy.Data();
        Assert.Equal(data.SubjectOf(Nik), data.SubjectOf(Nik));
        Assert.NotEqual(data.SubjectOf(Nik), data.SubjectOf(OtherNik));
        Assert.DoesNotContain(Nik, data.SubjectOf(Nik));
        Assert.Equal(64, data.SubjectOf(Nik).Length);
    }

    [Theory]
    [InlineData("", "a", "NikKey must be set")]
    [InlineData("c2hvcnQ=", "a", "NikKey must be set")]
    [InlineData(null, "missing", "CurrentMasterKeyId must name one of MasterKeys")]
    [InlineData(null, "a", "SearchKey must be set", "")]
    [InlineData(null, "a", "SearchKey must be set", "c2hvcnQ=")]
    public void start_up_refuses_missing_or_weak_keys(string? nikKey, string current, string rule, string? searchKey = null)
    {
        var options = TestPrivacy.Options(current);
        if (nikKey is not null) options.NikKey = nikKey;
        if (searchKey is not null) options.SearchKey = searchKey;
        Assert.Contains(PrivacyOptions.Rules(options), r => r.StartsWith(rule));
        Assert.Empty(PrivacyOptions.Rules(TestPrivacy.Options()));
    }
}
