using System.Security.Cryptography;
using System.Text;
using EnrolmentCases.Infrastructure;
using JasperFx;
using JasperFx.Events;
using Microsoft.Extensions.Options;

namespace EnrolmentCases.Audit;

/// <summary>
/// The keys of the per-event MAC. They live in configuration (a secret store, environment variables),
/// never in the database: whoever can only write the database cannot compute a MAC that verifies.
/// </summary>
public sealed class MacOptions
{
    public const string Section = "Audit:Mac";

    /// <summary>
    /// Every key by its id, base64, at least 32 bytes. Keep retired keys: events signed with them still
    /// verify. An empty value withdraws a key set in another configuration source.
    /// </summary>
    public Dictionary<string, string> Keys { get; set; } = new();

    /// <summary>The key new events are signed with.</summary>
    public string CurrentKeyId { get; set; } = "";

    /// <summary>
    /// Events below this sequence were written before events carried a MAC (a database older than the
    /// MAC): only the hash chain covers them. 0: every event must carry one.
    /// </summary>
    public long RequiredFromSequence { get; set; }

    public static IEnumerable<string> Rules(MacOptions o)
    {
        if (string.IsNullOrWhiteSpace(o.CurrentKeyId))
            yield return "CurrentKeyId must name the key events are signed with (and Keys:<id> hold it, base64, at least 32 bytes); " +
                         "generate one with `openssl rand -base64 32` and keep it outside the database";
        else if (string.IsNullOrEmpty(o.Keys.GetValueOrDefault(o.CurrentKeyId)))
            yield return $"CurrentKeyId names {o.CurrentKeyId}, which is not among Keys";
        foreach (var (id, key) in o.Keys.Where(k => !string.IsNullOrEmpty(k.Value)))
        {
            if (id.Length is 0 or > 32 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                yield return $"Keys: the id {id} must be 1 to 32 letters, digits, '-', '_' or '.'";
            var bytes = new byte[key.Length];
            if (!Convert.TryFromBase64String(key, bytes, out var length) || length < 32)
                yield return $"Keys:{id} must be base64 of at least 32 bytes";
        }

        if (o.RequiredFromSequence < 0) yield return $"RequiredFromSequence must be 0 or more (is {o.RequiredFromSequence})";
    }
}

/// <summary>What the MAC of one event covers: everything the writer knows before the insert.</summary>
public sealed record MacInput(
    Guid StreamId,
    long Version,
    Guid EventId,
    string Type,
    string? UserName,
    string? CorrelationId,
    string? CausationId,
    string CanonicalHeaders,
    string CanonicalData,
    string PreviousMac)
{
    public const string Format = "enrolment-event-mac/v1";

    /// <summary>The fields joined with U+001F, behind the format's name.</summary>
    public string Text() => string.Join('\u001f', Format, StreamId.ToString("N"), Version, EventId.ToString("N"), Type,
        UserName ?? "", CorrelationId ?? "", CausationId ?? "", CanonicalHeaders, CanonicalData, PreviousMac);
}

/// <summary>The key ring: signs with the current key, verifies with whichever key an event names.</summary>
public sealed class EventMacs : IEventSigner
{
    /// <summary>The headers the MAC writes on each event: itself and the id of its key. Left out of what it covers.</summary>
    public const string MacHeader = SignatureHeaders.Mac;

    public const string KeyHeader = SignatureHeaders.KeyId;

    private readonly Dictionary<string, byte[]> _keys;

    public EventMacs(IOptions<MacOptions> options)
    {
        var settings = options.Value;
        _keys = settings.Keys.Where(k => !string.IsNullOrEmpty(k.Value)).ToDictionary(k => k.Key, k => Convert.FromBase64String(k.Value), StringComparer.Ordinal);
        CurrentKeyId = settings.CurrentKeyId;
        RequiredFromSequence = settings.RequiredFromSequence;
    }

    public string CurrentKeyId { get; }

    public long RequiredFromSequence { get; }

    public bool Knows(string keyId) => _keys.ContainsKey(keyId);

    (string Header, string KeyId) IEventSigner.Key => (KeyHeader, CurrentKeyId);

    string IEventSigner.MacHeader => MacHeader;

    string IEventSigner.CanonicalHeaders(string headersJson) => CanonicalHeaders(headersJson);

    string IEventSigner.Sign(Guid streamId, long version, Guid eventId, string type, string? userName,
        string? correlationId, string? causationId, string canonicalHeaders, string dataJson, string previousMac) =>
        EventMacListener.MacOf(this, streamId, version, eventId, type, userName, correlationId, causationId, canonicalHeaders, dataJson, previousMac);

