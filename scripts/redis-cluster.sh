#!/usr/bin/env bash
# A local Redis Cluster of Debian's redis-server: 3 primaries + 3 replicas on free local
# ports, no Docker. Used by `scripts/stack.sh cluster-up|cluster-down`, the cluster pass of
# the tests (scripts/test-cluster.sh) and tests that need a cluster they may break (the
# failover test starts its own in a temporary folder).
#
#   scripts/redis-cluster.sh up DIR      start (or reuse) the cluster whose files live in DIR;
#                                        prints its URL: redis+cluster://127.0.0.1:p1,…,p6
#   scripts/redis-cluster.sh down DIR    stop it (SIGTERM, then SIGKILL) and delete DIR's data
#   scripts/redis-cluster.sh url DIR     print the URL of a running cluster
#
# Environment:
#   REDIS_CLUSTER_BASE_PORT     first port tried (default 7100); each node needs port and
#                               port + 10000 (the cluster bus) free
#   REDIS_CLUSTER_NODE_TIMEOUT  cluster-node-timeout in ms (default 2000): how long a primary
#                               may be silent before its replica is promoted. Small, so that a
#                               local failover takes seconds; production keeps 15000.
#
# DIR/node-<port>/ holds each node's nodes.conf, pid and log; DIR/url the URL; DIR/ports the
# ports, primaries first after creation (the order redis-cli --cluster create assigns).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST=127.0.0.1
BASE_PORT="${REDIS_CLUSTER_BASE_PORT:-7100}"
NODE_TIMEOUT="${REDIS_CLUSTER_NODE_TIMEOUT:-2000}"
NODES=6

log() { printf '[redis-cluster] %s\n' "$*" >&2; }
die() { printf '[redis-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
cli() { timeout 5 redis-cli -h "$HOST" -p "$1" "${@:2}"; }
pings() { [[ "$(cli "$1" ping 2>/dev/null)" == PONG ]]; }

# DIR's nodes that are alive (by pid file), one port a line
live_ports() {
  local dir=$1 f port
  for f in "$dir"/node-*/redis.pid; do
    [[ -f "$f" ]] || continue
    port=${f%/redis.pid}
    port=${port##*/node-}
    pid_alive "$(cat "$f")" && echo "$port"
  done
  return 0
}

url_of() { # ports… -> redis+cluster://host:p1,host:p2,…
  local out="" p
  for p in "$@"; do out+="${out:+,}$HOST:$p"; done
  echo "redis+cluster://$out"
}

cluster_ok() { [[ "$(cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p')" == ok ]]; }

wait_until() { # seconds message command…
  local deadline=$((SECONDS + $1)) msg=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out: $msg"
    sleep 0.2
  done
}

all_ok() { # every port reports cluster_state:ok and every replica's link is up
  local p
  for p in "$@"; do
    cluster_ok "$p" || return 1
    if cli "$p" info replication | tr -d '\r' | grep -q '^role:slave'; then
      cli "$p" info replication | tr -d '\r' | grep -q '^master_link_status:up' || return 1
    fi
  done
}

cmd_up() {
  local dir=$1
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  flock -w 120 9 || die "another up/down holds $dir/.lock"
  local running
  mapfile -t running < <(live_ports "$dir")
  if ((${#running[@]} == NODES)) && all_ok "${running[@]}"; then
    log "already running: $(cat "$dir/url")"
    cat "$dir/url"
    return 0
  fi
  ((${#running[@]} == 0)) || { log "half-running cluster in $dir: restarting it"; cmd_down_locked "$dir"; }
  bash "$ROOT/scripts/install-redis.sh"
  local ports=() p=$BASE_PORT
  while ((${#ports[@]} < NODES)); do
    if ! port_in_use "$p" && ! port_in_use $((p + 10000)); then ports+=("$p"); fi
    p=$((p + 1))
    ((p < 55000)) || die "no free ports above $BASE_PORT"
  done
  for p in "${ports[@]}"; do
    local nd="$dir/node-$p"
    rm -rf "$nd"
    mkdir -p "$nd"
    # no persistence: a killed primary comes back empty and rejoins as a replica
    redis-server --daemonize yes --bind "$HOST" --port "$p" --dir "$nd" \
      --pidfile "$nd/redis.pid" --logfile "$nd/redis.log" --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout "$NODE_TIMEOUT" \
      --cluster-replica-validity-factor 0 >/dev/null 8>&- 9>&-
  done
  for p in "${ports[@]}"; do wait_until 15 "redis-server on $p" pings "$p"; done
  local addrs=()
  for p in "${ports[@]}"; do addrs+=("$HOST:$p"); done
  log "creating the cluster: ${addrs[*]} (3 primaries, 1 replica each)"
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 ||
    { tail -n 20 "$dir/create.log" >&2; die "redis-cli --cluster create failed"; }
  wait_until 60 "cluster_state:ok and replicas in sync" all_ok "${ports[@]}"
  printf '%s\n' "${ports[@]}" >"$dir/ports"
  url_of "${ports[@]}" >"$dir/url"
  log "up: $(cat "$dir/url")"
  cat "$dir/url"
}

cmd_down_locked() {
  local dir=$1 f pid
  for f in "$dir"/node-*/redis.pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f")
    if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q redis-server; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  local deadline=$((SECONDS + 10))
  for f in "$dir"/node-*/redis.pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f")
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"/node-* "$dir/url" "$dir/ports"
}

cmd_down() {
  local dir=$1
  [[ -d "$dir" ]] || return 0
  exec 9>"$dir/.lock"
  flock -w 120 9 || die "another up/down holds $dir/.lock"
  cmd_down_locked "$dir"
  log "down: $dir"
}

cmd_url() {
  local dir=$1
  [[ -f "$dir/url" ]] || die "no cluster in $dir (scripts/redis-cluster.sh up $dir)"
  cat "$dir/url"
}

main() {
  local cmd=${1:-} dir=${2:-}
  [[ -n "$dir" ]] || { echo "usage: scripts/redis-cluster.sh up|down|url DIR" >&2; exit 2; }
  dir="$(mkdir -p "$dir" && cd "$dir" && pwd)"
  case "$cmd" in
  up) cmd_up "$dir" ;;
  down) cmd_down "$dir" ;;
  url) cmd_url "$dir" ;;
  *) echo "usage: scripts/redis-cluster.sh up|down|url DIR" >&2; exit 2 ;;
  esac
}

main "$@"
