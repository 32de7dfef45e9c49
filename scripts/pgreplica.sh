#!/usr/bin/env bash
# A PostgreSQL primary and a streaming replica on 127.0.0.1 for tests,
# from the machine's PostgreSQL 15 binaries.
#
#   scripts/pgreplica.sh start   # prints "PRIMARY_DSN REPLICA_DSN"
#   scripts/pgreplica.sh stop    # pg_ctl stop on these datadirs only, removes them
#
# Everything lives under $STRATA_PGREP_DIR (default /tmp/strata-pgrep),
# owned by the postgres user: the primary (initdb, port 5451, trust auth,
# wal_level=replica) and the replica (pg_basebackup -R -X stream from the
# primary, port 5452). The system cluster on 5432 and /etc/postgresql are
# left alone.
set -euo pipefail

DIR="${STRATA_PGREP_DIR:-/tmp/strata-pgrep}"
BIN="${STRATA_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)}"
PRIMARY_PORT=5451 REPLICA_PORT=5452
RUN_USER=postgres

log() { echo "pgreplica: $*" >&2; }
as_pg() { if [ "$(id -un)" = "$RUN_USER" ]; then "$@"; else runuser -u "$RUN_USER" -- "$@"; fi; }

dsns() {
  echo "postgres://postgres@127.0.0.1:$PRIMARY_PORT/test?sslmode=disable postgres://postgres@127.0.0.1:$REPLICA_PORT/test?sslmode=disable"
}

start() {
  local t0=$SECONDS
  if [ -e "$DIR/primary/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR/primary" status >/dev/null 2>&1; then
    log "already running in $DIR"; dsns; return 0
  fi
  rm -rf "$DIR"; mkdir -p "$DIR"; chown "$RUN_USER" "$DIR"
  as_pg "$BIN/initdb" -D "$DIR/primary" -U postgres --auth=trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; return 1; }
  cat >>"$DIR/primary/postgresql.conf" <<CONF
port = $PRIMARY_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
shared_buffers = 32MB
max_connections = 100
CONF
  echo "host replication postgres 127.0.0.1/32 trust" >>"$DIR/primary/pg_hba.conf"
  as_pg "$BIN/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null
  as_pg "$BIN/psql" -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -qc "CREATE DATABASE test" >/dev/null
  as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -D "$DIR/replica" -R -X stream --checkpoint=fast --no-sync >"$DIR/basebackup.log" 2>&1 \
    || { cat "$DIR/basebackup.log" >&2; return 1; }
  sed -i "s/^port = $PRIMARY_PORT/port = $REPLICA_PORT/" "$DIR/replica/postgresql.conf"
  as_pg "$BIN/pg_ctl" -D "$DIR/replica" -l "$DIR/replica.log" -w start >/dev/null
  local i
  for i in $(seq 1 60); do
    if [ "$(as_pg "$BIN/psql" -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -Atc "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ]; then
      log "primary and streaming replica up in $((SECONDS - t0)) s"
      dsns
      return 0
    fi
    sleep 0.5
  done
  log "the replica is not streaming"; tail -n 20 "$DIR/replica.log" >&2
  return 1
}

stop() {
  local d
  for d in replica primary; do
    if [ -e "$DIR/$d/postmaster.pid" ]; then
      as_pg "$BIN/pg_ctl" -D "$DIR/$d" -m fast -w stop >/dev/null || log "$d did not stop"
    fi
  done
  [ "${STRATA_PGREP_KEEP:-}" = 1 ] || rm -rf "$DIR"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  dsns) dsns ;;
  *) echo "usage: $0 start|stop|dsns" >&2; exit 2 ;;
esac
