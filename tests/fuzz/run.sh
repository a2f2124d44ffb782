#!/usr/bin/env bash
# Fuzzes every libFuzzer target for a bounded time under AddressSanitizer + UBSan.
#
#   bash tests/fuzz/run.sh [seconds per target]      (default 60; scripts/test.sh uses 15)
#
# Builds the targets with `--config=fuzz` (clang-14, libFuzzer) in an output base of their own,
# then runs each from a scratch copy of its seed corpus with its dictionary. Prints the number of
# executions per target. A crash, leak, sanitizer report or timeout fails the run and leaves the
# input in $HADRON_FUZZ_ARTIFACTS (default /tmp/hadron-fuzz-artifacts): once fixed, copy it into
# the target's corpus folder so the ordinary <target>_test keeps checking it.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-60}
OUT=${HADRON_FUZZ_OUTPUT_BASE:-$HOME/.cache/hadron-fuzz-bazel}
ART=${HADRON_FUZZ_ARTIFACTS:-/tmp/hadron-fuzz-artifacts}

# label | seed corpus | dictionary | extra libFuzzer flags
TARGETS=(
  "//frontend/protocol:command_fuzzer|frontend/protocol/fuzz_corpus|frontend/protocol/imap.dict|-max_len=4096"
  "//common/mime:mime_fuzzer|common/mime/fuzz_corpus|common/mime/mime.dict|-max_len=65536"
  "//common/imap:seqset_fuzzer|common/imap/fuzz_corpus/seqset|common/imap/seqset.dict|-max_len=512"
  "//common/imap:sasl_fuzzer|common/imap/fuzz_corpus/sasl|common/imap/sasl.dict|-max_len=1024"
)
# A whole frontend Session in every state against the in-process state service (issue 6).
TARGETS+=("//frontend/fuzz:session_fuzzer|frontend/fuzz/session_corpus|frontend/fuzz/session.dict|-max_len=8192 -entropic=0")
if [ -f common/imap/mutf7_fuzzer.cc ]; then
  TARGETS+=("//common/imap:mutf7_fuzzer|common/imap/fuzz_corpus/mutf7|common/imap/mutf7.dict|-max_len=1024")
fi

labels=()
for t in "${TARGETS[@]}"; do labels+=("${t%%|*}"); done
# --symlink_prefix=/: no bazel-* links, which must keep pointing at the main output base.
bazel --output_base="$OUT" build --config=fuzz --symlink_prefix=/ "${labels[@]}"
BIN=$(bazel --output_base="$OUT" info --config=fuzz bazel-bin 2>/dev/null)

mkdir -p "$ART"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=""
for t in "${TARGETS[@]}"; do
  IFS='|' read -r label corpus dict flags <<< "$t"
  pkg=${label#//}; pkg=${pkg%%:*}; name=${label##*:}
  work=$(mktemp -d)
  log="$ART/$name.log"
  set +e
  "$BIN/$pkg/$name" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -dict="$dict" -artifact_prefix="$ART/$name-" $flags "$work" "$corpus" > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  if [ $rc -ne 0 ]; then
    status=1
    summary+="$name: FAILED (exit $rc) after $execs executions; see $log and $ART/$name-*\n"
    tail -40 "$log"
  else
    summary+="$name: $execs executions in ${SECS}s, no crash\n"
  fi
  rm -rf "$work"
done
printf "%b" "$summary"
exit $status
