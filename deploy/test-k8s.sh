#!/usr/bin/env bash
# test-k8s.sh: renders the kustomize overlays (dev, prod) with `kubectl kustomize` and validates them
# OFFLINE against the Kubernetes object schemas (deploy/k8s/validate: kubernetes-models from npm, in
# a local node_modules), then checks that each deliberately broken fixture (deploy/k8s/tests/broken-*)
# is REJECTED with the expected error. Needs kubectl (with kustomize), node and npm. ~20 s cold.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S="$ROOT/deploy/k8s"
start=$(date +%s)

if [ ! -d "$K8S/validate/node_modules/kubernetes-models" ] || [ ! -d "$K8S/validate/node_modules/yaml" ]; then
  (cd "$K8S/validate" && npm ci --no-audit --no-fund --loglevel=error)
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

for overlay in dev prod; do
  if ! kubectl kustomize "$K8S/overlays/$overlay" > "$out/$overlay.yaml"; then
    fail "render overlay $overlay"; continue
  fi
  if node "$K8S/validate/validate.mjs" "$out/$overlay.yaml"; then
    pass "overlay $overlay renders and validates"
  else
    fail "overlay $overlay validates"
  fi
done

# Each fixture and the error the validator must report for it.
declare -A expect=(
  [broken-type]="containerPort must be integer"
  [broken-missing]="must have required property maxReplicas"
  [broken-unknown]="readinessProbe.grpc.prot: unknown field"
  [broken-drain]="terminationGracePeriodSeconds 20"
  [broken-shards]="--shards=2 but replicas 3"
)
for fixture in "${!expect[@]}"; do
  kubectl kustomize "$K8S/tests/$fixture" > "$out/$fixture.yaml"
  if node "$K8S/validate/validate.mjs" "$out/$fixture.yaml" > "$out/$fixture.log" 2>&1; then
    fail "$fixture: the validator accepted a broken manifest"; cat "$out/$fixture.log"
  elif grep -qF -e "${expect[$fixture]}" "$out/$fixture.log"; then
    pass "$fixture rejected (${expect[$fixture]})"
  else
    fail "$fixture rejected for another reason than '${expect[$fixture]}'"; cat "$out/$fixture.log"
  fi
done

echo "k8s: $passed passed, $failed failed"
echo "test-k8s: took $(( $(date +%s) - start ))s"
[ "$failed" -eq 0 ]
