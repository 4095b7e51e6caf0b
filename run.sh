#!/usr/bin/env bash
# Starts the Enrolment Cases API on http://127.0.0.1:5080 over a private PostgreSQL under .data/.
#   ./run.sh                      serve the API (Ctrl-C stops the API and the database)
#   ./run.sh --demo               serve it and load the Bengkulu demo data
#   ./run.sh --urls http://...    serve on another address (or set ASPNETCORE_URLS)
#   ./run.sh -- <command> [args]  run an application command against the same database,
#                                 e.g. ./run.sh -- token --role auditor
# ConnectionStrings__Marten points it at an existing PostgreSQL instead of the private one (and
# ConnectionStrings__MartenMigration, when the schema has an owner role of its own: see README).
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
source scripts/postgres.sh

demo=0
urls=${ASPNETCORE_URLS:-http://127.0.0.1:5080}
app_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) demo=1 ;;
    --urls) urls=${2:?--urls needs an address}; shift ;;
    --urls=*) urls=${1#--urls=} ;;
    --) shift; app_args=("$@"); break ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "Unknown option $1 (see ./run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

started_here=""
data_dir=""
cleanup() {
  if [ -n "$started_here" ]; then
    echo "Stopping PostgreSQL ($data_dir)" >&2
    pg_stop "$data_dir"
  fi
}
trap cleanup EXIT

if [ -z "${ConnectionStrings__Marten:-}" ]; then
  pg_ensure_installed
  data_dir="$root/.data/pg"
  mkdir -p "$root/.data" && chmod 755 "$root/.data"
  if ! pg_dir_reachable "$data_dir"; then
    # The server's user cannot enter this checkout (e.g. under root's home): keep the data in the temp folder.
    data_dir="${TMPDIR:-/tmp}/enrolment-cases-$(printf '%s' "$root" | md5sum | cut -c1-12)/pg"
  fi
  mkdir -p "$(dirname "$data_dir")"
  chmod 755 "$(dirname "$data_dir")"
  if ! pg_running_port "$data_dir" >/dev/null 2>&1; then started_here=1; fi
  pg_start "$data_dir"
  # The API serves as the runtime role and applies the schema as its owner (docs/adr/0016).
  pg_export_connection_strings "$PG_PORT"
  echo "PostgreSQL: $data_dir on port $PG_PORT (roles $PG_OWNER_ROLE and $PG_RUNTIME_ROLE)" >&2
  # The audit chain's published heads live beside the database they describe, outside it.
  export Audit__Anchors__Directory="${Audit__Anchors__Directory:-$(dirname "$data_dir")/audit-anchors}"
fi

project=src/EnrolmentCases.Api
# The web app served at / (web/ into web/dist, which the API's build copies beside it).
scripts/web.sh
# The Release build loads Wolverine's code generated ahead of time: bring it up to date first.
scripts/codegen.sh --if-stale
# Published as it is deployed: compiled ahead of time (ReadyToRun), so the first command after a start does
# not wait for the JIT (docs/adr/0035).
out="$root/$project/bin/Release/publish"
dotnet publish "$project" -c Release --use-current-runtime -o "$out" -nologo -v quiet -clp:ErrorsOnly >&2

if [ ${#app_args[@]} -gt 0 ]; then
  (cd "$out" && dotnet EnrolmentCases.Api.dll "${app_args[@]}")
  exit $?
fi

if [ "$demo" = 1 ]; then
  # Beside the demo data: the insurer's status file about its memberships, for POST /api/reconciliations (README).
  mkdir -p "$root/.data"
  (cd "$out" && dotnet EnrolmentCases.Api.dll demo --insurer-file "$root/.data/insurer-status-2026-11.csv")
fi

echo "Serving on $urls (Ctrl-C to stop)" >&2
cd "$out"
dotnet EnrolmentCases.Api.dll --urls "$urls" || true
