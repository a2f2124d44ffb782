#!/usr/bin/env bash
# build-images.sh: builds hadron/statesvc, hadron/frontend and hadron/hadronctl from the binaries the
# host's Bazel built (bazel-bin, or --bin_dir=DIR) on the local base image (make-base-image.sh).
#   bash deploy/docker/build-images.sh [--tag=TAG] [--bin_dir=DIR]
# Needs a running Docker engine (deploy/docker/engine.sh starts one). Builds use host networking
# (the engine runs with --bridge=none) so apt inside reaches the Debian mirror.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DOCKER="${DOCKER:-/usr/bin/docker}"
TAG=latest
BIN_DIR=""
for arg in "$@"; do
  case "$arg" in
    --tag=*) TAG="${arg#--tag=}" ;;
    --bin_dir=*) BIN_DIR="${arg#--bin_dir=}" ;;
    *) echo "usage: $0 [--tag=TAG] [--bin_dir=DIR]" >&2; exit 2 ;;
  esac
done

declare -A BINARY=(
  [statesvc]="statesvc/hadron-statesvc"
  [frontend]="frontend/hadron-frontend"
  [hadronctl]="tools/hadronctl/hadronctl"
)

ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/bin"
for name in statesvc frontend hadronctl; do
  rel="${BINARY[$name]}"
  src="${BIN_DIR:+$BIN_DIR/$(basename "$rel")}"
  src="${src:-$ROOT/bazel-bin/$rel}"
  if [ ! -x "$src" ]; then
    echo "images: $src missing: bazel build //statesvc:hadron-statesvc //frontend:hadron-frontend //tools/hadronctl:hadronctl" >&2
    exit 1
  fi
  cp -L "$src" "$ctx/bin/"
done
cp "$HERE"/Dockerfile.* "$ctx/"

bash "$HERE/make-base-image.sh"
# The three builds run at once (each is mostly apt downloading and unpacking).
start=$(date +%s)
pids=()
for name in statesvc frontend hadronctl; do
  "$DOCKER" build --quiet --network=host -f "$ctx/Dockerfile.$name" -t "hadron/$name:$TAG" "$ctx" \
    > "$ctx/$name.log" 2>&1 &
  pids+=($!)
done
failed=0
i=0
for name in statesvc frontend hadronctl; do
  if ! wait "${pids[$i]}"; then
    echo "images: hadron/$name:$TAG failed:" >&2
    tail -30 "$ctx/$name.log" >&2
    failed=1
  fi
  i=$((i + 1))
done
[ "$failed" -eq 0 ] || exit 1
for name in statesvc frontend hadronctl; do
  size=$("$DOCKER" image inspect -f '{{.Size}}' "hadron/$name:$TAG")
  echo "images: hadron/$name:$TAG ($(( size / 1048576 )) MiB)"
done
echo "images: built in $(( $(date +%s) - start ))s"
