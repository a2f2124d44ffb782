"""Operations (issue 7): /metrics, /healthz, /readyz, grpc.health.v1 (hadronctl health), SIGTERM
draining of the frontend and the statesvc, and JSON log lines with session ids.

Every test here runs its own statesvc and frontend (they are killed, restarted and drained), with
--metrics_listen and --grpc_health_listen on free ports.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

import imapwire
from conftest import Cluster, Proc, REFERENCE, binary, free_port, sanitizer_failure

pytestmark = pytest.mark.skipif(REFERENCE == "dovecot", reason="Hadron operations only")


class OpsCluster(Cluster):
    """A statesvc and a frontend with their operations endpoints."""

    def __init__(self, workdir):
        super().__init__(workdir, tls=False)
        self.state_metrics = free_port()
        self.fe_metrics = free_port()
        self.fe_health = free_port()
        self.frontend_args = ["--metrics_listen=127.0.0.1:%d" % self.fe_metrics,
                              "--grpc_health_listen=127.0.0.1:%d" % self.fe_health,
                              "--drain_timeout_seconds=20"]

    def start_statesvc(self):
        self.statesvc = Proc("statesvc", [binary("statesvc"), "--listen=" + self.state_addr,
                                          "--data_dir=" + self.data_dir,
                                          "--metrics_listen=127.0.0.1:%d" % self.state_metrics],
                             self.workdir)
        self._wait(self.statesvc, self.state_port)

    def health(self, target, service=None):
        argv = [binary("hadronctl"), "health", "--target=" + target, "--timeout_seconds=3"]
        if service is not None:
            argv.append("--service=" + service)
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout.strip()


@pytest.fixture
def ops():
    workdir = tempfile.mkdtemp(prefix="hadron-it-ops-")
    c = OpsCluster(workdir)
    try:
        c.start()
    except BaseException:
        c.stop()
        raise
    yield c
    c.stop()
    san = sanitizer_failure(c.procs())
    if san:
        pytest.fail(san, pytrace=False)
    shutil.rmtree(workdir, ignore_errors=True)


def http_get(port, path):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=5) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def scrape(port):
    """Parses /metrics with prometheus_client's parser (and checks the format's invariants the
    parser leaves alone); returns {(sample name, frozenset(labels)): value}."""
    status, ctype, text = http_get(port, "/metrics")
    assert status == 200
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    assert text.endswith("\n")
    seen_types = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            assert name not in seen_types, "family %s declared twice" % name
            seen_types[name] = typ
    samples = {}
    for fam in text_string_to_metric_families(text):
        assert fam.name in seen_types or fam.name + "_total" in seen_types, fam.name
        buckets = {}
        for s in fam.samples:
            key = (s.name, frozenset(s.labels.items()))
            assert key not in samples, "duplicate sample %s" % (key,)
            samples[key] = s.value
            if s.name.endswith("_bucket"):
                rest = frozenset((k, v) for k, v in s.labels.items() if k != "le")
                buckets.setdefault(rest, []).append((float(s.labels["le"]), s.value))
        for rest, bs in buckets.items():
            values = [v for _, v in sorted(bs)]
            assert values == sorted(values), "%s buckets not cumulative" % fam.name
            assert sorted(bs)[-1][0] == float("inf")
            count = samples[(fam.name + "_count", rest)]
            assert values[-1] == count, "%s: +Inf bucket != _count" % fam.name
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def wait_for(pred, timeout=15, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def test_metrics_endpoints_parse_and_move(ops):
    ops.add_account("mia", "pw")
    before = scrape(ops.fe_metrics)
    st_before = scrape(ops.state_metrics)
    a = ops.raw("mia", "pw")
    b = ops.raw("mia", "pw")
    a.ok("SELECT INBOX")
    b.ok("SELECT INBOX")
    msg = b"From: a@example.com\r\nSubject: metrics\r\n\r\nbody\r\n"
    _, tagged = a.cmd_literal("APPEND INBOX", msg)
    assert b" OK " in tagged, tagged
    b.ok("NOOP")
    a.ok("FETCH 1 (FLAGS)")
    # Two sessions on one mailbox: the sessions-per-mailbox histogram and its maximum.
    mid = scrape(ops.fe_metrics)
    assert value(mid, "hadron_frontend_mailbox_sessions_max") == 2
    assert value(mid, "hadron_frontend_sessions_selected") == 2
    assert value(mid, "hadron_frontend_selected_mailboxes") == 1
    buckets = {dict(k[1])["le"]: v for k, v in mid.items()
               if k[0] == "hadron_frontend_mailbox_sessions_bucket"}
    assert buckets["1"] == 0 and buckets["2"] == 1 and buckets["+Inf"] == 1, buckets
    _, tagged = a.cmd("SELECT nosuchbox")
    assert b" NO " in tagged, tagged
    _, tagged = a.cmd("FETCH")
    assert b" BAD " in tagged, tagged
    _, tagged = a.cmd("LOGIN mia pw")
    assert b" BAD " in tagged, tagged
    after = scrape(ops.fe_metrics)

    def delta(name, samples_after=after, samples_before=before, **labels):
        return value(samples_after, name, **labels) - value(samples_before, name, **labels)

    cmds = "hadron_frontend_imap_commands_total"
    assert delta(cmds, command="SELECT", result="OK") == 2
    assert delta(cmds, command="SELECT", result="NO") == 1
    assert delta(cmds, command="FETCH", result="OK") >= 1
    assert delta(cmds, command="LOGIN", result="OK") == 2
    assert delta(cmds, command="APPEND", result="OK") >= 1
    assert delta(cmds, command="LOGIN", result="BAD") == 1
    assert delta(cmds, command="UNPARSED", result="BAD") == 1  # the reader's BAD (no verb args)
    assert delta("hadron_frontend_imap_command_duration_seconds_count", command="SELECT") == 3
    assert delta("hadron_frontend_connections_total") == 2
    assert value(after, "hadron_frontend_connections") >= 2
    assert delta("hadron_frontend_received_bytes_total") > len(msg)
    assert delta("hadron_frontend_sent_bytes_total") > 0
    # The failed SELECT left A unselected (RFC 3501 6.3.1).
    assert value(after, "hadron_frontend_mailbox_sessions_max") == 1
    # B saw A's APPEND through the Watch stream: one lag observation at least.
    wait_for(lambda: value(scrape(ops.fe_metrics), "hadron_frontend_event_lag_seconds_count") >
             value(before, "hadron_frontend_event_lag_seconds_count"), what="event lag sample")
    assert value(after, "hadron_frontend_statesvc_up", target=ops.state_addr) == 1

    st = scrape(ops.state_metrics)
    rpcs = "hadron_statesvc_rpcs_total"
    assert delta(rpcs, st, st_before, method="/hadron.state.v1.State/Append", code="OK") >= 1
    # (the second SELECT may reuse the shared snapshot without a call)
    assert delta(rpcs, st, st_before, method="/hadron.state.v1.State/Select", code="OK") >= 1
    assert delta(rpcs, st, st_before, method="/hadron.state.v1.State/Select",
                 code="NOT_FOUND") >= 1
    assert delta("hadron_statesvc_rpc_duration_seconds_count", st, st_before,
                 method="/hadron.state.v1.State/Append") >= 1
    assert value(st, "hadron_statesvc_watch_streams") >= 1
    assert value(st, "hadron_statesvc_watch_subscriptions") >= 1
    assert delta("hadron_rocksdb_ticker_total", st, st_before, ticker="rocksdb.wal.synced") >= 1
    assert value(st, "hadron_rocksdb_estimate_num_keys", cf="messages") >= 1
    assert ("hadron_rocksdb_memtable_bytes", frozenset({("cf", "blobs")})) in st
    assert value(st, "hadron_rocksdb_operation_microseconds_count",
                 histogram="rocksdb.db.write.micros") >= 1
    assert http_get(ops.state_metrics, "/healthz")[0] == 200
    assert http_get(ops.state_metrics, "/readyz")[0] == 200
    assert http_get(ops.fe_metrics, "/nope")[0] == 404
    a.close()
    b.close()


def test_grpc_health_via_hadronctl(ops):
    rc, out = ops.health(ops.state_addr)
    assert rc == 0 and out.endswith("SERVING"), out
    for svc in ("hadron.state.v1.State", "hadron.mail.v1.Mail"):
        rc, out = ops.health(ops.state_addr, svc)
        assert rc == 0 and out.endswith(": SERVING"), out
    rc, out = ops.health(ops.state_addr, "no.such.Service")
    assert rc == 1 and "SERVICE_UNKNOWN" in out, out
    wait_for(lambda: ops.health("127.0.0.1:%d" % ops.fe_health)[0] == 0, what="frontend SERVING")
    rc, out = ops.health("127.0.0.1:%d" % free_port())
    assert rc == 1 and "UNREACHABLE" in out, out


def test_readiness_follows_statesvc(ops):
    fe_health = "127.0.0.1:%d" % ops.fe_health
    wait_for(lambda: http_get(ops.fe_metrics, "/readyz")[0] == 200, what="frontend ready")
    ops.statesvc.kill9()
    wait_for(lambda: http_get(ops.fe_metrics, "/readyz")[0] == 503, what="/readyz 503")
    rc, out = ops.health(fe_health)
    assert rc == 1 and "NOT_SERVING" in out, out
    assert http_get(ops.fe_metrics, "/healthz")[0] == 200  # alive, only not ready
    assert value(scrape(ops.fe_metrics), "hadron_frontend_statesvc_up",
                 target=ops.state_addr) == 0
    ops.start_statesvc()
    wait_for(lambda: http_get(ops.fe_metrics, "/readyz")[0] == 200, what="/readyz 200 again")
    wait_for(lambda: ops.health(fe_health)[0] == 0, what="grpc health SERVING again")


def login_retrying(ops, user, pw, timeout=10):
    """Logs in once the frontend's own channel to a restarted statesvc is back (its reconnect
    backoff is up to a second; readiness probes on a channel of their own)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return ops.imap(user, pw)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def read_until(sock, pattern, timeout=10):
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while pattern not in data:
        if time.monotonic() > deadline:
            raise AssertionError("no %r in %r" % (pattern, data))
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def login_socket(port, user, pw):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    read_until(s, b"\r\n")
    s.sendall(b"l LOGIN %s %s\r\n" % (user.encode(), pw.encode()))
    read_until(s, b"l OK")
    return s


