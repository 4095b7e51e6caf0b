#!/usr/bin/env bash
# Benchmarks the API against the raw limit of the same machine's PostgreSQL (docs/benchmarks.md).
#   ./bench.sh          default size, under 10 minutes on 2 cores
#   ./bench.sh --full   full size: 60,000 generated cases (about 1,050,000 events), longer runs
#   ./bench.sh [--full] --cases N
#                       the rebuild and the reads over N generated cases (e.g. 1000000: 17.6 million events,
#                       19.5 GB, 12 min to generate and 9 min to rebuild on 2 cores)
#   ./bench.sh --only commands [--requests N] [--concurrency C | --rate R]
#                       only the product's mix, N requests C at a time (or arriving at R a second), with
#                       statements, statement time, API CPU and lock wait per request (about a minute;
#                       the closed loop is comparable on a busy machine, the open model needs a quiet one)
#   ./bench.sh --only bookings
#                       only premium payments, every one booked on a budget: the default run's ramp on one
#                       regency's budget, then on ten (whether a budget's row lock or the machine limits
#                       bookings; about 4 minutes)
#   ./bench.sh --only import [--import-rows N]
#                       only the import of N rows (100,000 by default)
#   ./bench.sh --lag [--rate N]   only the projection lag at N requests/s (default 100) and the first
#                       commands after a start: about 2 minutes, no quiet machine needed
# Starts a private PostgreSQL in the temp folder, builds the API and the benchmark in Release, runs
# every measurement (the benchmark starts and stops the API itself) and writes
# bench/results/<time>/results.md with the API's logs beside it. Everything it started is stopped.
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
source scripts/postgres.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

size=()
case "${1:-}" in
  "") ;;
  --full|--cases) size=("$@") ;;
  --only) size=("$@") ;;
  --lag) size=(--lag); if [ "${2:-}" = --rate ]; then size+=(--rate "${3:?--rate needs a number}"); fi ;;
  -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
  *) echo "Unknown option $1 (see ./bench.sh --help)" >&2; exit 2 ;;
esac

started=$(date +%s)
results="$root/bench/results/$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$results"
pg_ensure_installed
scratch=$(mktemp -d "${TMPDIR:-/tmp}/enrolment-cases-bench.XXXXXX")
chmod 755 "$scratch"

cleanup() {
  # Only the API processes this run started, and only while they still are what was started.
  if [ -f "$scratch/api.pids" ]; then
    while read -r pid; do
      if grep -qs EnrolmentCases.Api.dll "/proc/$pid/cmdline"; then kill "$pid" 2>/dev/null || true; fi
    done <"$scratch/api.pids"
  fi
  pg_stop "$scratch/pg"
  cp "$scratch"/*.log "$results/" 2>/dev/null || true
  cp "$scratch/pg/server.log" "$results/postgres.log" 2>/dev/null || true
  rm -rf "$scratch"
  echo "Took $(( $(date +%s) - started )) s; results in ${results#"$root"/}/results.md" >&2
}
trap cleanup EXIT

# Durable settings, as in production: every commit waits for its WAL flush.
# pg_stat_statements counts the statements behind each request for the profile.
pg_start "$scratch/pg" -c max_connections=200 -c shared_buffers=512MB -c effective_cache_size=4GB \
  -c shared_preload_libraries=pg_stat_statements
echo "PostgreSQL on port $PG_PORT ($scratch/pg)" >&2

# The API as it is deployed: published, compiled ahead of time (ReadyToRun, docs/adr/0035).
# BENCH_API_DIR=<folder> benchmarks an API published there instead (to compare two builds, one run each).
api_out="${BENCH_API_DIR:-$root/src/EnrolmentCases.Api/bin/Release/publish}"
if [ -z "${BENCH_API_DIR:-}" ]; then
  dotnet publish src/EnrolmentCases.Api -c Release --use-current-runtime -o "$api_out" -nologo -v quiet -clp:ErrorsOnly >&2
fi
dotnet build bench/EnrolmentCases.Bench -c Release -nologo -v quiet -clp:ErrorsOnly >&2
if [ "${size[0]:-}" != --lag ]; then dotnet build bench/EnrolmentCases.Floor -c Release -nologo -v quiet -clp:ErrorsOnly >&2; fi

dotnet bench/EnrolmentCases.Bench/bin/Release/net10.0/EnrolmentCases.Bench.dll \
  --connection "$(pg_connection_string "$PG_PORT")" \
  --api "$api_out" \
  --floor "$root/bench/EnrolmentCases.Floor/bin/Release/net10.0" \
  --pg-pid "$(head -n 1 "$scratch/pg/postmaster.pid")" \
  --results "$results/results.md" \
  --scratch "$scratch" \
  "${size[@]}"
