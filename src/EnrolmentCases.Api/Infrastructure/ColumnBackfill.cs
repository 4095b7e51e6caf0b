using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Serialization;
using Marten;
using Microsoft.Extensions.Options;
using Npgsql;
using static EnrolmentCases.Infrastructure.SchemaMigration;

namespace EnrolmentCases.Infrastructure;

/// <summary>How a schema upgrade fills the columns it adds to populated document tables (ADR 0043).</summary>
public sealed class SchemaUpgradeOptions
{
    public const string Section = "SchemaUpgrade";

    /// <summary>
    /// Rows a backfill statement updates, each statement its own transaction: a 10M-row table is filled in a thousand short
    /// transactions, none holding its row locks or its WAL for long.
    /// </summary>
    public int BackfillBatchSize { get; set; } = 10_000;

    /// <summary>
    /// Search entries an earlier release wrote that one transaction of the node's repair after start rewrites (ADR 0051): each
    /// costs a case view's read, its decryption and its tokens' hashes in the node, and its row stays locked until the batch commits.
    /// </summary>
    public int SearchRepairBatchSize { get; set; } = 1_000;

    /// <summary>
    /// How often a node that has repaired the search entries looks again for one without tokens within its regency (which a
    /// node of the previous release may write during a rolling upgrade), through a partial index (ADR 0053).
    /// </summary>
    public int SearchRepairRecheckSeconds { get; set; } = 60;

    public static IEnumerable<string> Rules(SchemaUpgradeOptions o)
    {
        if (o.BackfillBatchSize is < 100 or > 1_000_000) yield return $"BackfillBatchSize must be between 100 and 1000000 (is {o.BackfillBatchSize})";
        if (o.SearchRepairBatchSize is < 10 or > 100_000) yield return $"SearchRepairBatchSize must be between 10 and 100000 (is {o.SearchRepairBatchSize})";
        if (o.SearchRepairRecheckSeconds is < 1 or > 86_400) yield return $"SearchRepairRecheckSeconds must be between 1 and 86400 (is {o.SearchRepairRecheckSeconds})";
    }
}

/// <summary>
/// Adds the duplicated columns a populated document table lacks (a table an earlier release created), and fills them from
/// the documents' JSON in bounded batches, before Marten's own schema apply sees the table. Weasel cannot add a
/// <c>notNull</c> duplicated column to a table with rows, and Marten fills a column it adds with one unbounded
/// <c>update</c> of the whole table; here a column is added nullable and marked pending (a comment on the column, so a
/// node that dies half way resumes on its next start), filled a batch of ids at a time, and only then made NOT NULL when
/// declared so and unmarked. Every step runs under SchemaMigration's advisory lock, so of nodes starting together one
/// upgrades and the others find nothing left to do.
/// </summary>
public sealed partial class ColumnBackfill(IOptions<SchemaUpgradeOptions> options, ILogger<ColumnBackfill> logger)
{
    /// <summary>The comment on a column added by an upgrade and not yet filled.</summary>
    public const string Pending = "enrolment-cases: backfill pending";

    /// <summary>A duplicated column and the expression over the document's JSON that fills it; none when the JSON never holds it.</summary>
    private sealed record Column(string Name, string PgType, bool NotNull, string? Selector);

    private sealed record Table(string Qualified, IReadOnlyList<Column> Columns);

    public async Task UpgradeAsync(NpgsqlConnection owner, IDocumentStore store, CancellationToken ct)
    {
        foreach (var table in Declared(store))
        {
            var existing = await ColumnsAsync(owner, table.Qualified, ct);
            if (existing.Count == 0) continue; // a table Marten creates afresh: nothing to fill
            var missing = table.Columns.Where(c => !existing.ContainsKey(c.Name)).ToList();
            if (missing.Count > 0)
            {
                // Adding a nullable column without a default changes the catalogue only: instant on any size of table.
                await ExecuteAsync(owner, "begin;\n" +
                    $"alter table {table.Qualified} {string.Join(", ", missing.Select(c => $"add column if not exists {Quote(c.Name)} {c.PgType}"))};\n" +
                    string.Concat(missing.Select(c => $"comment on column {table.Qualified}.{Quote(c.Name)} is '{Pending}';\n")) +
                    "commit;", ct);
                existing = await ColumnsAsync(owner, table.Qualified, ct);
            }

            var pending = table.Columns.Where(c => existing.GetValueOrDefault(c.Name) == Pending).ToList();
            if (pending.FirstOrDefault(c => c is { Selector: null, NotNull: true }) is { } unfillable)
                throw new InvalidOperationException(
                    $"{table.Qualified}.{unfillable.Name} is NOT NULL but the documents' JSON does not hold it: an upgrade cannot fill it from the rows");
            if (pending.Count > 0) await FillAsync(owner, table, pending, ct);
        }
    }

