# Sourced by the bench scripts that run the Release build's own commands against a PostgreSQL of their own
# (bench/schema-upgrade.sh, bench/search-repair.sh). `private_cluster NAME [postgres -c settings...]`:
# - checks that there is a Release build (./test.sh or dotnet build -c Release) and sets dll_dir to it;
# - starts a private PostgreSQL in a scratch folder ($scratch, removed with the cluster on exit; set on_exit to a command
#   that must run first, such as stopping an API the script started), autovacuum off so that it visits no table at a
#   time of its own choosing;
# - makes the owner role the one role the API both owns and serves as (`generate` writes through the serving
#   connection), in the Development environment;
# - defines sql, one statement through psql as the owner, printing bare values.
private_cluster() {
  local name=$1; shift
  dll_dir=$root/src/EnrolmentCases.Api/bin/Release/net10.0
  [ -f "$dll_dir/EnrolmentCases.Api.dll" ] || { echo "no Release build in $dll_dir" >&2; exit 1; }
  source "$root/scripts/postgres.sh"
  pg_ensure_installed
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/enrolment-$name.XXXXXX")
  chmod 755 "$scratch"
  trap 'eval "${on_exit:-true}" || true; pg_stop "$scratch/pg"; rm -rf "$scratch"' EXIT
  pg_start "$scratch/pg" -c autovacuum=off "$@"
  pg_create_roles "$PG_PORT"
  export ConnectionStrings__Marten="$(pg_connection_string "$PG_PORT" "$PG_OWNER_ROLE")"
  unset ConnectionStrings__MartenMigration
  export DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development
}

sql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_OWNER_ROLE" -d postgres -v ON_ERROR_STOP=1 -qAt -c "$1"; }
