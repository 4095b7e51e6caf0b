using EnrolmentCases.Audit;
using Marten.Events;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// One host of a sequence over the same schema, each with its own MAC keys, as after each step of a
/// rotation; the first wipes the schema, the others follow on its data. They share one anchor folder.
/// </summary>
public sealed class KeyedHost(string currentKeyId, IReadOnlyDictionary<string, string> keys, bool first, string anchors) : HostFixture(Schema)
{
    public const string Schema = "mac_rotation";

    protected override bool ResetOnStart => first;

    protected override void Configure(IDictionary<string, string> settings)
    {
        // Only what the test sets: the development key is replaced, not added to.
        settings["Audit:Mac:Keys:dev-1"] = "";
        settings["Audit:Mac:CurrentKeyId"] = currentKeyId;
        foreach (var (id, key) in keys) settings[$"Audit:Mac:Keys:{id}"] = key;
        settings["Audit:Anchors:Directory"] = anchors;
        settings["Audit:Anchors:IntervalSeconds"] = "0";
    }
}

public class MacKeyRotation
{
    private static readonly string Old = Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray());
    private static readonly string New = Convert.ToBase64String(Enumerable.Range(70, 32).Select(i => (byte)i).ToArray());
    private readonly string _anchors = Path.Combine(Path.GetTempPath(), "enrolment-anchors", TestRun.Id, "rotation");

    private async Task<T> With<T>(string current, Dictionary<string, string> keys, bool first, Func<KeyedHost, Task<T>> use)
    {
        var host = new KeyedHost(current, keys, first, _anchors);
        await host.InitializeAsync();
        try
        {
            return await use(host);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task<ChainVerification> Verify(KeyedHost host)
    {
        await host.Host.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(30));
        return await host.Host.VerifyChain(host.Token("auditor"));
    }

    [Fact]
    public async Task events_signed_before_a_rotation_still_verify_while_the_old_key_is_kept_and_are_reported_once_it_is_dropped()
    {
        // Before: one key.
        var early = await With("2025-01", new() { ["2025-01"] = Old }, first: true, async host =>
        {
            var id = await host.Host.IdentifyWorker(host.Token("caseworker", "17.04"));
            Assert.True((await Verify(host)).Valid);
            return id;
        });

        // The rotation: a new current key, the old one kept. New events, also on the old case's stream, use the new key.
        var late = await With("2026-01", new() { ["2025-01"] = Old, ["2026-01"] = New }, first: false, async host =>
        {
            var kaur = host.Token("caseworker", "17.04");
            await host.Host.Reach(kaur, early);
            var id = await host.Host.IdentifyWorker(kaur);
            var report = await Verify(host);
            Assert.True(report.Valid, report.ToString());
            var keys = await TestSql.NamesAsync($"select distinct headers->>'macKey' from {KeyedHost.Schema}.mt_events where type <> 'tombstone' order by 1");
            Assert.Equal(["2025-01", "2026-01"], keys);
            return id;
        });

        // Dropping the old key too early: every event signed with it is reported, none of the others.
        await With("2026-01", new() { ["2026-01"] = New }, first: false, async host =>
        {
            var report = await Verify(host);
            Assert.False(report.Valid);
            var oldEvents = await TestSql.NamesAsync(
                $"select seq_id::text from {KeyedHost.Schema}.mt_events where headers->>'macKey' = '2025-01' order by seq_id");
            Assert.Equal(oldEvents, report.Breaks.Where(b => b.Problem == ChainProblems.MacKeyUnknown).Select(b => b.Sequence.ToString()));
            Assert.DoesNotContain(report.Breaks, b => b.Problem != ChainProblems.MacKeyUnknown);
            Assert.NotEmpty(await TestSql.NamesAsync($"select id::text from {KeyedHost.Schema}.mt_streams where id = '{late}'"));
            return 0;
        });
    }
}