def test_sigterm_drains_frontend(ops):
    ops.add_account("dora", "pw")
    port = ops.imap_port
    idle_session = login_socket(port, "dora", "pw")
    in_idle = login_socket(port, "dora", "pw")
    in_idle.sendall(b"s SELECT INBOX\r\n")
    read_until(in_idle, b"s OK")
    in_idle.sendall(b"i IDLE\r\n")
    read_until(in_idle, b"+ ")
    # A long-running command: an APPEND whose literal is half sent when SIGTERM arrives.
    appending = login_socket(port, "dora", "pw")
    body = b"From: d@example.com\r\nSubject: drained\r\n\r\n" + b"x" * 300000 + b"\r\n"
    appending.sendall(b"a APPEND INBOX {%d}\r\n" % len(body))
    read_until(appending, b"+ ")
    appending.sendall(body[:100000])
    time.sleep(0.3)

    ops.frontend.p.send_signal(signal.SIGTERM)
    # Idle sessions (between commands, and in IDLE) are told at once.
    assert b"* BYE Server shutting down" in read_until(idle_session, b"* BYE")
    assert b"* BYE Server shutting down" in read_until(in_idle, b"* BYE")
    # No new connections.
    wait_for(lambda: not _can_connect(port), timeout=5, what="listener closed")
    # The running APPEND completes, then its session ends too.
    assert ops.frontend.alive()
    appending.sendall(body[100000:] + b"\r\n")  # the literal, then the end of the command line
    out = read_until(appending, b"* BYE", timeout=15)
    assert re.search(rb"a OK \[APPENDUID \d+ 1\]", out), out
    assert out.index(b"a OK") < out.index(b"* BYE Server shutting down")
    assert ops.frontend.p.wait(timeout=15) == 0
    for s in (idle_session, in_idle, appending):
        s.close()
    # The message is there for the next frontend.
    ops.start_frontend()
    c = ops.imap("dora", "pw")
    typ, data = c.select("INBOX")
    assert typ == "OK" and data[0] == b"1", data
    typ, data = c.fetch("1", "(RFC822.SIZE)")
    assert b"RFC822.SIZE %d" % len(body) in data[0], data
    c.logout()


