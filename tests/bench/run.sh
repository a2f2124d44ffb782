#!/usr/bin/env bash
# The benchmark suite (issue 8): Hadron against a private Dovecot, each workload in one run.
#   bash tests/bench/run.sh --smoke      tiny sizes (scripts/test.sh runs it; fails on any error)
#   bash tests/bench/run.sh              full sizes; --write_docs updates docs/benchmarks.md + PNGs
#   other options: --only append,mixed,select,fetchbody,idle  --idle N  --dovecot_idle N
#                  --idle_frontends 1|2 (IDLE sessions on one frontend or spread over two)
#                  --profile DIR (perf record of the Hadron processes per workload, DIR/<workload>.txt)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bazel build //statesvc:hadron-statesvc //frontend:hadron-frontend //tools/hadronctl:hadronctl \
  //tests/bench:loadgen
# Many connections: raise the descriptor limit for the servers and the load generator (root may
# raise the hard limit; otherwise take what is allowed).
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/bin/python3 tests/bench/bench.py "$@"
