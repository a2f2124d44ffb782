#!/usr/bin/env bash
# make-base-image.sh: builds the local Debian bookworm base image (no registry is reachable, so
# nothing is pulled): mmdebstrap --variant=minbase from the Debian mirror the host's apt uses,
# imported as hadron/bookworm-base:latest. Skipped when the image exists (--force rebuilds).
# ~2 min, mostly downloading.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IMAGE="${HADRON_BASE_IMAGE:-hadron/bookworm-base:latest}"
DOCKER="${DOCKER:-/usr/bin/docker}"

if [ "${1:-}" != "--force" ] && "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base: $IMAGE exists"
  exit 0
fi

# The host's apt sources (a deb822 .sources or one-line .list file is pasted into the chroot as is).
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  if [ -s "$f" ] && grep -qE '^(deb |Types:)' "$f"; then sources+=("$f"); fi
done
if [ "${#sources[@]}" -eq 0 ]; then
  echo "base: no apt sources on this host" >&2
  exit 1
fi

start=$(date +%s)
log="$(mktemp)"
# minbase: Essential packages + apt. ca-certificates for an https mirror inside.
if ! mmdebstrap --variant=minbase --include=ca-certificates --aptopt='Acquire::Retries "3"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm - "${sources[@]}" 2> "$log" \
    | "$DOCKER" import --change 'CMD ["/bin/bash"]' --message "mmdebstrap bookworm minbase" - "$IMAGE"; then
  tail -30 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo "base: built $IMAGE in $(( $(date +%s) - start ))s"