    /// <summary>Every document table with duplicated columns, as this release declares them.</summary>
    private static IEnumerable<Table> Declared(IDocumentStore store)
    {
        var serializer = ((StoreOptions)store.Options).Serializer();
        return ((IReadOnlyStoreOptions)store.Options).AllKnownDocumentTypes()
            .Where(t => t.DuplicatedFields.Count > 0)
            .Select(t => new Table(t.TableName.QualifiedName, t.DuplicatedFields
                .Select(f =>
                {
                    // A member the JSON never holds ([JsonIgnore]): Marten's expression would read a missing key, which for an
                    // array is an empty array, not NULL, and so pass for a value. Such a column is added NULL and left to
                    // whoever writes it (the search entries' tokens within a regency: their repair after start, ADR 0053).
                    if (f.Members.Last().GetCustomAttribute<JsonIgnoreAttribute>() is { Condition: JsonIgnoreCondition.Always })
                        return new Column(f.ColumnName.ToLowerInvariant(), f.PgType, f.NotNull, null);
                    // Marten's own backfill fragment, `"column" = <expression over data>`: the expression it would fill the column with.
                    var fragment = f.UpdateSqlFragment();
                    var selector = fragment[(fragment.IndexOf(" = ", StringComparison.Ordinal) + 3)..];
                    return new Column(f.ColumnName.ToLowerInvariant(), f.PgType, f.NotNull, AsWritten(selector, f.MemberType, f.PgType, serializer));
                })
                .ToList()));
    }

    /// <summary>
    /// What a write puts in the column. An enum stored as a string is written as its member's name (`Enrolled`), while the
    /// JSON holds the serializer's spelling (`enrolled`, camel case): Marten's expression copies the JSON's, so it is mapped
    /// back, value by value. Anything else is the expression as it is.
    /// </summary>
    private static string AsWritten(string selector, Type memberType, string pgType, Marten.ISerializer serializer)
    {
        var type = Nullable.GetUnderlyingType(memberType) ?? memberType;
        // An instant is written as Npgsql sends it, its ticks truncated to microseconds, while PostgreSQL rounds the JSON's
        // seven digits: the text is cut to six before it is parsed.
        if (type == typeof(DateTimeOffset) || type == typeof(DateTime))
            return JsonText().Replace(selector, m => $@"regexp_replace({m.Value}, '(\.[0-9]{{6}})[0-9]+', '\1')");
        if (!type.IsEnum || !pgType.StartsWith("varchar", StringComparison.OrdinalIgnoreCase)) return selector;
        var whens = Enum.GetValues(type).Cast<object>()
            .Select(v => (Json: serializer.ToJson(v).Trim('"'), Name: Enum.GetName(type, v)!))
            .Where(v => v.Json != v.Name)
            .Select(v => $"when {Literal(v.Json)} then {Literal(v.Name)} ");
        return $"(case ({selector}) {string.Concat(whens)}else ({selector}) end)";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"data ->> '[^']*'")]
    private static partial System.Text.RegularExpressions.Regex JsonText();

    private static string Literal(string value) => "'" + value.Replace("'", "''") + "'";

    /// <summary>
    /// Fills the pending columns of one table in one pass of primary-key ranges, one statement (and transaction) a batch;
    /// a row whose columns already hold their values (written since, or filled before a restart) is left as it is.
    /// </summary>
    private async Task FillAsync(NpgsqlConnection owner, Table table, IReadOnlyList<Column> columns, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var batch = options.Value.BackfillBatchSize;
        // A column the JSON does not hold stays NULL: nothing is written for it.
        var set = string.Join(", ", columns.Select(c => $"{Quote(c.Name)} = {c.Selector ?? "null"}"));
        var differs = $"({string.Join(", ", columns.Select(c => "d." + Quote(c.Name)))}) is distinct from ({string.Join(", ", columns.Select(c => c.Selector ?? "null"))})";
        object? after = null;
        long rows = 0, written = 0, statements = 0;
        // Columns none of which the JSON holds have nothing to fill: no pass over the table.
        while (columns.Any(c => c.Selector is not null))
        {
            await using var command = new NpgsqlCommand($"""
                with batch as materialized (select id from {table.Qualified} {(after is null ? "" : "where id > $1")} order by id limit {batch}),
                     done as (update {table.Qualified} as d set {set} from batch where d.id = batch.id and {differs} returning 1)
                select (select id from batch order by id desc limit 1), (select count(*) from batch), (select count(*) from done)
                """, owner);
            if (after is not null) command.Parameters.Add(new NpgsqlParameter { Value = after });
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            statements++;
            if (reader.GetInt64(1) == 0) break;
            after = reader.GetValue(0);
            rows += reader.GetInt64(1);
            written += reader.GetInt64(2);
        }

        // NOT NULL where declared (one scan, no rewrite), and the columns are no longer pending.
        await ExecuteAsync(owner, "begin;\n" +
            string.Concat(columns.Where(c => c.NotNull).Select(c => $"alter table {table.Qualified} alter column {Quote(c.Name)} set not null;\n")) +
            string.Concat(columns.Select(c => $"comment on column {table.Qualified}.{Quote(c.Name)} is null;\n")) +
            "commit;", ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        logger.LogInformation("Filled {Columns} of {Table}: {Rows} rows ({Written} written) in {Statements} statements, {Seconds:F1} s, {RowsPerSecond:F0} rows/s",
            string.Join(", ", columns.Select(c => c.Name)), table.Qualified, rows, written, statements, seconds, rows / Math.Max(seconds, 1e-3));
    }

    /// <summary>The table's columns and their comments; empty when the table does not exist.</summary>
    private static async Task<Dictionary<string, string?>> ColumnsAsync(NpgsqlConnection owner, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            select a.attname::text, col_description(a.attrelid, a.attnum)
            from pg_attribute a where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped
            """, owner);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = new Dictionary<string, string?>();
        while (await reader.ReadAsync(ct)) columns[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetString(1);
        return columns;
    }
}
