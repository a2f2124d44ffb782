#!/usr/bin/env bash
# install-deps.sh: installs the Debian 12 packages Hadron builds and tests against (idempotent, root).
set -euo pipefail

PACKAGES=(
  bazel-bootstrap
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libssl-dev
  libgtest-dev libgmock-dev
  libasio-dev libspdlog-dev
  pkg-config build-essential openssl
  python3 python3-pytest curl
  isync          # mbsync, for the integration tests
  dovecot-imapd  # reference server for the differential tests (never started as a service)
  libpython3.11-testsuite  # real-world email samples for the differential corpus
  clang-14 libclang-rt-14-dev  # libFuzzer + sanitizers for tests/fuzz/run.sh (--config=fuzz)
  python3-matplotlib  # PNG plots of the benchmark suite (tests/bench/run.sh)
  docker.io docker-compose mmdebstrap  # images + compose stage (deploy/test-images.sh)
  haproxy  # TCP load balancer of the local multi-node cluster (scripts/cluster.sh, issue 7)
  python3-prometheus-client  # independent /metrics parser for tests/integration/test_operations.py
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages (${missing[*]}) and not root; rerun as root" >&2
    exit 1
  fi
else
  SUDO=()
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive

# Keep maintainer scripts from starting daemons (dovecot) while we install: exit code 101 = "action
# forbidden" to invoke-rc.d. Only add our policy if none exists, and remove it afterwards.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  "${SUDO[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
  own_policy=1
fi
cleanup() { if [ "$own_policy" -eq 1 ]; then "${SUDO[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

# If the system dovecot got started anyway (e.g. systemd preset), stop and disable it: the tests run
# their own private instances and port 143 must not be taken by it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${SUDO[@]}" systemctl disable --now dovecot.service >/dev/null 2>&1 || true
fi
