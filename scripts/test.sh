#!/usr/bin/env bash
# test.sh: installs dependencies, runs every Bazel test, then the Python integration tests.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/install-deps.sh

start=$(date +%s)
# The integration tests drive the real binaries: build them explicitly (bazel test //... only builds
# test targets and their dependencies).
bazel build //statesvc:hadron-statesvc //frontend:hadron-frontend //tools/hadronctl:hadronctl
bazel test //...
echo "test: bazel build+test took $(( $(date +%s) - start ))s"

start=$(date +%s)
# /usr/bin/python3 explicitly: a pyenv or venv python may shadow it without Debian's pytest.
/usr/bin/python3 -m pytest -q tests/integration tests/differential "$@"
echo "test: integration tests took $(( $(date +%s) - start ))s"

# The ThreadSanitizer pass of the concurrency tests (issue 3) is `bash tests/tsan.sh`. It is not
# part of this command yet: it still reports, now and then, a race on the Watch client's
# reconnect backoff (frontend/state_client/grpc_watcher.cc OnEvent, written from successive gRPC
# read callbacks without our lock), to be fixed before it joins.
