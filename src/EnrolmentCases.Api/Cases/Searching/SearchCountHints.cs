using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Weasel.Core;
using Weasel.Core.Migrations;
using Weasel.Postgresql.Functions;
using Weasel.Postgresql.Tables;
using Weasel.Postgresql.Triggers;

namespace EnrolmentCases.Cases.Searching;

/// <summary>
/// Searches whose count went past their limit, remembered (ADR 0062). A hint is the count's statement (its filter, tokens
/// and limit, hashed into its id) and the generation of the regencies searched when it was counted. A trigger on the
/// index's table moves a regency's generation on whenever one of its entries loses a token: deleted, truncated, or updated
/// without every token it had. While the generation has not moved, the search still has more matches than its limit (new
/// entries only add matches), and its next count is not made. A correction in one regency leaves the hints of searches in
/// the others standing; a search of every regency depends on all of them. Plain tables: nothing loads them as documents,
/// and they record no time. A hint's id is a hash of keyed tokens, which the entries hold already: no word and no caller.
/// </summary>
public static class SearchCountHints
{
    public const string HintTable = "search_count_hint";
    public const string GenerationTable = "search_index_generation";
    public const string MoveFunction = "search_index_generation_move";

    /// <summary>The hint's id for a count: a hash of its filter, the filter's tokens and the limit.</summary>
    public static string KeyOf(string filter, IEnumerable<object> parameters, int limit)
    {
        var text = new StringBuilder().Append(limit).Append('|').Append(filter);
        // Every parameter of a search's filter is an array of tokens, whose order means nothing to it.
        foreach (var tokens in parameters.Cast<long[]>()) text.Append('|').AppendJoin(',', tokens.Order());
        return Hash(text.ToString(), 32);
    }

