#!/usr/bin/env bash
# cluster.sh: a local multi-node Hadron cluster on loopback (issue 7): 2 statesvc shards,
# 3 frontends and haproxy (TCP mode) in front of the frontends' IMAP and IMAPS listeners.
#
#   bash scripts/cluster.sh start    # build (unless HADRON_BIN_DIR is set), (re)start everything,
#                                    # create the demo accounts (one on each shard)
#   bash scripts/cluster.sh status   # which processes run, where
#   bash scripts/cluster.sh stop     # SIGTERM everything (SIGKILL after 10 s)
#
# Environment (defaults in brackets): HADRON_CLUSTER_HOME [~/.local/share/hadron-cluster],
# HADRON_BIN_DIR (use these binaries, no build), HADRON_CLUSTER_IMAP [127.0.0.1:2143],
# HADRON_CLUSTER_IMAPS [127.0.0.1:2993], HADRON_CLUSTER_STATESVC [127.0.0.1:50061,127.0.0.1:50062]
# (the ordered shard list), HADRON_CLUSTER_FRONTENDS [127.0.0.1:21431,127.0.0.1:21432,
# 127.0.0.1:21433] (plain IMAP listeners), HADRON_CLUSTER_FRONTENDS_TLS [each plain port + 10]
# (their IMAPS listeners), HADRON_CLUSTER_DEMO [1] (0: no demo accounts).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HOME_DIR="${HADRON_CLUSTER_HOME:-$HOME/.local/share/hadron-cluster}"
IMAP_ADDR="${HADRON_CLUSTER_IMAP:-127.0.0.1:2143}"
IMAPS_ADDR="${HADRON_CLUSTER_IMAPS:-127.0.0.1:2993}"
SHARDS="${HADRON_CLUSTER_STATESVC:-127.0.0.1:50061,127.0.0.1:50062}"
FRONTENDS="${HADRON_CLUSTER_FRONTENDS:-127.0.0.1:21431,127.0.0.1:21432,127.0.0.1:21433}"
DEMO="${HADRON_CLUSTER_DEMO:-1}"
IFS=',' read -r -a SHARD_LIST <<<"$SHARDS"
IFS=',' read -r -a FRONTEND_LIST <<<"$FRONTENDS"
TLS_LIST=()
if [ -n "${HADRON_CLUSTER_FRONTENDS_TLS:-}" ]; then
  IFS=',' read -r -a TLS_LIST <<<"$HADRON_CLUSTER_FRONTENDS_TLS"
else
  for fe in "${FRONTEND_LIST[@]}"; do TLS_LIST+=("${fe%:*}:$(( ${fe##*:} + 10 ))"); done
fi
if [ "${#TLS_LIST[@]}" != "${#FRONTEND_LIST[@]}" ]; then
  echo "cluster: HADRON_CLUSTER_FRONTENDS_TLS must list one address per frontend" >&2
  exit 2
fi

log() { echo "cluster: $*"; }

# Every process we start: run/NAME.pid, logs/NAME.log.
names() {
  local i
  echo haproxy
  for i in "${!FRONTEND_LIST[@]}"; do echo "frontend$i"; done
  for i in "${!SHARD_LIST[@]}"; do echo "statesvc$i"; done
}

