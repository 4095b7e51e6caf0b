namespace EnrolmentCases.Infrastructure;

/// <summary>
/// The headers a signed event carries: named here, with the rest of the event store's vocabulary, so that code reading a
/// stream's tail (StreamTails) need not know the audit feature that writes and checks them (ADR 15).
/// </summary>
public static class SignatureHeaders
{
    /// <summary>The event's MAC.</summary>
    public const string Mac = "mac";

    /// <summary>The id of the key the MAC was computed with.</summary>
    public const string KeyId = "macKey";
}

/// <summary>
/// Signs an event that is written without a session (a bulk writer's COPY), as the session listener signs the
/// events a session appends: the headers it must carry beside the MAC (the key's id) and the MAC itself.
/// Implemented by the audit feature (ADR 15); declared here so that writers need not know it.
/// </summary>
public interface IEventSigner
{
    /// <summary>The header the key's id goes in, and the id of the key events are signed with now.</summary>
    (string Header, string KeyId) Key { get; }

    /// <summary>The header the MAC goes in.</summary>
    string MacHeader { get; }

    /// <summary>
    /// What the MAC covers of an event's headers (the key's id among them, as the store's serializer writes them): the same
    /// text for every event written with the same headers, so a writer of many computes it once.
    /// </summary>
    string CanonicalHeaders(string headersJson);

    /// <summary>The MAC of one event, from its canonical headers and its data as the store's serializer writes it.</summary>
    string Sign(Guid streamId, long version, Guid eventId, string type, string? userName, string? correlationId, string? causationId,
        string canonicalHeaders, string dataJson, string previousMac);
}
