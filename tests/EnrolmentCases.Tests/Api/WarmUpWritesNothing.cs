using EnrolmentCases.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EnrolmentCases.Tests.Api;

/// <summary>
/// The warm-up takes every event type through a command's write path short of the commit (ADR 35): it must leave no
/// event, no stream, no document and no used sequence number behind (a gap would hold the projections back).
/// </summary>
[Collection(ApiCollection.Name)]
public class WarmUpWritesNothing(ApiFixture api)
{
    private const string Counts = """
        select (select last_value from enrolment.mt_events_sequence) * 1000000
             + (select count(*) from enrolment.mt_events) * 1000 + (select count(*) from enrolment.mt_streams)
        """;

    [Fact]
    public async Task Every_event_type_reaches_the_refused_save_and_nothing_is_stored()
    {
        var warmUp = api.Host.Services.GetRequiredService<WarmUp>();
        await warmUp.Done.WaitAsync(TimeSpan.FromSeconds(60));
        var before = await TestSql.ScalarAsync(Counts);
        var correlatedBefore = await TestSql.ScalarAsync("select count(*) from enrolment.mt_events where correlation_id = 'warm-up'");

        var warmed = await warmUp.WritePathAsync(CancellationToken.None);
        // The aggregates each command fetches for writing (ADR 40): read on a rolled-back transaction.
        var fetched = await warmUp.AggregatesAsync(CancellationToken.None);

        Assert.Equal(before, await TestSql.ScalarAsync(Counts));
        Assert.True(fetched > 0, "no aggregate was fetched for writing");
        Assert.Equal(0, correlatedBefore);
        Assert.Equal(0, await TestSql.ScalarAsync("select count(*) from enrolment.mt_events where correlation_id = 'warm-up'"));
        // Most event types go all the way to the refusal (a projection may refuse an empty event of its type earlier).
        var types = api.Store.Options.Events.AllKnownEventTypes().Select(e => e.EventType).Distinct().Count();
        Assert.True(warmed * 2 > types, $"{warmed} of {types} event types reached the refused save");
    }
}
