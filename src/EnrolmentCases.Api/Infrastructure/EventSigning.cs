namespace EnrolmentCases.Infrastructure;

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

    /// <summary>The MAC of one event, from its headers (the key's id among them) and data as the store's serializer writes them.</summary>
    string Sign(Guid streamId, long version, Guid eventId, string type, string? userName, string? correlationId, string? causationId,
        string headersJson, string dataJson, string previousMac);
}
