#!/usr/bin/env bash
# The project-local PostgreSQL cluster (data under .data/, ignored by git).
#   db.sh start   initialise on first use, start, create the app database, ensure `vector` works
#   db.sh stop    stop the local cluster
#   db.sh url     print the DATABASE_URL the app and tests should use
# When DATABASE_URL is already set, that server is used and nothing local is started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_DATA="$ROOT/.data/pg/data"
PORT_FILE="$ROOT/.data/pg/port"
PG_SOCK="$ROOT/.data/pg/sock"
PG_LOG="$ROOT/.data/pg/postgres.log"
DB_NAME="${REVINTEL_DB_NAME:-revintel}"

# PostgreSQL refuses to run as root: run its binaries as the `postgres` system user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The cluster's port is chosen once, at initdb, and kept in .data/pg/port: 5433 (or
# REVINTEL_PG_PORT) unless something else (another checkout's cluster) already listens there.
choose_port() {
  local port="${REVINTEL_PG_PORT:-5433}"
  while port_in_use "$port"; do port=$((port + 1)); done
  echo "$port"
}

pg_port() {
  if [ -f "$PORT_FILE" ]; then cat "$PORT_FILE"; else echo "${REVINTEL_PG_PORT:-5433}"; fi
}

local_url() { echo "postgres://postgres@127.0.0.1:$(pg_port)/${DB_NAME}"; }

start_local() {
  mkdir -p "$ROOT/.data/pg"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$ROOT/.data/pg"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    local PG_PORT
    PG_PORT="$(choose_port)"
    echo "$PG_PORT" >"$PORT_FILE"
    log "postgres: initialising local cluster in .data/pg (port $PG_PORT)"
    as_pg mkdir -p "$PG_DATA" "$PG_SOCK"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat <<CONF | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
port = ${PG_PORT}
unix_socket_directories = '${PG_SOCK}'
max_connections = 300
shared_buffers = 256MB
maintenance_work_mem = 512MB
fsync = on
CONF
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "postgres: starting local cluster"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null
  fi
  local psql=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -h 127.0.0.1 -p "$(pg_port)" -U postgres -v ON_ERROR_STOP=1 -qAt)
  if [ "$("${psql[@]}" -d postgres -c "select 1 from pg_database where datname='${DB_NAME}'")" != "1" ]; then
    "${psql[@]}" -d postgres -c "create database \"${DB_NAME}\"" >/dev/null
  fi
  # Fails loudly here, not later in a migration, when pgvector is missing.
  "${psql[@]}" -d "$DB_NAME" -c "create extension if not exists vector" >/dev/null
}

case "${1:-}" in
  start)
    if [ -n "${DATABASE_URL:-}" ]; then
      log "postgres: using DATABASE_URL; no local cluster started"
    else
      start_local
    fi
    ;;
  stop)
    if [ -f "$PG_DATA/PG_VERSION" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop || true; fi
    ;;
  url)
    if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; else local_url; fi
    ;;
  *)
    die "usage: scripts/db.sh start|stop|url"
    ;;
esac
