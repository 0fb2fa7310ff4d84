#!/bin/sh
# The database role of the infrastructure image: PostgreSQL 15 as the user postgres, its cluster in
# PGDATA (a volume). The first start creates the cluster with the role and database named by
# POSTGRES_USER / POSTGRES_DB and the password POSTGRES_PASSWORD (scram-sha-256 from the network).
set -eu
bin=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=codeinterpreter}" "${POSTGRES_DB:=codeinterpreter}"
[ -n "${POSTGRES_PASSWORD:-}" ] || { echo "[database] POSTGRES_PASSWORD is required" >&2; exit 1; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_postgres() { runuser -u postgres -- "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "[database] creating the cluster in $PGDATA" >&2
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"; chown postgres "$pwfile"
  as_postgres "$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >&2
  rm -f "$pwfile"
  echo "host all all 0.0.0.0/0 scram-sha-256" >>"$PGDATA/pg_hba.conf"
  as_postgres "$bin/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses='' -k /run/postgresql" start >&2
  as_postgres "$bin/psql" -h /run/postgresql -U "$POSTGRES_USER" -d postgres -qAt -c "CREATE DATABASE \"$POSTGRES_DB\"" >&2
  as_postgres "$bin/pg_ctl" -D "$PGDATA" -w stop >&2
fi
exec runuser -u postgres -- "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -k /run/postgresql \
  -c max_connections="${POSTGRES_MAX_CONNECTIONS:-300}"
