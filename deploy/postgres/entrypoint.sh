#!/bin/sh
# On the first start, creates the cluster, the portal's role (POSTGRES_USER, POSTGRES_PASSWORD) and its database
# (POSTGRES_DB); then runs PostgreSQL in the foreground, listening on PG_LISTEN (default: every address), port PGPORT.
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
POSTGRES_USER=${POSTGRES_USER:-prcn}
POSTGRES_DB=${POSTGRES_DB:-prcn}
BIN=/usr/lib/postgresql/15/bin

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    "$BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start
    psql -h /tmp -U postgres -q -v ON_ERROR_STOP=1 -v role="$POSTGRES_USER" -v password="$POSTGRES_PASSWORD" \
        -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"role";
SQL
    "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop
fi
exec "$BIN/postgres" -D "$PGDATA" -k /tmp -p "${PGPORT:-5432}" -c listen_addresses="${PG_LISTEN:-*}"