    /// <summary>The headers as the MAC covers them: canonical, without the MAC and its key's id.</summary>
    public static string CanonicalHeaders(string headersJson) => CanonicalJson.Of(headersJson, MacHeader, KeyHeader);

    /// <summary>HMAC-SHA256 of the input under the named key, lowercase hex.</summary>
    public string Compute(string keyId, MacInput input) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_keys[keyId], Encoding.UTF8.GetBytes(input.Text())));

    public bool Verifies(string keyId, MacInput input, string mac)
    {
        var expected = Encoding.ASCII.GetBytes(Compute(keyId, input));
        var given = Encoding.ASCII.GetBytes(mac);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}

/// <summary>
/// Signs every event a session appends, in the same transaction: the MAC lands in the event's own
/// headers before Marten writes the row. Each MAC chains to the MAC of the stream's previous event,
/// so deleting or reordering events inside a stream breaks the next one. The stream's expected
/// version is pinned to the tail that was read, so a concurrent append fails instead of forking the chain.
/// </summary>
public sealed class EventMacListener(EventMacs macs) : DocumentSessionListenerBase
{
    public override async Task BeforeSaveChangesAsync(IDocumentSession session, CancellationToken token)
    {
        var streams = session.PendingChanges.Streams().Where(s => s.Events.Count > 0).ToList();
        if (streams.Count == 0) return;

        // A tail the command read under the stream's lock with the events it decided on (ADR 0046) is used when the stream's
        // expected version is that tail's; any other stream's tail is read here, in one query.
        var tails = new Dictionary<Guid, StreamTail>();
        foreach (var stream in streams.Where(s => s.ActionType == StreamActionType.Append))
            if (StreamTails.Take(session, stream.Id) is { } known && known.Version > 0
                && (stream.ExpectedVersionOnServer is null || stream.ExpectedVersionOnServer == known.Version))
                tails[stream.Id] = known;
        var unread = streams.Where(s => s.ActionType == StreamActionType.Append && !tails.ContainsKey(s.Id)).Select(s => s.Id).Distinct().ToArray();
        if (unread.Length > 0)
            foreach (var (id, tail) in await StreamTails.ReadAsync(session, unread, token)) tails[id] = tail;
        var metadata = session as IMetadataContext;

        foreach (var stream in streams)
        {
            var (version, previous) = stream.ActionType == StreamActionType.Append && tails.TryGetValue(stream.Id, out var tail)
                ? tail
                : new StreamTail(0, "");
            if (stream.ActionType == StreamActionType.Append && version > 0)
                // A different expectation already set fails at commit anyway; otherwise pin what was read.
                stream.ExpectedVersionOnServer ??= version;

            foreach (var e in stream.Events)
            {
                version++;
                // What Marten takes from the session at commit, put on the event now, so the MAC covers what is stored.
                e.UserName ??= session.LastModifiedBy;
                e.CorrelationId ??= session.CorrelationId;
                e.CausationId ??= session.CausationId;
                if (metadata?.Headers is { } shared)
                    foreach (var (key, value) in shared)
                        if (e.GetHeader(key) is null) e.SetHeader(key, value);
                e.SetHeader(EventMacs.KeyHeader, macs.CurrentKeyId);

                var serializer = session.DocumentStore.Options.Serializer();
                var mac = MacOf(macs, stream.Id, version, e.Id, e.EventTypeName, e.UserName, e.CorrelationId, e.CausationId,
                    EventMacs.CanonicalHeaders(serializer.ToJson(e.Headers ?? new Dictionary<string, object>())), serializer.ToJson(e.Data), previous);
                e.SetHeader(EventMacs.MacHeader, mac);
                previous = mac;
            }
        }
    }

    /// <summary>
    /// The MAC of one event under the current key, from its canonical headers (EventMacs.CanonicalHeaders) and its data as
    /// the store's serializer writes it. Also used by writers that append without a session (bulk imports).
    /// </summary>
    public static string MacOf(EventMacs macs, Guid streamId, long version, Guid eventId, string type, string? userName,
        string? correlationId, string? causationId, string canonicalHeaders, string dataJson, string previousMac) =>
        macs.Compute(macs.CurrentKeyId, new MacInput(streamId, version, eventId, type, userName, correlationId, causationId,
            canonicalHeaders, CanonicalJson.Of(dataJson), previousMac));
}
