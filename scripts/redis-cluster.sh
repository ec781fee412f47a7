#!/usr/bin/env bash
# Private Redis Cluster (3 primaries, no replicas) of the project's Redis Stack 7.4 binaries with
# RedisJSON and RediSearch loaded, for development and tests, without Docker.
#
# Usage: scripts/redis-cluster.sh {up|down|url|status|help}
#
#   up      Start the nodes unless they run (idempotent), create the cluster if it has no slots,
#           wait for cluster_state:ok on every node, then print its URL
#           (redis+cluster://127.0.0.1:PORT) as the only line on stdout.
#   down    Stop the nodes this script started (by their pidfiles). Idempotent.
#   url     Print the URL of the running cluster; exit 1 when not running.
#   status  Human-readable state; exit 0 when up and ok, 3 otherwise.
#
# Environment:
#   SESSIONMEM_CLUSTER_PORTS   Space-separated ports of the primaries. Default: "7101 7102 7103".
#                              Each node also uses PORT+10000 for the cluster bus.
#   SESSIONMEM_CLUSTER_DIR     State folder. Default: <project>/.cache/redis-cluster
#   SESSIONMEM_CLUSTER_WAIT    Seconds to wait for cluster_state:ok. Default: 60
#
# The binaries come from scripts/redis-stack.sh (downloaded on first use). Progress goes to stderr.
set -euo pipefail

PROG=$(basename "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(dirname "$SCRIPT_DIR")
read -r -a PORTS <<<"${SESSIONMEM_CLUSTER_PORTS:-7101 7102 7103}"
D=${SESSIONMEM_CLUSTER_DIR:-$PROJECT_ROOT/.cache/redis-cluster}
case $D in /*) ;; *) D=$PWD/$D ;; esac
WAIT=${SESSIONMEM_CLUSTER_WAIT:-60}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

load_paths() {
  local line
  while IFS= read -r line; do
    case $line in
      REDIS_SERVER=* | REDIS_CLI=* | MOD_JSON=* | MOD_SEARCH=* | LD_LIBRARY_PATH=*) export "${line?}" ;;
    esac
  done < <(REDIS_URL= bash "$SCRIPT_DIR/redis-stack.sh" paths) || die "scripts/redis-stack.sh paths failed"
  [[ -x ${REDIS_SERVER:-} && -x ${REDIS_CLI:-} ]] || die "redis binaries not found (scripts/redis-stack.sh paths)"
}

rcli() { timeout 10 "$REDIS_CLI" -h 127.0.0.1 "$@"; }

pid_of() { local f=$D/$1/redis.pid; [[ -r $f ]] && tr -d '[:space:]' <"$f" || true; }

alive() {   # alive PORT: our node on PORT is running and answering
  local pid
  pid=$(pid_of "$1")
  [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 1
  [[ $(rcli -p "$1" ping 2>/dev/null) == PONG ]]
}

start_node() {
  local port=$1 dir=$D/$1 i
  mkdir -p "$dir"
  [[ $port =~ ^[0-9]+$ ]] && (( port >= 1 && port <= 55535 )) || die "bad port '$port' in SESSIONMEM_CLUSTER_PORTS"
  log "starting node 127.0.0.1:$port (log: $dir/redis.log)"
  (
    for fd in /proc/self/fd/*; do n=${fd##*/}; if (( n > 2 )); then exec {n}>&- || true; fi; done
    exec "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --dir "$dir" \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      --save '' --appendonly no \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --cluster-require-full-coverage yes \
      --loadmodule "$MOD_JSON" --loadmodule "$MOD_SEARCH" </dev/null >>"$dir/redis.log" 2>&1
  ) || { tail -n 20 "$dir/redis.log" >&2; die "node on port $port failed to start"; }
  for ((i = 0; i < 200; i++)); do
    alive "$port" && return 0
    grep -q 'Address already in use' "$dir/redis.log" 2>/dev/null && die "port $port is in use; set SESSIONMEM_CLUSTER_PORTS"
    sleep 0.1
  done
  tail -n 20 "$dir/redis.log" >&2
  die "node on port $port did not answer within 20s"
}

cluster_ok() {   # every node reports cluster_state:ok and knows all slots
  local port info
  for port in "${PORTS[@]}"; do
    info=$(rcli -p "$port" cluster info 2>/dev/null | tr -d '\r') || return 1
    grep -qx 'cluster_state:ok' <<<"$info" && grep -qx 'cluster_slots_assigned:16384' <<<"$info" || return 1
    grep -qx "cluster_known_nodes:${#PORTS[@]}" <<<"$info" || return 1
  done
}

cmd_up() {
  (( ${#PORTS[@]} >= 3 )) || die "a cluster needs at least 3 primaries; SESSIONMEM_CLUSTER_PORTS has ${#PORTS[@]}"
  load_paths
  mkdir -p "$D"
  exec 9>"$D/lock" && flock -w 300 9 || die "another $PROG holds $D/lock"
  local port i assigned
  for port in "${PORTS[@]}"; do alive "$port" || start_node "$port"; done
  assigned=$(rcli -p "${PORTS[0]}" cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')
  if [[ $assigned == 0 ]]; then
    local -a addrs=()
    for port in "${PORTS[@]}"; do addrs+=("127.0.0.1:$port"); done
    log "creating the cluster: ${addrs[*]}"
    rcli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >&2 \
      || die "redis-cli --cluster create failed (see above)"
  fi
  for ((i = 0; i < WAIT * 10; i++)); do
    if cluster_ok; then
      printf 'redis+cluster://127.0.0.1:%s\n' "${PORTS[0]}"
      return 0
    fi
    sleep 0.1
  done
  for port in "${PORTS[@]}"; do log "node $port: $(rcli -p "$port" cluster info 2>&1 | tr -d '\r' | head -n 3 | tr '\n' ' ')"; done
  die "the cluster did not reach cluster_state:ok within ${WAIT}s"
}

cmd_down() {
  [[ -d $D ]] || { log "not running"; return 0; }
  load_paths
  local port pid i
  for port in "${PORTS[@]}"; do
    pid=$(pid_of "$port")
    [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || continue
    log "stopping node $port (pid $pid)"
    rcli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; }
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  done
  # A new `up` creates a fresh cluster: node ids and slot maps do not survive a restart.
  for port in "${PORTS[@]}"; do rm -rf "${D:?}/$port"; done
  return 0
}

cmd_url() {
  load_paths
  cluster_ok || { log "not running (start it with: $PROG up)"; return 1; }
  printf 'redis+cluster://127.0.0.1:%s\n' "${PORTS[0]}"
}

cmd_status() {
  load_paths
  local port
  echo "Redis Cluster (private, ${#PORTS[@]} primaries, state in $D)"
  for port in "${PORTS[@]}"; do
    if alive "$port"; then
      echo "  127.0.0.1:$port  pid $(pid_of "$port")  $(rcli -p "$port" cluster info | tr -d '\r' | grep -E '^cluster_state:' )  slots $(rcli -p "$port" cluster nodes | awk '/myself/ { for (i = 9; i <= NF; i++) printf "%s ", $i }')"
    else
      echo "  127.0.0.1:$port  not running"
    fi
  done
  if cluster_ok; then echo "  url: redis+cluster://127.0.0.1:${PORTS[0]}"; return 0; fi
  return 3
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; }

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  url) cmd_url ;;
  status) cmd_status ;;
  help | -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
