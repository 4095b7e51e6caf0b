using System.Runtime.CompilerServices;

namespace EnrolmentCases.Infrastructure;

/// <summary>The last event of a stream as a command read it: its version and its MAC ("" for an event without one).</summary>
public sealed record StreamTail(long Version, string Mac);

/// <summary>
/// Tails a command already read inside its transaction, under the stream's row lock, with the events it folded its
/// aggregate from (ADR 0046). The session listener that signs appended events (IEventSigner's implementation) chains the
/// first new event to such a tail instead of reading the stream's last event again. A tail is taken once, and only for
/// the stream and session it was read for: a second save of the same session reads the tail from the database again.
/// </summary>
public static class StreamTails
{
    // Weak keys: a session's tails go with the session, whether or not it ever saves.
    private static readonly ConditionalWeakTable<IDocumentSession, Dictionary<Guid, StreamTail>> Known = new();

    public static void Remember(IDocumentSession session, Guid streamId, StreamTail tail)
    {
        var tails = Known.GetOrCreateValue(session);
        lock (tails) tails[streamId] = tail;
    }

    public static StreamTail? Take(IDocumentSession session, Guid streamId)
    {
        if (!Known.TryGetValue(session, out var tails)) return null;
        lock (tails) return tails.Remove(streamId, out var tail) ? tail : null;
    }
}