def _can_connect(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_sigterm_statesvc_keeps_acknowledged_writes(ops):
    ops.add_account("sam", "pw")
    acked = []
    stop = threading.Event()

    def writer():
        c = ops.raw("sam", "pw")
        i = 0
        try:
            while not stop.is_set():
                i += 1
                msg = b"From: s@example.com\r\nSubject: w%d\r\n\r\nbody %d\r\n" % (i, i)
                tag = b"w%d" % i
                c.send(b"%s APPEND INBOX {%d+}\r\n" % (tag, len(msg)) + msg + b"\r\n")
                _, line = c.collect(tag, timeout=30)
                m = re.search(rb"OK \[APPENDUID \d+ (\d+)\]", line)
                if m:
                    acked.append(int(m.group(1)))
        except Exception:
            pass
        finally:
            c.close()

    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(acked) >= 5, what="some acknowledged appends")
    ops.statesvc.p.send_signal(signal.SIGTERM)
    assert ops.statesvc.p.wait(timeout=30) == 0
    stop.set()
    t.join(timeout=30)
    # A clean close: the memtables were flushed, no WAL is left to replay.
    wals = [f for f in os.listdir(ops.data_dir) if f.endswith(".log")]
    assert wals and all(os.path.getsize(os.path.join(ops.data_dir, f)) == 0 for f in wals), \
        [(f, os.path.getsize(os.path.join(ops.data_dir, f))) for f in wals]
    ops.start_statesvc()
    wait_for(lambda: http_get(ops.fe_metrics, "/readyz")[0] == 200, what="frontend ready")
    c = login_retrying(ops, "sam", "pw")
    typ, _ = c.select("INBOX")
    assert typ == "OK"
    typ, data = c.uid("SEARCH", "ALL")
    present = set(int(x) for x in data[0].split())
    missing = [u for u in acked if u not in present]
    assert not missing, "acknowledged APPENDs lost: %s" % missing
    c.logout()


