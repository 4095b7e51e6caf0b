namespace EnrolmentCases.Tests.Api;

/// <summary>
/// A host on a schema of its own for every test that runs the case sweep. The sweep records what the
/// calendar decided for every case in the store (lapses, subsidies whose budget year is over), and
/// these tests run it with the clock months or years ahead: over the shared API schema it would
/// lapse and end the cases of whichever tests happened to run before, so that what those cases look
/// like afterwards would depend on the order of the tests. Here a sweep meets only this collection's
/// cases; its tests run one at a time, so it only meets those of tests that have already finished,
/// none of which looks at its cases again.
/// </summary>
public sealed class SweepFixture() : HostFixture("sweep_check", new TestClock(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.FromHours(7))));

[CollectionDefinition(Name)]
public sealed class SweepCollection : ICollectionFixture<SweepFixture>
{
    public const string Name = "sweeps";
}
