#!/usr/bin/env bash
# Measures the repair of search entries an earlier release wrote (docs/adr/0051-search-entries-repaired-after-start.md) in a
# private PostgreSQL: `generate` writes N cases (with their search entries), every entry is then put back as it was before
# ADR 42 (no regency column, no regency in its JSON, no tokens within its regency), and the API is started to serve; its repair runs after start. Per run:
# the repair's own log line, and the CPU the API process and PostgreSQL spent between the repair's first log line and its
# last (the warm-up is off, so little else runs meanwhile), per entry. Needs a Release build (./test.sh or dotnet build -c Release).
# Usage: bench/search-repair.sh [N=100000] [runs=2]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cases=${1:-100000}
runs=${2:-2}

source bench/private-cluster.sh
api_pid=
on_exit='[ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null'
private_cluster search-repair -c max_wal_size=4GB
# Nothing but the repair at work after start.
export WarmUp__Enabled=false Lapse__SweepIntervalMinutes=0 LapseRisk__Daily__Enabled=false
proc_cpu() { awk -v k="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/k}' "/proc/$1/stat"; }
# Waits for a line matching $1 in the API's log, then prints the API's and PostgreSQL's CPU seconds.
cpu_at() {
  until grep -q "$1" "$scratch/api.log"; do
    kill -0 "$api_pid" 2>/dev/null || { tail -n 30 "$scratch/api.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "$(proc_cpu "$api_pid") $(pg_cpu "$scratch/pg")"
}

echo "Generating $cases cases..." >&2
(cd "$dll_dir" && dotnet EnrolmentCases.Api.dll generate --cases "$cases") >"$scratch/generate.log" 2>&1 \
  || { tail -n 30 "$scratch/generate.log" >&2; exit 1; }
table=enrolment.mt_doc_casesearchentry

for _ in $(seq "$runs"); do
  sql "update $table set regency_code = null, tokens_in_regency = null, data = data - 'regencyCode'"
  sql "vacuum full analyze $table"
  (cd "$dll_dir" && exec dotnet EnrolmentCases.Api.dll --urls http://127.0.0.1:0) >"$scratch/api.log" 2>&1 &
  api_pid=$!
  read -r api_before pg_before < <(cpu_at "lack their tokens within their regency")
  read -r api_after pg_after < <(cpu_at "Repaired the search entries")
  kill "$api_pid"; wait "$api_pid" 2>/dev/null || true; api_pid=
  awk -v n="$(sql "select count(*) from $table")" -v a="$(echo "$api_after - $api_before" | bc)" -v p="$(echo "$pg_after - $pg_before" | bc)" \
    -v line="$(grep -o 'Repaired the search entries.*' "$scratch/api.log" | head -n 1)" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN {printf "%d entries: API %.1f s CPU, PostgreSQL %.1f s CPU, %.3f ms CPU an entry; load %s; %s\n", n, a, p, 1000*(a+p)/n, load, line}'
  [ "$(sql "select count(*) from $table where regency_code is null or tokens_in_regency is null")" = 0 ] || { echo "unrepaired entries" >&2; exit 1; }
done
