using EnrolmentCases.Budgets;
using EnrolmentCases.Infrastructure;
using EnrolmentCases.Money;

namespace EnrolmentCases.Tests.Domain;

public class IdempotencyRules
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("!~", true)]
    [InlineData("0b8e5f0c-4a0d-4a55-9c55-7d1f3c8f0d11", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("with space", false)]
    [InlineData("nul\u0000", false)]
    [InlineData("del\u007f", false)]
    [InlineData("kunci-é", false)]
    public void a_key_is_one_to_a_hundred_visible_ascii_characters(string? key, bool valid)
    {
        Assert.Equal(valid, Idempotency.IsValidKey(key));
    }

    [Fact]
    public void a_key_of_a_hundred_characters_fits_and_of_a_hundred_and_one_does_not()
    {
        Assert.True(Idempotency.IsValidKey(new string('k', 100)));
        Assert.False(Idempotency.IsValidKey(new string('k', 101)));
    }

    [Fact]
    public void each_caller_has_keys_of_its_own_and_no_two_callers_and_keys_run_together()
    {
        Assert.Equal(Idempotency.RecordId("ani", "k1"), Idempotency.RecordId("ani", "k1"));
        Assert.NotEqual(Idempotency.RecordId("ani", "k1"), Idempotency.RecordId("budi", "k1"));
        Assert.NotEqual(Idempotency.RecordId("ani\nk", "1"), Idempotency.RecordId("ani", "k\n1"));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(201, true)]
    [InlineData(202, true)]
    [InlineData(400, true)]
    [InlineData(404, true)]
    [InlineData(409, true)]
    [InlineData(422, true)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void answers_are_kept_unless_the_server_failed(int status, bool kept)
    {
        Assert.Equal(kept, Idempotency.Keeps(status));
    }
}

public class AdjustmentRules
{
    private static readonly DateTimeOffset Now = new(2041, 3, 2, 9, 0, 0, TimeSpan.FromHours(7));

    private static Budget Kaur(long allocated, long committed) =>
        new(Payer.ApbdRegency, "17.04", 2041) { Allocated = allocated, Committed = committed };

    private static AdjustAllocation By(long amount) => new(Payer.ApbdRegency, "17.04", 2041, amount, " Perda 4/2041 ");

    [Fact]
    public void an_increase_and_a_reduction_within_what_is_unreserved_are_recorded()
    {
        var (up, _) = AdjustAllocationEndpoint.Decide(Kaur(100_000, 60_000), By(5_000), Now);
        Assert.Equal(new AllocationAdjusted(Payer.ApbdRegency, "17.04", 2041, 5_000, "Perda 4/2041", Now), up);
        var (down, refused) = AdjustAllocationEndpoint.Decide(Kaur(100_000, 60_000), By(-40_000), Now);
        Assert.Null(refused);
        Assert.Equal(0, Budget.Apply(down!, Kaur(100_000, 60_000)).Remaining);
    }

    [Fact]
    public void a_reduction_past_what_is_unreserved_is_refused_with_the_remaining_amount()
    {
        var (adjusted, refused) = AdjustAllocationEndpoint.Decide(Kaur(100_000, 60_000), By(-40_001), Now);
        Assert.Null(adjusted);
        Assert.Equal((409, 40_000L), (refused!.Status, (long)refused.Extensions["remaining"]!));
    }

    [Fact]
    public void a_budget_never_allocated_has_nothing_to_adjust()
    {
        var (_, refused) = AdjustAllocationEndpoint.Decide(null, By(1_000), Now);
        Assert.Equal(404, refused!.Status);
    }
}
