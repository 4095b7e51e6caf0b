#!/usr/bin/env bash
# Runs every test. Starts a throwaway PostgreSQL unless ConnectionStrings__Marten is set (with
# ConnectionStrings__MartenMigration too when the database has an owner role of its own).
# Extra arguments go to `dotnet test`, e.g. ./test.sh --filter "FullyQualifiedName~Nik".
set -euo pipefail
cd "$(dirname "$0")"
root=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ -z "${ConnectionStrings__Marten:-}" ]; then
  source scripts/postgres.sh
  pg_ensure_installed
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/enrolment-cases-test.XXXXXX")
  chmod 755 "$scratch"
  trap 'pg_stop "$scratch/pg"; rm -rf "$scratch"' EXIT
  # Durability settings off: this database lives for one test run.
  pg_start "$scratch/pg" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300
  # Hosts serve as the runtime role and apply their schemas as the owner; tests that tamper use the owner.
  pg_export_connection_strings "$PG_PORT"
  echo "Test PostgreSQL on port $PG_PORT" >&2
fi

# Release builds load Wolverine's code generated ahead of time. Locally it is regenerated when stale
# (commit what changes); CI tests the committed code as it is, and GeneratedCodeIsCurrent says when to regenerate.
if [ "${CI:-}" != true ]; then scripts/codegen.sh --if-stale; fi

# The web app: built into web/dist (the API's build copies it beside the API), and its unit tests.
web_status=0
web_counts=$(scripts/web.sh --test) || web_status=$?
# The browser tests drive Debian's Chromium (Playwright's own browser download does not work everywhere).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  echo "Installing Chromium for the browser tests (apt-get install chromium)..." >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi

log=$(mktemp)
status=0
dotnet test "$root/EnrolmentCases.sln" -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the per-assembly summaries
# ("Total tests: N" followed by "Passed: N", "Failed: N", "Skipped: N" lines).
count() { { grep -E "^ +$1: +[0-9]+$" "$log" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(( $(count Passed) + $(echo "$web_counts" | awk '{print $1+0}') ))
failed=$(( $(count Failed) + $(echo "$web_counts" | awk '{print $3+0}') ))
skipped=$(count Skipped)
# The failures again at the very end, so a run whose output is cut to its last lines still names them.
if grep -qE "^  Failed " "$log"; then
  echo "Failed tests:"
  grep -A2 -E "^  Failed " "$log" | grep -vE "^(--|  Error Message:)$" | cut -c1-400
fi
rm -f "$log"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status and no test failed: the build or the test host failed (see above)." >&2
fi
if [ "$status" -eq 0 ] && [ "$passed" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
if [ "$status" -eq 0 ]; then status=$web_status; fi
exit "$status"
