using Wolverine.Marten;

namespace EnrolmentCases.Cases;

/// <summary>
/// The case a command changes, loaded by Wolverine's aggregate workflow under the row lock of its
/// stream (SELECT ... FOR UPDATE) until the commit: a second writer waits and then decides on what
/// the first one wrote, so commands sent without an expected version never lose each other's work.
/// </summary>
public sealed class LockedCaseAttribute : WriteAggregateAttribute
{
    public LockedCaseAttribute() => LoadStyle = ConcurrencyStyle.Exclusive;
}
