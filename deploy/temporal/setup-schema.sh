#!/bin/sh
# One-shot (temporalio/admin-tools image): creates Temporal's two databases on its own PostgreSQL and
# brings their schemas up to the version this admin-tools image ships. Safe to re-run: `create` on an
# existing database is tolerated, `setup-schema -v 0.0` keeps a newer recorded version, and
# `update-schema` applies only the versions not yet applied.
# Env: POSTGRES_SEEDS (host), DB_PORT (default 5432), POSTGRES_USER, SQL_PASSWORD (read by temporal-sql-tool).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (Temporal PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
PORT="${DB_PORT:-5432}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

echo "[temporal-schema] waiting for ${POSTGRES_SEEDS}:${PORT}"
i=0
until nc -z -w 5 "$POSTGRES_SEEDS" "$PORT"; do
  i=$((i + 1))
  [ "$i" -ge 30 ] && { echo "[temporal-schema] PostgreSQL not reachable" >&2; exit 1; }
  sleep 2
done

sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$PORT" "$@"; }

for pair in temporal:temporal temporal_visibility:visibility; do
  db="${pair%%:*}"
  dir="${pair#*:}"
  echo "[temporal-schema] database ${db}"
  sql --db "$db" create || echo "[temporal-schema] create ${db} failed: assuming it already exists"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "${SCHEMA_ROOT}/${dir}/versioned"
done
echo "[temporal-schema] done"
