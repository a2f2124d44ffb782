#!/usr/bin/env bash
# run.sh: builds Hadron and (re)starts a one-node cluster on loopback with the account demo/demo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HADRON_HOME="${HADRON_HOME:-$HOME/.local/share/hadron}"
STATESVC_ADDR="127.0.0.1:50051"
IMAP_ADDR="127.0.0.1:1143"
IMAPS_ADDR="127.0.0.1:1993"
TARGETS=(//statesvc:hadron-statesvc //frontend:hadron-frontend //tools/hadronctl:hadronctl)

bash scripts/install-deps.sh

echo "run: building ${TARGETS[*]}"
bazel build "${TARGETS[@]}"
BAZEL_BIN="$(bazel info bazel-bin 2>/dev/null)"

mkdir -p "$HADRON_HOME"/{bin,data,logs,run,tls}

# Stop whatever an earlier run left behind before replacing its binaries.
bash scripts/stop.sh

# Copy the binaries so a later build does not change the files under the running processes.
for t in statesvc/hadron-statesvc frontend/hadron-frontend tools/hadronctl/hadronctl; do
  install -m 0755 "$BAZEL_BIN/$t" "$HADRON_HOME/bin/$(basename "$t")"
done
BIN="$HADRON_HOME/bin"

# Self-signed certificate for IMAPS, made once and kept.
CERT="$HADRON_HOME/tls/cert.pem"
KEY="$HADRON_HOME/tls/key.pem"
if [ ! -s "$CERT" ] || [ ! -s "$KEY" ]; then
  echo "run: creating a self-signed certificate in $HADRON_HOME/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$KEY" -out "$CERT" >/dev/null 2>&1
  chmod 600 "$KEY"
fi

# wait_port HOST:PORT PIDFILE NAME: waits until the port accepts connections (or the process dies).
wait_port() {
  local host="${1%:*}" port="${1##*:}" pid i
  pid="$(cat "$2")"
  for i in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run: $3 exited during startup; last log lines:" >&2
      tail -n 20 "$HADRON_HOME/logs/$3.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  echo "run: $3 did not open $1 within 30s; see $HADRON_HOME/logs/$3.log" >&2
  exit 1
}

echo "run: starting hadron-statesvc on $STATESVC_ADDR"
nohup "$BIN/hadron-statesvc" --listen="$STATESVC_ADDR" --data_dir="$HADRON_HOME/data" \
  >>"$HADRON_HOME/logs/statesvc.log" 2>&1 </dev/null &
echo $! >"$HADRON_HOME/run/statesvc.pid"
wait_port "$STATESVC_ADDR" "$HADRON_HOME/run/statesvc.pid" statesvc

echo "run: starting hadron-frontend on $IMAP_ADDR (IMAPS $IMAPS_ADDR)"
nohup "$BIN/hadron-frontend" --listen="$IMAP_ADDR" --tls_listen="$IMAPS_ADDR" \
  --tls_cert="$CERT" --tls_key="$KEY" --statesvc="$STATESVC_ADDR" \
  >>"$HADRON_HOME/logs/frontend.log" 2>&1 </dev/null &
echo $! >"$HADRON_HOME/run/frontend.pid"
wait_port "$IMAP_ADDR" "$HADRON_HOME/run/frontend.pid" frontend
wait_port "$IMAPS_ADDR" "$HADRON_HOME/run/frontend.pid" frontend

# The demo account: create it unless it exists (the data dir survives restarts).
if "$BIN/hadronctl" --statesvc="$STATESVC_ADDR" mailbox list demo >/dev/null 2>&1; then
  echo "run: account demo exists"
else
  "$BIN/hadronctl" --statesvc="$STATESVC_ADDR" account add demo --password demo
  echo "run: created account demo (password demo)"
fi

cat <<MSG

Hadron is running.
  IMAP   127.0.0.1:1143   (plain; STARTTLS)   user demo, password demo
  IMAPS  127.0.0.1:1993   (self-signed certificate: $CERT)
  state  127.0.0.1:50051  (gRPC; hadronctl --statesvc=127.0.0.1:50051 ...)

Try:
  curl --user demo:demo imap://127.0.0.1:1143/
  python3 -c "import imaplib; c=imaplib.IMAP4('127.0.0.1',1143); c.login('demo','demo'); print(c.list())"
  $BIN/hadronctl --statesvc=127.0.0.1:50051 deliver demo < some.eml

Data: $HADRON_HOME (data/ RocksDB, logs/, tls/, bin/). Stop with: bash scripts/stop.sh
MSG
