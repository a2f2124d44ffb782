#!/usr/bin/env bash
# stop.sh: stops the processes started by run.sh (frontend first, so clients get a BYE), keeps data.
set -euo pipefail

HADRON_HOME="${HADRON_HOME:-$HOME/.local/share/hadron}"

stop_one() {
  local name="$1" pidfile="$HADRON_HOME/run/$1.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  # Only signal the pid if it is still our binary (pids get reused after a reboot).
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
     grep -q "hadron" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "stop: $name ($pid) ignored SIGTERM for 10s; killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stop: stopped $name ($pid)"
  fi
  rm -f "$pidfile"
}

stop_one frontend
stop_one statesvc
