#!/usr/bin/env bash
# test-images.sh: the image + compose stage (issue 7). On a fresh Debian 12 as root it
#   1. installs docker.io, docker-compose and mmdebstrap (apt) and starts dockerd by hand
#      (--iptables=false --bridge=none) unless an engine already answers,
#   2. builds the local base image (mmdebstrap bookworm, skipped when present) and the three images
#      from the binaries the host's Bazel built (scripts/test.sh builds them first),
#   3. starts deploy/compose/docker-compose.yml on free loopback ports under a private project name
#      and runs deploy/tests/test_compose.py against it (imaplib through the container's frontend,
#      data surviving a restart of the statesvc container),
#   4. cleans up: compose down -v (containers, volume), the images it tagged, and the dockerd it
#      started. The base image stays as a cache (HADRON_KEEP_BASE=0 removes it too).
# Budget: ~2 min for the base image when absent, ~1-2 min of image builds, <1 min of tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
total_start=$(date +%s)

if [ "$(id -u)" -ne 0 ]; then
  echo "test-images: needs root (apt-get, dockerd)" >&2
  exit 1
fi

# shellcheck source=docker/engine.sh
source deploy/docker/engine.sh
TAG="test-$$"
PROJECT="hadrontest$$"
COMPOSE_FILE="$ROOT/deploy/compose/docker-compose.yml"

cleanup() {
  local rc=$?
  set +e
  if [ -n "${COMPOSE_UP:-}" ]; then
    if [ "$rc" -ne 0 ]; then
      "$COMPOSE" -p "$PROJECT" -f "$COMPOSE_FILE" logs --no-color --tail=50 2>&1 | tail -150
    fi
    "$COMPOSE" -p "$PROJECT" -f "$COMPOSE_FILE" down -v --remove-orphans >/dev/null 2>&1
  fi
  for name in statesvc frontend hadronctl; do
    "$DOCKER" image rm "hadron/$name:$TAG" >/dev/null 2>&1
  done
  "$DOCKER" image prune -f >/dev/null 2>&1
  if [ "${HADRON_KEEP_BASE:-1}" = "0" ]; then "$DOCKER" image rm hadron/bookworm-base:latest >/dev/null 2>&1; fi
  hadron_engine_stop
  exit "$rc"
}
trap cleanup EXIT

start=$(date +%s)
hadron_engine_start
echo "test-images: engine ready in $(( $(date +%s) - start ))s"

start=$(date +%s)
bash deploy/docker/build-images.sh --tag="$TAG"
echo "test-images: images built in $(( $(date +%s) - start ))s"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export HADRON_TAG="$TAG"
export HADRON_IMAP_PORT="$(free_port)"
export HADRON_GRPC_PORT="$(free_port)"

start=$(date +%s)
COMPOSE_UP=1
"$COMPOSE" -p "$PROJECT" -f "$COMPOSE_FILE" up -d
# The demo-account job exits once the account exists.
for _ in $(seq 1 90); do
  cid="$("$COMPOSE" -p "$PROJECT" -f "$COMPOSE_FILE" ps -q demo-account)"
  status="$("$DOCKER" inspect -f '{{.State.Status}}' "$cid" 2>/dev/null || true)"
  [ "$status" = "exited" ] && break
  sleep 1
done
echo "test-images: compose up in $(( $(date +%s) - start ))s"

start=$(date +%s)
HADRON_COMPOSE="$COMPOSE -p $PROJECT -f $COMPOSE_FILE" HADRON_DOCKER="$DOCKER" \
  /usr/bin/python3 -m pytest -q -p no:cacheprovider deploy/tests/test_compose.py
echo "test-images: compose tests took $(( $(date +%s) - start ))s"
echo "test-images: stage took $(( $(date +%s) - total_start ))s"
