namespace EnrolmentCases.Privacy;

/// <summary>
/// One person's data key, wrapped under a master key held in configuration. Keyed by the person's
/// subject id (a MAC of the NIK). A person's first case stores it in the same transaction as its
/// events; when two first identifications race, the open-case claim refuses one and its rollback
/// takes its key back with it.
/// KeyId changes each time a key is made: after an erasure, a new key for the same NIK never opens
/// what was sealed under the old one. Deleting this document is the erasure.
/// </summary>
public sealed record PersonKey(string Id, Guid KeyId, string MasterKeyId, string WrappedKey, DateTimeOffset CreatedAt);
