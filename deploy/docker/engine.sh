# engine.sh (sourced): makes a Docker engine available for the image scripts.
# - Installs Debian's docker.io, docker-compose and mmdebstrap if missing (root; apt).
# - Uses a running engine if /var/run/docker.sock answers; otherwise starts dockerd by hand with
#   --iptables=false --bridge=none (this machine has no systemd and no netfilter to spare): every
#   container then runs with host networking. HADRON_DOCKERD_STARTED=1 tells the caller to stop it.
# Sets DOCKER (the docker.io client: another docker CLI on PATH may want a buildx plugin) and COMPOSE.

DOCKER=/usr/bin/docker
COMPOSE=/usr/bin/docker-compose
HADRON_DOCKERD_STARTED=0
HADRON_DOCKERD_PID=""

hadron_engine_install() {
  local missing=()
  for p in docker.io docker-compose mmdebstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "engine: installing ${missing[*]}" >&2
  # Keep maintainer scripts from starting dockerd/containerd as services (101 = action forbidden).
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$own_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}

hadron_engine_start() {
  hadron_engine_install
  if "$DOCKER" info >/dev/null 2>&1; then
    return 0
  fi
  local log="${HADRON_DOCKERD_LOG:-/tmp/hadron-dockerd.log}"
  echo "engine: starting dockerd --iptables=false --bridge=none (log $log)" >&2
  dockerd --iptables=false --bridge=none > "$log" 2>&1 &
  HADRON_DOCKERD_PID=$!
  HADRON_DOCKERD_STARTED=1
  for _ in $(seq 1 60); do
    if "$DOCKER" info >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$HADRON_DOCKERD_PID" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "engine: dockerd did not come up:" >&2
  tail -20 "$log" >&2
  return 1
}

hadron_engine_stop() {
  if [ "$HADRON_DOCKERD_STARTED" -eq 1 ] && [ -n "$HADRON_DOCKERD_PID" ]; then
    kill "$HADRON_DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$HADRON_DOCKERD_PID" 2>/dev/null || break; sleep 1; done
    HADRON_DOCKERD_STARTED=0
  fi
}
