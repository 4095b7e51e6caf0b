#!/usr/bin/env bash
# Helpers for a private PostgreSQL cluster, sourced by run.sh and test.sh.
# The server refuses to run as root, so as root every server command runs as the `postgres` user.

pg_find_bin() {
  local ctl
  ctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1)
  [ -n "$ctl" ] && dirname "$ctl"
}

# Sets PG_BIN, installing the server packages with apt when they are missing.
pg_ensure_installed() {
  PG_BIN=$(pg_find_bin)
  if [ -z "$PG_BIN" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "PostgreSQL server binaries are missing; install the 'postgresql' package." >&2
      return 1
    fi
    echo "Installing PostgreSQL server packages..." >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    PG_BIN=$(pg_find_bin)
  fi
  [ -n "$PG_BIN" ]
}

# Runs a command as the server's user.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

# True when the server's user can reach (and so create) the given directory's parent.
pg_dir_reachable() {
  local parent
  parent=$(dirname "$1")
  [ "$(id -u)" != 0 ] && return 0
  su postgres -s /bin/sh -c "test -x '$parent' && test -r '$parent'" 2>/dev/null
}

pg_free_port() {
  local port
  for port in $(seq "${1:-55432}" 65000); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Port of a running cluster in $1, or nothing.
pg_running_port() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] || return 1
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1 || return 1
  sed -n 4p "$dir/postmaster.pid"
}

# pg_start DIR [extra server options]: initialises DIR if needed, starts it on a free port, sets PG_PORT.
pg_start() {
  local dir=$1; shift
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    pg_as_owner "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log" >&2; return 1; }
  fi
  if PG_PORT=$(pg_running_port "$dir"); then
    return 0
  fi
  # Choosing a free port and binding it are two steps, so two scripts starting at the same moment could pick the
  # same port: the choice and the start (pg_ctl -w returns once the server listens) hold one machine-wide lock.
  local lock status=0
  exec {lock}>"${TMPDIR:-/tmp}/enrolment-cases-postgres-port.lock"
  flock -w 120 "$lock" || echo "postgres.sh: waited 120 s for the port lock; starting anyway" >&2
  if PG_PORT=$(pg_free_port); then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 $*" start >/dev/null {lock}>&- \
      || { tail -n 20 "$dir/server.log" >&2; status=1; }
  else
    status=1
  fi
  exec {lock}>&-
  return $status
}

pg_stop() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true
}

# pg_cpu DIR: CPU seconds of the cluster in DIR: the postmaster and its live children, and the children it has reaped.
pg_cpu() {
  local pm tick total=0
  pm=$(head -n 1 "$1/postmaster.pid")
  tick=$(getconf CLK_TCK)
  for stat in /proc/$pm/stat $(pgrep -P "$pm" | sed 's#.*#/proc/&/stat#'); do
    [ -r "$stat" ] || continue
    total=$(( total + $(awk '{print $14+$15+$16+$17}' "$stat" 2>/dev/null || echo 0) ))
  done
  awk -v t="$total" -v k="$tick" 'BEGIN {printf "%.2f", t/k}'
}

# pg_connection_string PORT [ROLE]: the private cluster's database as ROLE (the superuser by default).
pg_connection_string() {
  echo "Host=127.0.0.1;Port=$1;Database=postgres;Username=${2:-postgres};Include Error Detail=true"
}

# The API's two roles (docs/adr/0016-least-privilege-database-roles.md): PG_OWNER_ROLE owns the schemas and
# applies every change, PG_RUNTIME_ROLE is what the API serves as. Trust authentication on this private
# cluster, so no passwords. Schemas an older run created as the superuser are handed to the owner.
PG_OWNER_ROLE=enrolment_owner
PG_RUNTIME_ROLE=enrolment_api

pg_create_roles() {
  "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
do \$\$
declare r record;
begin
  if not exists (select from pg_roles where rolname = '$PG_OWNER_ROLE') then create role $PG_OWNER_ROLE login; end if;
  if not exists (select from pg_roles where rolname = '$PG_RUNTIME_ROLE') then create role $PG_RUNTIME_ROLE login; end if;
  for r in select nspname from pg_namespace where nspowner = 'postgres'::regrole
           and nspname not like 'pg\_%' and nspname not in ('information_schema', 'public') loop
    execute format('alter schema %I owner to $PG_OWNER_ROLE', r.nspname);
  end loop;
  for r in select c.oid::regclass as name, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspowner = '$PG_OWNER_ROLE'::regrole and c.relowner = 'postgres'::regrole and c.relkind in ('r', 'p', 'S')
           and not exists (select from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))
           order by c.relkind desc loop
    execute format('alter %s %s owner to $PG_OWNER_ROLE', case r.relkind when 'S' then 'sequence' else 'table' end, r.name);
  end loop;
  for r in select p.oid::regprocedure as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspowner = '$PG_OWNER_ROLE'::regrole and p.proowner = 'postgres'::regrole loop
    execute format('alter function %s owner to $PG_OWNER_ROLE', r.name);
  end loop;
end
\$\$;
-- Both create schemas: the owner the API's, the runtime role the replay verification's scratch copies.
grant create on database postgres to $PG_OWNER_ROLE, $PG_RUNTIME_ROLE;
SQL
}

# Exports the runtime and migration connection strings for the cluster on port $1.
pg_export_connection_strings() {
  pg_create_roles "$1" || return 1
  export ConnectionStrings__Marten="$(pg_connection_string "$1" "$PG_RUNTIME_ROLE")"
  export ConnectionStrings__MartenMigration="$(pg_connection_string "$1" "$PG_OWNER_ROLE")"
}
