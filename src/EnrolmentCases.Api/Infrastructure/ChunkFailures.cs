using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime;
using Wolverine.Runtime.Handlers;

namespace EnrolmentCases.Infrastructure;

/// <summary>A kind of failure a chunk of background work retries: which exceptions, and the cooldowns (milliseconds) before each new attempt.</summary>
public sealed record ChunkRetry(Func<Exception, bool> When, string Description, int[] CooldownMilliseconds, bool Jitter);

/// <summary>
/// The failure rules of a message that processes one chunk of an uploaded file (imports, reconciliations):
/// each kind of failure that may pass is retried after its cooldowns; when it still fails, or fails for any
/// other reason, the message goes to the dead letters as DeadLetterAs makes it (without the exception's own
/// text, which may quote a row's values), and MarkFailed ends the work `failed`, so that it never stays running.
/// </summary>
public static class ChunkFailures
{
    public static void Apply(HandlerChain chain, IEnumerable<ChunkRetry> retries, Func<Exception, Exception> deadLetterAs,
        Func<IWolverineRuntime, IEnvelopeLifecycle, Exception, ValueTask> markFailed)
    {
        foreach (var retry in retries.Append(new ChunkRetry(_ => true, "any other failure", [], false)))
        {
            var rule = chain.OnException(retry.When, retry.Description);
            IFailureActions then = rule;
            if (retry.CooldownMilliseconds.Length > 0)
            {
                var retrying = rule.RetryWithCooldown(ResilienceOptions.Cooldowns(retry.CooldownMilliseconds));
                then = (retry.Jitter ? retrying.WithFullJitter() : retrying).Then;
            }

            then.CustomAction(async (runtime, lifecycle, exception) =>
            {
                await lifecycle.MoveToDeadLetterQueueAsync(deadLetterAs(exception));
                await markFailed(runtime, lifecycle, exception);
            }, "dead-letter the chunk without the exception's text and mark its work failed");
        }
    }
}