    /// <summary>The first <paramref name="length"/> hex digits of the SHA-256 of <paramref name="text"/>.</summary>
    private static string Hash(string text, int length) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..length];

    /// <summary>
    /// The two tables, the function that moves a regency's generation on, and the triggers on the search entries that call
    /// it. The function moves each regency once a transaction (a rebuild's batch deletes a thousand entries), and only for
    /// an update that leaves out a token the entry had: the repair that adds the tokens within a regency to an old entry
    /// moves nothing.
    /// </summary>
    public static IEnumerable<ISchemaObject> SchemaObjects(string schema)
    {
        var hints = new Table(new DbObjectName(schema, HintTable));
        hints.AddColumn("id", "text").AsPrimaryKey();
        hints.AddColumn("generation", "bigint").NotNull();
        yield return hints;

        // A row per regency whose entries lost a token ('' for an entry without a regency, and for a truncation).
        var generation = new Table(new DbObjectName(schema, GenerationTable));
        generation.AddColumn("regency_code", "text").AsPrimaryKey();
        generation.AddColumn("value", "bigint").NotNull();
        yield return generation;

        // The regencies moved in this transaction so far, as ",code,code,": one move each a transaction.
        var moved = $"enrolment.{schema}_search_generation_moved";
        var body = $$"""
            DECLARE
              regency text := '';
              done text := coalesce(current_setting('{{moved}}', true), '');
            BEGIN
              IF TG_OP = 'UPDATE' AND NEW.tokens @> OLD.tokens
                 AND coalesce(NEW.tokens_in_regency, '{}') @> coalesce(OLD.tokens_in_regency, '{}') THEN
                RETURN NULL;
              END IF;
              IF TG_LEVEL = 'ROW' THEN
                regency := coalesce(OLD.regency_code, '');
              END IF;
              IF position(',' || regency || ',' in done) = 0 THEN
                INSERT INTO {{schema}}.{{GenerationTable}} AS g (regency_code, value) VALUES (regency, 1)
                  ON CONFLICT (regency_code) DO UPDATE SET value = g.value + 1;
                PERFORM set_config('{{moved}}', (CASE WHEN done = '' THEN ',' ELSE done END) || regency || ',', true);
              END IF;
              RETURN NULL;
            END;
            """;
        // It runs with its owner's rights (the migration role's), so that the runtime role may only read the counters: the API
        // can move them on only by losing tokens, never set them back (which would let an older hint match again).
        // The function's name carries a hash of its body. Weasel replaces a changed function by dropping it with CASCADE,
        // which drops the triggers that call it, and would not create them again until the next start. Under a new name, the
        // triggers change too and are made again in the same migration; the old function is left unused.
        const string header = "RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path TO 'pg_catalog', 'pg_temp'";
        var function = $"{MoveFunction}_{Hash(header + body, 8)}";
        yield return new Function(new DbObjectName(schema, function),
            $"CREATE OR REPLACE FUNCTION {schema}.{function}() {header} AS $function$\n{body}\n$function$;\n");

        var entries = new DbObjectName(schema, "mt_doc_casesearchentry");
        // One event each: PostgreSQL renders several in another order than Weasel writes them, which Weasel would take for a
        // change and apply again at every start.
        foreach (var (name, events, eachRow) in new[]
                 {
                     ("search_entry_updated", TriggerEvents.Update, true), ("search_entry_deleted", TriggerEvents.Delete, true),
                     ("search_entries_truncated", TriggerEvents.Truncate, false)
                 })
            yield return new Trigger(new DbObjectName(schema, name), entries, $"{schema}.{function}()")
            {
                Timing = TriggerTiming.After, Events = events, ForEachRow = eachRow
            };
    }

    private static string Schema(IQuerySession session) => session.DocumentStore.Options.DatabaseSchemaName;

    /// <summary>
    /// The common table expressions `gen` (the generation of the regencies searched: the sum of their rows, and of the row of
    /// entries without a regency; of every row for a search of any regency) and `hinted` (whether the count is remembered at
    /// it), and their parameters. Read in the statement that counts, so in one snapshot with the entries. A sum of counters
    /// that only grow changes whenever one of them does.
    /// </summary>
    public static (string Sql, object[] Parameters) Read(IQuerySession session, string key, IReadOnlyList<string>? regencies)
    {
        var schema = Schema(session);
        var (scope, parameters) = regencies is null ? ("", Array.Empty<object>()) : (" where regency_code = any(?) or regency_code = ''", [regencies.ToArray()]);
        return ($"gen as (select coalesce(sum(value), 0)::bigint as value from {schema}.{GenerationTable}{scope}), " +
                $"hinted as (select exists (select from {schema}.{HintTable} where id = ? and generation = (select value from gen)) as yes)",
            [..parameters, key]);
    }

    /// <summary>
    /// Remembers a count past its limit at the generation read with it, in a statement of its own after the answer was read
    /// (the counting statement stays read-only, so PostgreSQL may still plan it in parallel). A hint of an older generation
    /// is replaced, never a newer one. If a change committed in between, the hint carries the generation before it, which no
    /// later search takes. A failure to write it (a database that takes no writes) is logged and leaves the answer alone.
    /// </summary>
    public static async Task NoteAsync(IQuerySession session, string key, long generation, ILogger? logger, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            $"insert into {Schema(session)}.{HintTable} as h (id, generation) values ($1, $2) " +
            "on conflict (id) do update set generation = excluded.generation where h.generation < excluded.generation")
        {
            Parameters = { new() { Value = key }, new() { Value = generation } }
        };
        try
        {
            await using var reader = await session.ExecuteReaderAsync(command, ct);
        }
        // Marten wraps the database's error in its own (MartenCommandException, the Npgsql one inside).
        catch (Exception e) when (!ct.IsCancellationRequested && (e is NpgsqlException || e.InnerException is NpgsqlException))
        {
            // Best effort: the answer was read already, and a search not remembered only counts again next time.
            logger?.LogWarning(e, "A search's count past its limit was not remembered");
        }
    }
}

/// <summary>
/// The hints' tables, function and triggers as a storage feature of the store: Marten applies custom features after the
/// document tables (the triggers name the search entries' table, which must exist first), where its extended schema
/// objects would come before them.
/// </summary>
public sealed class SearchCountHintsFeature(StoreOptions options) : IFeatureSchema
{
    public ISchemaObject[] Objects => SearchCountHints.SchemaObjects(options.DatabaseSchemaName).ToArray();

    public Type StorageType => typeof(SearchCountHintsFeature);

    public string Identifier => "search-count-hints";

    public Migrator Migrator => options.Advanced.Migrator;

    public IEnumerable<Type> DependentTypes() => [typeof(CaseSearchEntry)];

    public void WritePermissions(Migrator rules, TextWriter writer)
    {
    }
}
