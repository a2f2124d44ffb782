#!/usr/bin/env bash
# tsan.sh: builds the servers with ThreadSanitizer and runs the concurrency tests against them.
#
# The TSAN build goes to its own output directory (--platform_suffix=tsan: bazel-out/k8-dbgtsan)
# and leaves the bazel-bin symlink alone (--symlink_prefix=/), so the normal binaries are untouched.
# The binaries are copied to a temp folder that conftest.py picks up through HADRON_BIN_DIR; the
# fixtures keep every server's stderr in a log file and fail a test whose servers print a
# ThreadSanitizer report. Extra arguments go to pytest.
#
# Environment: HADRON_TSAN_TESTS (default: test_idle.py, test_consistency.py, test_notify.py),
# HADRON_CONSISTENCY_SECONDS (default here: 20, to stay within ~10 minutes on 2 cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TARGETS=(//statesvc:hadron-statesvc //frontend:hadron-frontend //tools/hadronctl:hadronctl)
FLAGS=(--config=tsan --platform_suffix=tsan --symlink_prefix=/)

start=$(date +%s)
bazel build "${FLAGS[@]}" "${TARGETS[@]}"
BIN="$(bazel info "${FLAGS[@]}" bazel-bin 2>/dev/null)"
echo "tsan: build took $(( $(date +%s) - start ))s"

OUT="$(mktemp -d /tmp/hadron-tsan-XXXXXX)"
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/real"
# Debian's absl::Mutex is not instrumented: a small preloaded shim tells TSAN about its lock and
# unlock (tests/tsan/absl_mutex_tsan.cc). The servers run through wrappers that preload it.
g++ -std=c++17 -O2 -shared -fPIC -o "$OUT/libabsl_mutex_tsan.so" tests/tsan/absl_mutex_tsan.cc \
  -ldl -labsl_synchronization
for b in statesvc/hadron-statesvc frontend/hadron-frontend; do
  name="$(basename "$b")"
  cp "$BIN/$b" "$OUT/real/$name"
  printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$@"\n' "$OUT/libabsl_mutex_tsan.so" \
    "$OUT/real/$name" >"$OUT/$name"
  chmod +x "$OUT/$name"
done
# hadronctl is a single-threaded client, not under test: use the normal build when there is one,
# so that gRPC's own (uninstrumented) internals cannot fail an account setup.
if [[ -x bazel-bin/tools/hadronctl/hadronctl ]]; then
  cp bazel-bin/tools/hadronctl/hadronctl "$OUT/"
else
  cp "$BIN/tools/hadronctl/hadronctl" "$OUT/"
fi

# gRPC, Abseil, protobuf and RocksDB come from Debian and are not instrumented: TSAN cannot see
# their synchronization, so races it reports inside them (or through interceptors they call) are
# noise. ignore_noninstrumented_modules drops those; reports in our code remain and fail the run.
SUPP="$ROOT/tests/tsan.supp"
export TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=0 second_deadlock_stack=1 \
history_size=3 report_signal_unsafe=0 suppressions=$SUPP ${TSAN_OPTIONS:-}"
export HADRON_BIN_DIR="$OUT"
export HADRON_CONSISTENCY_SECONDS="${HADRON_CONSISTENCY_SECONDS:-20}"
# TSAN makes everything 5-15x slower: wider latency and command limits.
export HADRON_LATENCY_LIMIT="${HADRON_LATENCY_LIMIT:-3}"
export HADRON_CMD_TIMEOUT="${HADRON_CMD_TIMEOUT:-40}"

read -r -a TESTS <<<"${HADRON_TSAN_TESTS:-tests/integration/test_idle.py tests/integration/test_consistency.py tests/integration/test_notify.py}"
start=$(date +%s)
status=0
/usr/bin/python3 -m pytest -q "${TESTS[@]}" "$@" || status=$?
echo "tsan: tests took $(( $(date +%s) - start ))s"
exit $status
