#!/usr/bin/env bash
# Start PostgreSQL and Redis on loopback if they are down; fail loudly if either cannot start.
set -euo pipefail
PGDB=${HOTLINE_PG_DATABASES:-"hotline hotline_test"}

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "FATAL: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "FATAL: Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }

PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qtA)
"${PSQL[@]}" -c 'select 1' >/dev/null 2>&1 || PSQL=(su postgres -c "psql -v ON_ERROR_STOP=1 -qtA")
for db in $PGDB; do
  if ! psql -h 127.0.0.1 -U postgres -qtA -c "select 1 from pg_database where datname='$db'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -q -c "create database $db" >/dev/null
  fi
done
echo "PostgreSQL and Redis are up"
