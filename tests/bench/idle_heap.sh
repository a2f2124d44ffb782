#!/bin/bash
# Where an idle IDLE session's memory goes (issue 8; docs/profiles/idle-heap.txt): heaptrack
# (Debian's heaptrack) of one frontend holding N idle IDLE sessions. The frontend is stopped by
# SIGTERM so heaptrack writes its data; read it with heaptrack_print -f $W/heap.zst --print-peaks 1.
#   N=1000 bash tests/bench/idle_heap.sh     (BIN: a directory with the three binaries)
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${BIN:-}
if [ -z "$BIN" ] || [ ! -x "$BIN/hadron-frontend" ]; then
  BIN=$(mktemp -d /tmp/idle-heap-bin.XXXX)
  cp "$HERE/../../bazel-bin/frontend/hadron-frontend" "$HERE/../../bazel-bin/statesvc/hadron-statesvc" \
     "$HERE/../../bazel-bin/tools/hadronctl/hadronctl" "$BIN/"
fi
N=${N:-300}
W=$(mktemp -d /tmp/idle-heap.XXXX)
READY=$W/ready
SP=$((20000 + RANDOM % 20000)); FP=$((SP + 1))
$BIN/hadron-statesvc --listen=127.0.0.1:$SP --data_dir=$W/data > $W/statesvc.log 2>&1 &
SPID=$!
sleep 1.5
$BIN/hadronctl --statesvc=127.0.0.1:$SP account add idle --password pw > /dev/null
cd $W
heaptrack -o $W/heap $BIN/hadron-frontend --listen=127.0.0.1:$FP --statesvc=127.0.0.1:$SP \
  --max_connections_per_address=1000000 --max_sessions_per_account=1000000 --drain_timeout_seconds=2 > $W/frontend.log 2>&1 &
HPID=$!
sleep 4
/usr/bin/python3 $HERE/idle_heap_client.py $FP $N $READY > $W/client.log 2>&1 &
CPID=$!
for i in $(seq 1 600); do [ -f $READY ] && break; sleep 1; done
cat $W/client.log
FE=$(pgrep -P $HPID -x hadron-fronten | head -1); [ -z "$FE" ] && FE=$(pgrep -P $HPID -f hadron-frontend | head -1)
echo "frontend pid $FE $(grep VmRSS /proc/$FE/status)"
kill -TERM $FE
wait $HPID
kill $CPID 2>/dev/null
kill $SPID; wait $SPID 2>/dev/null
ls $W
echo "W=$W"