stop_all() {
  local n pid pids=() i
  for n in $(names); do
    [ -f "$HOME_DIR/run/$n.pid" ] || continue
    pid="$(cat "$HOME_DIR/run/$n.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    # Frontends before the shards: wait for this tier before stopping the next.
    if [ "$n" = haproxy ] || [ "$n" = "frontend$(( ${#FRONTEND_LIST[@]} - 1 ))" ]; then
      for i in $(seq 1 100); do
        local alive=0 p
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
      done
    fi
  done
  for i in $(seq 1 100); do
    local alive=0 p
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -f "$HOME_DIR"/run/*.pid
}

# wait_port HOST:PORT NAME: until the port accepts connections (or the process dies).
wait_port() {
  local host="${1%:*}" port="${1##*:}" pid i
  pid="$(cat "$HOME_DIR/run/$2.pid")"
  for i in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "cluster: $2 exited during startup; last log lines:" >&2
      tail -n 20 "$HOME_DIR/logs/$2.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
  echo "cluster: $2 did not open $1 within 30s; see $HOME_DIR/logs/$2.log" >&2
  exit 1
}

# spawn NAME ARGV...: starts a process in the background with its log and pid file.
spawn() {
  local name="$1"
  shift
  nohup "$@" >>"$HOME_DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$HOME_DIR/run/$name.pid"
}

start() {
  local i
  if [ -n "${HADRON_BIN_DIR:-}" ]; then
    BIN="$HADRON_BIN_DIR"
    command -v haproxy >/dev/null || { echo "cluster: haproxy is not installed (scripts/install-deps.sh)" >&2; exit 1; }
  else
    bash scripts/install-deps.sh
    local targets=(//statesvc:hadron-statesvc //frontend:hadron-frontend //tools/hadronctl:hadronctl)
    log "building ${targets[*]}"
    bazel build "${targets[@]}"
    local bazel_bin
    bazel_bin="$(bazel info bazel-bin 2>/dev/null)"
    mkdir -p "$HOME_DIR/bin"
    stop_all
    for t in statesvc/hadron-statesvc frontend/hadron-frontend tools/hadronctl/hadronctl; do
      install -m 0755 "$bazel_bin/$t" "$HOME_DIR/bin/$(basename "$t")"
    done
    BIN="$HOME_DIR/bin"
  fi
  mkdir -p "$HOME_DIR"/{logs,run,tls}
  for i in "${!SHARD_LIST[@]}"; do mkdir -p "$HOME_DIR/data/shard$i"; done
  stop_all

  local cert="$HOME_DIR/tls/cert.pem" key="$HOME_DIR/tls/key.pem"
  if [ ! -s "$cert" ] || [ ! -s "$key" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$key" -out "$cert" >/dev/null 2>&1
    chmod 600 "$key"
  fi

  for i in "${!SHARD_LIST[@]}"; do
    log "starting statesvc$i (shard $i of ${#SHARD_LIST[@]}) on ${SHARD_LIST[$i]}"
    spawn "statesvc$i" "$BIN/hadron-statesvc" --listen="${SHARD_LIST[$i]}" \
      --data_dir="$HOME_DIR/data/shard$i" --shard_index="$i" --shards="${#SHARD_LIST[@]}"
  done
  for i in "${!SHARD_LIST[@]}"; do wait_port "${SHARD_LIST[$i]}" "statesvc$i"; done

  for i in "${!FRONTEND_LIST[@]}"; do
    log "starting frontend$i on ${FRONTEND_LIST[$i]} (IMAPS ${TLS_LIST[$i]})"
    spawn "frontend$i" "$BIN/hadron-frontend" --listen="${FRONTEND_LIST[$i]}" \
      --tls_listen="${TLS_LIST[$i]}" --tls_cert="$cert" --tls_key="$key" \
      --statesvc="$SHARDS"
  done
  for i in "${!FRONTEND_LIST[@]}"; do
    wait_port "${FRONTEND_LIST[$i]}" "frontend$i"
    wait_port "${TLS_LIST[$i]}" "frontend$i"
  done

  # haproxy in TCP mode: IMAP and IMAPS pass through untouched (TLS ends at the frontends).
  # leastconn suits long-lived IMAP connections; the health check is a TCP connect.
  local cfg="$HOME_DIR/haproxy.cfg"
  {
    echo "global"   # maxconn: haproxy derives it from the file-descriptor limit
    echo "defaults"
    echo "  mode tcp"
    echo "  timeout connect 5s"
    echo "  timeout client 35m"   # above the frontends' 30 min idle timeout (IDLE)
    echo "  timeout server 35m"
    echo "  timeout client-fin 10s"
    echo "frontend imap"
    echo "  bind $IMAP_ADDR"
    echo "  default_backend imap_frontends"
    echo "frontend imaps"
    echo "  bind $IMAPS_ADDR"
    echo "  default_backend imaps_frontends"
    echo "backend imap_frontends"
    echo "  balance leastconn"
    for i in "${!FRONTEND_LIST[@]}"; do
      echo "  server fe$i ${FRONTEND_LIST[$i]} check inter 1s"
    done
    echo "backend imaps_frontends"
    echo "  balance leastconn"
    for i in "${!FRONTEND_LIST[@]}"; do
      echo "  server fe$i ${TLS_LIST[$i]} check inter 1s"
    done
  } >"$cfg"
  haproxy -c -q -f "$cfg"
  log "starting haproxy on $IMAP_ADDR (IMAP) and $IMAPS_ADDR (IMAPS)"
  spawn haproxy haproxy -db -f "$cfg"
  wait_port "$IMAP_ADDR" haproxy
  wait_port "$IMAPS_ADDR" haproxy

  if [ "$DEMO" = 1 ]; then
    # One demo account on each shard (placement: common/shard/ring.h; `hadronctl shard owner`).
    local ctl=("$BIN/hadronctl" --statesvc="$SHARDS") name shard
    for name in demo erin; do
      shard="$("${ctl[@]}" shard owner "$name" | cut -f2)"
      if "${ctl[@]}" mailbox list "$name" >/dev/null 2>&1; then
        log "account $name exists (shard $shard)"
      else
        "${ctl[@]}" account add "$name" --password "$name" >/dev/null
        log "created account $name/$name on shard $shard"
      fi
    done
  fi

  cat <<MSG

Hadron cluster is running: ${#SHARD_LIST[@]} statesvc shards, ${#FRONTEND_LIST[@]} frontends, haproxy.
  IMAP   $IMAP_ADDR  (haproxy -> ${FRONTENDS})
  IMAPS  $IMAPS_ADDR  (self-signed certificate: $cert)
  shards $SHARDS  (hadronctl --statesvc=$SHARDS ...)
  accounts demo/demo and erin/erin (one on each shard)
Logs: $HOME_DIR/logs. Stop with: bash scripts/cluster.sh stop
MSG
}

status() {
  local n pid rc=0
  for n in $(names); do
    if [ -f "$HOME_DIR/run/$n.pid" ] && pid="$(cat "$HOME_DIR/run/$n.pid")" && kill -0 "$pid" 2>/dev/null; then
      echo "$n: running (pid $pid)"
    else
      echo "$n: stopped"
      rc=3
    fi
  done
  echo "IMAP $IMAP_ADDR, IMAPS $IMAPS_ADDR, shards $SHARDS, frontends $FRONTENDS"
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) mkdir -p "$HOME_DIR/run"; stop_all; log "stopped" ;;
  status) status ;;
  *) echo "usage: bash scripts/cluster.sh start|stop|status" >&2; exit 2 ;;
esac
