#!/usr/bin/env bash
# Measures a schema upgrade (docs/adr/0043-upgrading-a-populated-database.md) on a case view of N rows, in a private
# PostgreSQL: `generate` writes SEED cases through the real write path, their case views are copied (new ids, in id
# order, as uuid v7 ids are) up to N rows, the six columns ADR 28 added are dropped as a first-release table lacks them,
# and `db-migrate` upgrades it, alternately with SchemaUpgrade:BackfillBatchSize at its default (10,000 rows a statement)
# and at 1,000,000 (the whole table in one statement, as Marten's own `update` would). Per run: the fill's own log line
# (rows, statements, seconds, rows/s), db-migrate's wall time and CPU, and PostgreSQL's CPU (every server process,
# exited backends included). Needs a Release build (./test.sh or dotnet build -c Release).
# Usage: bench/schema-upgrade.sh [N=200000] [pairs=2]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rows=${1:-200000}
pairs=${2:-2}
seed=${SEED:-2000}

source bench/private-cluster.sh
private_cluster upgrade -c max_wal_size=4GB
api() { (cd "$dll_dir" && dotnet EnrolmentCases.Api.dll "$@"); }

echo "Generating $seed cases..." >&2
api generate --cases "$seed" >"$scratch/generate.log" 2>&1 || { tail -n 30 "$scratch/generate.log" >&2; exit 1; }
table=enrolment.mt_doc_casedetails
sql "do \$\$
declare cols text; have bigint; copies int;
begin
  select string_agg(quote_ident(attname), ', ' order by attnum) into cols from pg_attribute
   where attrelid = '$table'::regclass and attnum > 0 and not attisdropped and attname not in ('id', 'data');
  select count(*) into have from $table;
  copies := ceil(($rows - have)::numeric / have);
  execute format('insert into $table (id, data, %s)
    select u, jsonb_set(data, ''{id}'', to_jsonb(u::text)), %s from (
      select (lpad(to_hex(1099511627776 + row_number() over ()), 12, ''0'') || substr(md5(random()::text), 1, 20))::uuid u, s.*
      from $table s, generate_series(1, %s) g limit %s) x', cols, cols, copies, $rows - have);
end \$\$;"
sql "vacuum analyze $table"
echo "$table: $(sql "select count(*) from $table") rows, $(sql "select pg_size_pretty(pg_total_relation_size('$table'))")" >&2

first_release() {
  sql "alter table $table drop column regency_code, drop column opened_at, drop column stage, drop column insurer_status,
       drop column insurer_drifting"
  # Rewritten without the dropped columns, as a table created without them would be.
  sql "vacuum full $table"
  sql "analyze $table"
}

run() {
  local batch=$1 before after start end
  first_release
  before=$(pg_cpu "$scratch/pg")
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$scratch/time" env SchemaUpgrade__BackfillBatchSize="$batch" \
    bash -c "cd '$dll_dir' && dotnet EnrolmentCases.Api.dll db-migrate" >"$scratch/migrate.log" 2>&1 \
    || { tail -n 30 "$scratch/migrate.log" >&2; exit 1; }
  end=$(date +%s.%N)
  after=$(pg_cpu "$scratch/pg")
  local filled
  filled=$(grep -o 'Filled .*' "$scratch/migrate.log" | head -n 1)
  printf 'batch %-8s db-migrate %5.1f s wall, %s s CPU (user sys); PostgreSQL %s s CPU; %s; load %s\n' "$batch" \
    "$(echo "$end - $start" | bc)" "$(cat "$scratch/time")" "$(echo "$after - $before" | bc)" "$filled" "$(cut -d' ' -f1 /proc/loadavg)"
  [ "$(sql "select count(*) from $table where regency_code is null or opened_at is null")" = 0 ] || { echo "unfilled rows" >&2; exit 1; }
}

for _ in $(seq "$pairs"); do
  run 10000
  run 1000000
done
