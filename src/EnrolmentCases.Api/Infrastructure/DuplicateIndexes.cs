using Weasel.Postgresql.Tables;

namespace EnrolmentCases.Infrastructure;

/// <summary>
/// Marten gives a duplicated field an index of its column alone and ignores the columns set on it. Where a query walks
/// that column with others after it, the column's own index is made the composite, rather than a second index beside a
/// first one nothing reads (ADR 0063).
/// </summary>
public static class DuplicateIndexes
{
    /// <summary>
    /// The duplicated column's index keyed by <paramref name="columns"/> after it, through Weasel's mask (the column stands
    /// for its "?"): Weasel renders and compares the index with them, so a start finds no difference.
    /// </summary>
    public static IndexDefinition AlsoKeyedBy(this IndexDefinition index, params string[] columns)
    {
        index.Mask = string.Join(", ", ["?", .. columns]);
        return index;
    }
}
