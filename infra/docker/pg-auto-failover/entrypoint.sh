#!/bin/bash
# One member of the pg_auto_failover formation of docker-compose.failover.yml (docs/running.md
# "PostgreSQL with automatic failover"): `monitor`, `node` (the first node to register becomes the
# primary, the next its synchronous standby), or `health` (the node's health check).
set -euo pipefail

export PGDATA=/var/lib/postgresql/pgaf/data
export XDG_CONFIG_HOME=/var/lib/postgresql/pgaf/config XDG_DATA_HOME=/var/lib/postgresql/pgaf/share
PG_CTL=/usr/lib/postgresql/15/bin/pg_ctl
HOST="$(hostname)"
MONITOR_URL="postgres://autoctl_node@${PGAF_MONITOR_HOST:-pg-monitor}:5432/pg_auto_failover?sslmode=require"

# pg_autoctl's own connections (monitor, health checks, replication) use trust, as pg_auto_failover's
# Docker example does: they stay on the internal `db` network, which only the formation, the API and
# the migration step join. The application's roles need their passwords (scram-sha-256); like the
# single server of docker-compose.yml they connect in plain TCP inside that private network
# (node-postgres verifies every certificate, and these are self-signed).
APP_HBA="host phr phr_owner,phr_app samenet scram-sha-256"

# Creates the owner and application roles and the database once, on the primary; the standby gets
# them by replication. Same roles and rights as infra/docker/postgres/init.sh.
provision() {
  psql -v ON_ERROR_STOP=1 -d postgres -v owner_password="$PHR_OWNER_PASSWORD" -v app_password="$PHR_APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE phr_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phr_owner') \gexec
SELECT 'CREATE ROLE phr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phr_app') \gexec
ALTER ROLE phr_owner PASSWORD :'owner_password';
ALTER ROLE phr_app PASSWORD :'app_password';
SELECT 'CREATE DATABASE phr OWNER phr_owner' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'phr') \gexec
\connect phr
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO phr_owner;
SQL
}

is_writable() {
  [ "$(psql -Atq -d postgres -c 'SHOW transaction_read_only' 2>/dev/null)" = "off" ]
}

case "${1:?monitor, node or health}" in
  monitor)
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      pg_autoctl create monitor --pgdata "$PGDATA" --pgport 5432 --hostname "$HOST" \
        --auth trust --ssl-self-signed --pgctl "$PG_CTL"
    fi
    exec pg_autoctl run --pgdata "$PGDATA"
    ;;
  node)
    : "${PHR_OWNER_PASSWORD:?set PHR_OWNER_PASSWORD}" "${PHR_APP_PASSWORD:?set PHR_APP_PASSWORD}"
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      pg_autoctl create postgres --pgdata "$PGDATA" --pgport 5432 --listen '*' --hostname "$HOST" --name "$HOST" \
        --auth trust --ssl-self-signed --pgctl "$PG_CTL" --monitor "$MONITOR_URL"
    fi
    # A standby's pg_hba.conf is the primary's copy: the line may be there already.
    grep -qxF "$APP_HBA" "$PGDATA/pg_hba.conf" || echo "$APP_HBA" >> "$PGDATA/pg_hba.conf"
    pg_autoctl run --pgdata "$PGDATA" &
    autoctl=$!
    trap 'kill -TERM "$autoctl"' TERM INT
    # On the primary, once it takes writes: the roles (idempotent; passwords follow .env).
    until is_writable || psql -Atq -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null | grep -qx t; do
      kill -0 "$autoctl" 2>/dev/null || exit 1
      sleep 1
    done
    if is_writable; then provision; fi
    psql -q -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
    wait "$autoctl"
    ;;
  health)
    # Healthy once this node serves and has the application's role (made on the primary, replicated).
    [ "$(psql -Atq -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolname = 'phr_app'")" = "1" ]
    ;;
esac
