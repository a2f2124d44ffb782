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

# ---- Deployment (issue 7, deploy/) -------------------------------------------------------------
# Kubernetes: render the kustomize overlays and validate them offline against the Kubernetes object
# schemas; deliberately broken fixtures must be rejected (~20 s; npm installs the schemas the first
# time into deploy/k8s/validate/node_modules).
bash deploy/test-k8s.sh
# Images + compose: dockerd (started here if none runs), the local bookworm base image (mmdebstrap,
# ~2-5 min when absent, then cached), the three images from the binaries built above (~1 min each),
# the compose cluster and deploy/tests/test_compose.py against it (<1 min); cleans up after itself.
bash deploy/test-images.sh
# ---- end of deployment stage --------------------------------------------------------------------

# The benchmark suite in its smoke size (issue 8): every workload against Hadron and a private
# Dovecot, no timing assertions; fails if a workload errors (cross-session check, lost OK, a
# server that stops answering). Full run: bash tests/bench/run.sh --write_docs.
start=$(date +%s)
bash tests/bench/run.sh --smoke
echo "test: benchmark smoke took $(( $(date +%s) - start ))s"

# The concurrency tests again, against ThreadSanitizer builds of the servers (issue 3).
bash tests/tsan.sh

# Every libFuzzer target for a bounded time under ASan + UBSan (issue 6); longer runs:
# bash tests/fuzz/run.sh 600.
bash tests/fuzz/run.sh "${HADRON_FUZZ_SECONDS:-15}"