def test_logs_are_json_with_session_ids(ops):
    ops.add_account("lou", "pw")
    s = login_socket(ops.imap_port, "lou", "pw")
    # A client-chosen value with a quote, a backslash and (in a literal) a newline and a
    # control character ends up in a log line (the client ID): it must stay one JSON line.
    weird = b'he said "hi"\\ \x01 and\r\nmore'
    s.sendall(b'x ID ("name" "q\\"uote\\\\" "os" {%d+}\r\n' % len(weird) + weird + b")\r\n")
    read_until(s, b"x OK")
    s.sendall(b"z LOGOUT\r\n")
    read_until(s, b"z OK")
    s.close()

    def lines():
        with open(ops.frontend.log_path, "rb") as f:
            raw = f.read().decode("utf-8", errors="replace")
        return [l for l in raw.split("\n")[:-1] if l]  # complete lines only

    def ended():
        # Earlier tests' sessions ended too: wait for the end of the session that sent the ID.
        recs = [json.loads(l) for l in lines()]
        mine = [r.get("session") for r in recs if "he said" in r.get("client_id", "")]
        return bool(mine) and any(r.get("session") == mine[-1] and
                                  r["msg"].startswith("session ended") for r in recs)

    wait_for(ended, what="this session's end logged")
    records = [json.loads(l) for l in lines()]  # every line is one JSON object
    for r in records:
        assert {"ts", "level", "component", "msg"} <= set(r), r
        assert r["component"] == "frontend"
    ids = [r for r in records if r.get("client_id")]
    assert ids, records
    assert '"q"uote\\' not in ids[-1]["client_id"]  # decoded: quote and backslash come back
    assert 'name=q"uote\\' in ids[-1]["client_id"], ids[-1]
    assert 'he said "hi"\\ \x01 and\r\nmore' in ids[-1]["client_id"], ids[-1]
    sid = ids[-1]["session"]
    mine = [r for r in records if r.get("session") == sid]
    msgs = [r["msg"] for r in mine]
    assert any(m.startswith("session started") for m in msgs), msgs
    assert any(m.startswith("session ended") for m in msgs), msgs
    assert mine[0].get("peer", "").startswith("127.0.0.1:")
    # Another session has another id.
    assert len({r["session"] for r in records if "session" in r}) >= 2
    with open(ops.statesvc.log_path, "rb") as f:
        for l in f.read().decode("utf-8").splitlines():
            if l:
                assert json.loads(l)["component"] == "statesvc"


def test_grafana_dashboard_uses_served_metrics(ops):
    """Every metric the dashboard queries is one the processes serve."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "deploy", "grafana", "hadron-dashboard.json")
    with open(path) as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 20
    ops.add_account("gus", "pw")
    c = ops.raw("gus", "pw")
    c.ok("SELECT INBOX")
    served = set()
    for port in (ops.fe_metrics, ops.state_metrics):
        served |= {name for name, _ in scrape(port)}
    c.close()
    used = set(re.findall(r"\bhadron_[a-z0-9_]+", " ".join(exprs)))
    missing = sorted(n for n in used if n not in served)
    assert not missing, missing
