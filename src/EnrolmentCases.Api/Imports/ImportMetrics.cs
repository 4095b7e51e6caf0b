using System.Diagnostics.Metrics;
using EnrolmentCases.Infrastructure;
using Marten.Services;

namespace EnrolmentCases.Imports;

/// <summary>enrolment.import.rows: rows of imported lists by outcome (created, duplicate, invalid).</summary>
public sealed class ImportMetrics(ApiMeter meter) : IInstruments
{
    private readonly Counter<long> _rows = meter.Meter.CreateCounter<long>("enrolment.import.rows", "{row}",
        "Rows of imported lists by outcome (created, duplicate, invalid), counted when their chunk commits.");

    /// <summary>Counts a chunk's rows once its transaction commits: a chunk that fails and is retried counts once.</summary>
    public void CountOnCommit(IDocumentSession session, IReadOnlyList<RowResult> results) =>
        session.Listeners.Add(new AfterCommit(() =>
        {
            foreach (var outcome in results.GroupBy(r => r.Outcome))
                _rows.Add(outcome.Count(), new KeyValuePair<string, object?>("outcome", outcome.Key.ToString().ToLowerInvariant()));
        }));

    private sealed class AfterCommit(Action count) : DocumentSessionListenerBase
    {
        public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
        {
            count();
            return Task.CompletedTask;
        }
    }
}
