"""Crash safety (issue 6): nothing acknowledged is lost when a process dies.

Eight clients APPEND unique messages as fast as they can. Ten times, the statesvc is killed with
SIGKILL in the middle of that load and started again on the same data directory; then a frontend
is killed the same way while the clients work on, and its clients move to the other frontend.
Afterwards every APPEND that got `OK [APPENDUID v u]` must be in the mailbox under UID u of
UIDVALIDITY v with exactly the bytes sent; and every message in the mailbox must be one that a
client sent (an unacknowledged APPEND may or may not have landed, but never half of it).

HADRON_CRASH_ROUNDS sets the number of statesvc kills (default 10).
"""

import os
import random
import re
import threading
import time

from conftest import requires_hadron
import imapwire

ROUNDS = int(os.environ.get("HADRON_CRASH_ROUNDS", "10"))
CLIENTS = 8


class Appender(threading.Thread):
    """Appends unique messages in a loop; reconnects (to any live frontend) after any error."""

    def __init__(self, cluster, user, password, idx, stop):
        super().__init__(daemon=True)
        self.cluster, self.user, self.password, self.idx = cluster, user, password, idx
        self.stop_event = stop
        self.acked = {}  # (uidvalidity, uid) -> bytes
        self.sent = []   # every message sent, acknowledged or not
        self.errors = 0
        self.fe = idx % len(cluster.imap_ports)
        self.conn = None
        self.problems = []

    def connect(self):
        while not self.stop_event.is_set():
            # The frontend this client uses, or the next one if it is gone.
            for k in range(len(self.cluster.imap_ports)):
                fe = (self.fe + k) % len(self.cluster.imap_ports)
                try:
                    r = imapwire.Raw(self.cluster.host, self.cluster.imap_ports[fe], timeout=5)
                    r.login(self.user, self.password)
                    self.fe = fe
                    return r
                except Exception:
                    self.errors += 1
            time.sleep(0.1)
        return None

    def run(self):
        n = 0
        rnd = random.Random(self.idx)
        while not self.stop_event.is_set():
            if self.conn is None:
                self.conn = self.connect()
                if self.conn is None:
                    return
            n += 1
            body = b"x" * rnd.randint(0, 3000)
            data = (b"From: c%d@example.com\r\nSubject: crash %d/%d\r\nMessage-ID: <%d.%d.%f@t>\r\n"
                    b"\r\n%s\r\n" % (self.idx, self.idx, n, self.idx, n, time.time(), body))
            self.sent.append(data)
            try:
                _, tagged = self.conn.cmd_literal("APPEND INBOX", data, timeout=10)
            except Exception:
                self.errors += 1
                try:
                    self.conn.close()
                except Exception:
                    pass
                self.conn = None
                time.sleep(0.02)
                continue
            m = re.search(rb" OK \[APPENDUID (\d+) (\d+)\]", tagged)
            if m:
                key = (int(m.group(1)), int(m.group(2)))
                if key in self.acked:
                    self.problems.append("UID %r acknowledged twice" % (key,))
                self.acked[key] = data
            elif b" OK" in tagged.split(b"]")[0][:12]:
                self.problems.append("OK without APPENDUID: %r" % tagged)
            else:
                self.errors += 1  # NO [UNAVAILABLE] while the statesvc is down: fine, not acked
                time.sleep(0.02)
        if self.conn is not None:
            self.conn.close()


def mailbox_contents(cluster, user, password):
    r = imapwire.Raw(cluster.host, cluster.imap_ports[0], timeout=60)
    r.login(user, password)
    untagged, _ = r.ok("EXAMINE INBOX")
    uv = int(re.search(rb"UIDVALIDITY (\d+)", b"\n".join(untagged)).group(1))
    untagged, _ = r.ok("UID FETCH 1:* (UID BODY.PEEK[])", timeout=120)
    out = {}
    for u in untagged:
        if not re.match(rb"\* \d+ FETCH", u):
            continue
        uid = int(re.search(rb"UID (\d+)", u).group(1))
        m = re.search(rb"BODY\[\] \{(\d+)\}\r\n", u)
        out[uid] = u[m.end():m.end() + int(m.group(1))]
    r.close()
    return uv, out


def wait_serving(cluster, user, password, fe=0, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        try:
            r = imapwire.Raw(cluster.host, cluster.imap_ports[fe], timeout=5)
            r.login(user, password)
            r.ok("STATUS INBOX (MESSAGES)")
            r.close()
            return
        except Exception:
            assert time.monotonic() < deadline, "the cluster did not come back"
            time.sleep(0.2)


def test_kill9_statesvc_and_frontend_under_append_load(private_two_frontends):
    c = private_two_frontends
    requires_hadron(c)
    c.add_account("crash", "crashpw")
    stop = threading.Event()
    clients = [Appender(c, "crash", "crashpw", i, stop) for i in range(CLIENTS)]
    for t in clients:
        t.start()
    try:
        acked_before = 0
        for rnd in range(ROUNDS):
            # Each round starts once the load is going (again): some APPEND acknowledged since
            # the last restart. The clients log in (again) first, an scrypt check each, which
            # takes seconds on a loaded machine: bounded, not immediate.
            deadline = time.monotonic() + 30
            while (sum(len(t.acked) for t in clients) <= acked_before and
                   time.monotonic() < deadline):
                time.sleep(0.1)
            acked = sum(len(t.acked) for t in clients)
            assert acked > acked_before, "no APPEND was acknowledged before round %d" % rnd
            acked_before = acked
            time.sleep(random.uniform(0.3, 1.0))  # more APPENDs in flight at the kill
            c.statesvc.kill9()
            time.sleep(random.uniform(0.0, 0.3))
            c.start_statesvc()
            wait_serving(c, "crash", "crashpw")
        # A frontend dies: its clients carry on through the other one.
        time.sleep(1.0)
        c.frontends[0].kill9()
        time.sleep(1.5)
        moved = sum(len(t.acked) for t in clients)
        # The clients of the dead frontend log in again through the other one (a scrypt LOGIN
        # each, slow on a loaded machine): the load must go on within a bound, not at once.
        deadline = time.time() + 20
        while sum(len(t.acked) for t in clients) <= moved and time.time() < deadline:
            time.sleep(0.2)
        assert sum(len(t.acked) for t in clients) > moved, "the load stopped with frontend 1"
        c.start_frontend(0)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in clients:
            t.join(timeout=30)
    problems = [p for t in clients for p in t.problems]
    assert not problems, problems
    uv, contents = mailbox_contents(c, "crash", "crashpw")
    acked = {}
    for t in clients:
        acked.update(t.acked)
    assert len(acked) > 100, len(acked)
    lost = [(v, u) for (v, u) in acked if v != uv or u not in contents]
    assert not lost, "acknowledged APPENDs missing after kill -9: %r" % lost[:20]
    changed = [u for (v, u), data in acked.items() if contents[u] != data]
    assert not changed, "acknowledged APPENDs with other bytes: %r" % changed[:20]
    sent = {d for t in clients for d in t.sent}
    strangers = [u for u, d in contents.items() if d not in sent]
    assert not strangers, "messages nobody sent (torn writes?): %r" % strangers[:20]
    print("\ncrash safety: %d rounds, %d acknowledged APPENDs, %d in the mailbox, %d client "
          "errors (expected while a process is down)" % (ROUNDS, len(acked), len(contents),
                                                         sum(t.errors for t in clients)))
