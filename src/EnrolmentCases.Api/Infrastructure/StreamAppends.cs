using JasperFx;
using JasperFx.Events;
using Marten;

namespace EnrolmentCases.Infrastructure;

/// <summary>Appending one event to a stream that the first append may have to start.</summary>
public static class StreamAppends
{
    private const int Attempts = 5;

    /// <summary>
    /// Appends and returns the stream's new version. With exclusive, the stream row is locked while
    /// appending (the lock money decisions take). Two writers starting the same stream at once
    /// collide on its id; the loser tries again and appends after the winner.
    /// </summary>
    public static async Task<long> AppendAsync<T>(IDocumentStore store, CommandContext context, Guid id, object e, bool exclusive)
        where T : class
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var stream = exclusive
                ? await session.Events.FetchForExclusiveWriting<T>(id, context.Cancellation)
                : await session.Events.FetchForWriting<T>(id, context.Cancellation);
            var version = (stream.CurrentVersion ?? 0) + 1;
            stream.AppendOne(e);
            context.Stamp(session);
            try
            {
                await session.SaveChangesAsync(context.Cancellation);
                return version;
            }
            catch (Exception ex) when (attempt < Attempts && ex is ConcurrencyException or ExistingStreamIdCollisionException)
            {
            }
        }
    }
}
