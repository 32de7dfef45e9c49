#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on 127.0.0.1 for tests, from Debian's
# galera-4 and the machine's MariaDB 10.11 server binary.
#
#   scripts/galera.sh start   # prints the node DSNs (STRATA_TEST_GALERA)
#   scripts/galera.sh stop    # stops the PIDs start recorded, removes the data
#   scripts/galera.sh status
#
# Everything lives under $STRATA_GALERA_DIR (default /tmp/strata-galera):
# one directory per node with its own my.cnf (read with --defaults-file, so
# /etc/mysql is never read), datadir, socket, log and PID. Ports: SQL
# 3401-3403, group communication 4561-4563, IST 4571-4573, SST 4581-4583;
# the system server on 3306 is left alone. Node 1 bootstraps the cluster
# (--wsrep-new-cluster); nodes 2 and 3 join it with an rsync state
# transfer. If galera-4 or rsync is missing, start runs `apt-get update`
# once and installs them (nothing else under /etc is touched).
set -euo pipefail

DIR="${STRATA_GALERA_DIR:-/tmp/strata-galera}"
NODES=3
SQL_PORT=3400 GCOMM_PORT=4560 IST_PORT=4570 SST_PORT=4580
PROVIDER=/usr/lib/galera/libgalera_smm.so
RUN_USER="${STRATA_GALERA_USER:-mysql}"

log() { echo "galera: $*" >&2; }

dsns() {
  local out=() i
  for i in $(seq 1 $NODES); do out+=("root@tcp(127.0.0.1:$((SQL_PORT + i)))/test"); done
  (IFS=,; echo "${out[*]}")
}

install_deps() {
  local missing=()
  [ -e "$PROVIDER" ] || missing+=(galera-4)
  command -v rsync >/dev/null || missing+=(rsync)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

client() { # client NODE SQL...
  local n=$1; shift
  mariadb --no-defaults --protocol=socket --socket="$DIR/node$n/mysqld.sock" -uroot -N -B -e "$*"
}

write_cnf() {
  local n=$1 d="$DIR/node$1"
  mkdir -p "$d/data"
  cat >"$d/my.cnf" <<EOF
[mariadbd]
user=$RUN_USER
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$((SQL_PORT + n))
bind-address=127.0.0.1
skip-log-bin
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=2
innodb_autoinc_lock_mode=2
binlog_format=ROW
default_storage_engine=InnoDB
max_connections=200
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=strata_test
wsrep_cluster_address=gcomm://127.0.0.1:$((GCOMM_PORT + 1)),127.0.0.1:$((GCOMM_PORT + 2)),127.0.0.1:$((GCOMM_PORT + 3))
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:$((GCOMM_PORT + n))
wsrep_node_incoming_address=127.0.0.1:$((SQL_PORT + n))
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$((SST_PORT + n))
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$((GCOMM_PORT + n));ist.recv_addr=127.0.0.1:$((IST_PORT + n));gcache.size=32M;gcs.fc_limit=64"
EOF
  chown -R "$RUN_USER" "$d"
}

start_node() { # start_node N [extra args]
  local n=$1; shift
  local d="$DIR/node$n"
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 &
  echo $! >"$d/started.pid"
}

wait_synced() { # wait_synced N SECONDS
  local n=$1 deadline=$((SECONDS + $2)) state
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$(cat "$DIR/node$n/started.pid")" 2>/dev/null; then
      log "node$n exited; tail of its log:"; tail -n 30 "$DIR/node$n/error.log" >&2; return 1
    fi
    state=$(client "$n" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || true)
    [ "$state" = Synced ] && return 0
    sleep 0.5
  done
  log "node$n not Synced after $2 s (state '${state:-}')"; tail -n 30 "$DIR/node$n/error.log" >&2
  return 1
}

start() {
  local t0=$SECONDS i
  if [ -e "$DIR/node1/started.pid" ] && kill -0 "$(cat "$DIR/node1/started.pid")" 2>/dev/null; then
    log "already running in $DIR"; dsns; return 0
  fi
  install_deps
  rm -rf "$DIR"; mkdir -p "$DIR"; chmod 755 "$DIR"
  for i in $(seq 1 $NODES); do write_cnf "$i"; done
  mariadb-install-db --no-defaults --datadir="$DIR/node1/data" --user="$RUN_USER" \
    --auth-root-authentication-method=normal --skip-test-db >"$DIR/node1/install.log" 2>&1 \
    || { cat "$DIR/node1/install.log" >&2; return 1; }
  start_node 1 --wsrep-new-cluster
  wait_synced 1 120
  client 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE IF NOT EXISTS test"
  for i in $(seq 2 $NODES); do start_node "$i"; done
  for i in $(seq 2 $NODES); do wait_synced "$i" 240; done
  local size; size=$(client 1 "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)
  [ "$size" = "$NODES" ] || { log "cluster size $size, want $NODES"; return 1; }
  log "$NODES nodes Synced in $((SECONDS - t0)) s"
  dsns
}

stop() {
  local i pid
  for i in $(seq $NODES -1 1); do
    local f="$DIR/node$i/started.pid"
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    # Only the process this script started, and only if it still is ours.
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--defaults-file=$DIR/node$i/my.cnf"; then
      kill -TERM "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -0 "$pid" 2>/dev/null && { log "node$i did not stop; KILL $pid"; kill -KILL "$pid"; }
    fi
    rm -f "$f"
  done
  [ "${STRATA_GALERA_KEEP:-}" = 1 ] || rm -rf "$DIR"
  log "stopped"
}

status() {
  local i
  for i in $(seq 1 $NODES); do
    printf 'node%s: ' "$i"
    client "$i" "SHOW STATUS WHERE Variable_name IN ('wsrep_local_state_comment','wsrep_cluster_size')" 2>/dev/null | tr '\n\t' ' =' || printf 'down'
    echo
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  dsns) dsns ;;
  *) echo "usage: $0 start|stop|status|dsns" >&2; exit 2 ;;
esac
