"""Many clients, one mailbox (issue 3): sessions on two frontends keep stable sequence numbers.

Every session here is a ModelClient: it keeps its own picture of the mailbox (UIDs in order, a
sequence number being a position, and flags) built only from the untagged responses it receives,
and checks each response against it (an EXPUNGE or FETCH of a number it does not have, a FETCH
whose UID disagrees with the UID it knows at that position, an EXPUNGE inside a FETCH, STORE or
SEARCH). The pictures are then compared with a fresh session's SELECT + FETCH 1:* (UID FLAGS).

HADRON_CONSISTENCY_SECONDS sets the random test's duration (default 60), HADRON_CONSISTENCY_SEED
its seed, HADRON_LATENCY_LIMIT the largest accepted change-to-IDLE latency (default 1 s).
"""

import collections
import os
import random
import re
import signal
import socket
import threading
import time

import pytest

import imapwire
from conftest import Account, requires_hadron, two_frontend_cluster
from imapwire import flagset, parse_fetch, status_of

LATENCY_LIMIT = float(os.environ.get("HADRON_LATENCY_LIMIT", "1.0"))
RANDOM_SECONDS = float(os.environ.get("HADRON_CONSISTENCY_SECONDS", "60"))
CMD_TIMEOUT = float(os.environ.get("HADRON_CMD_TIMEOUT", "20"))


# Sharding (issue 7): every scenario here runs twice: on one statesvc behind two frontends, and
# through haproxy in front of 3 frontends and 2 statesvc shards (scripts/cluster.sh), where both
# "frontends" of a scenario are haproxy and each session lands on any of the 3.
@pytest.fixture(scope="module", params=["direct", "haproxy-3fe-2shards"])
def two_frontends(request):
    yield from two_frontend_cluster(request.param)


def message(i, tag="c"):
    return ("From: m%d@example.com\r\nSubject: %s %d\r\nMessage-ID: <%s%d.%f@example.com>\r\n\r\n"
            "body %d\r\n" % (i, tag, i, tag, i, time.time(), i)).encode()


class Bye(Exception):
    """The server ended the session with * BYE (or closed the connection)."""


class LoggedRaw(imapwire.Raw):
    """A Raw connection that keeps the last lines of the exchange, for failure reports."""

    def __init__(self, name, *args, **kw):
        self.name = name
        self.wire = collections.deque(maxlen=300)
        super().__init__(*args, **kw)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.wire.append("%.3f %s C: %r" % (time.monotonic() % 1000, self.name, data[:300]))
        super().send(data)

    def read_response(self, timeout=None):
        r = super().read_response(timeout)
        self.wire.append("%.3f %s S: %r" % (time.monotonic() % 1000, self.name, r[:300]))
        return r


_RESP = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE|FETCH|RECENT)\b")
# Non-UID forms of these must not carry EXPUNGE (RFC 3501 7.4.1, RFC 9051 7.5.1).
NO_EXPUNGE = ("FETCH", "STORE", "SEARCH")


class ModelClient:
    """One session and the mailbox as that session's client must understand it."""

    def __init__(self, name, host, port, user, password):
        self.name = name
        self.raw = LoggedRaw(name, host, port, timeout=CMD_TIMEOUT)
        self.uids = []    # per position: UID or None (not learned yet)
        self.flags = []   # per position: frozenset of flags or None (not known)
        self.violations = []
        self.closed = False
        self.idle_tag = None
        self.expunges_seen = []  # numbers of every EXPUNGE received, in order
        self.events = []  # (monotonic time, response) of EXISTS/EXPUNGE/FETCH received
        try:
            self.command('LOGIN "%s" "%s"' % (user, password), expect_ok=True)
        except BaseException:
            self.raw.close()
            raise

    # ---- reporting ---------------------------------------------------------------------------
    def violation(self, text):
        self.violations.append(text)

    def transcript(self, n=60):
        return "\n".join(list(self.raw.wire)[-n:])

    def close(self):
        self.raw.close()

    # ---- the model -----------------------------------------------------------------------------
    def apply(self, r, expunge_allowed=True, context=""):
        """Applies one untagged response to the model, recording any violation."""
        if r.startswith(b"* BYE"):
            self.closed = True
            raise Bye(r)
        m = _RESP.match(r)
        if not m:
            return
        n, what = int(m.group(1)), m.group(2)
        self.events.append((time.monotonic(), r))
        if what == b"EXISTS":
            if n < len(self.uids):
                self.violation("%s: %r shrinks the mailbox from %d without EXPUNGE (%s)" %
                               (self.name, r, len(self.uids), context))
                return
            grow = n - len(self.uids)
            self.uids += [None] * grow
            self.flags += [None] * grow
        elif what == b"EXPUNGE":
            self.expunges_seen.append(n)
            if not expunge_allowed:
                self.violation("%s: %r during %s, where RFC 3501 7.4.1 forbids EXPUNGE" %
                               (self.name, r, context))
            if not 1 <= n <= len(self.uids):
                self.violation("%s: %r but the client has %d messages (%s)" %
                               (self.name, r, len(self.uids), context))
                return
            del self.uids[n - 1]
            del self.flags[n - 1]
        elif what == b"FETCH":
            try:
                _, d = parse_fetch(r)
            except ValueError as e:
                self.violation("%s: unparsable %r: %s" % (self.name, r, e))
                return
            if not 1 <= n <= len(self.uids):
                self.violation("%s: %r but the client has %d messages (%s)" %
                               (self.name, r, len(self.uids), context))
                return
            if b"UID" in d:
                uid = int(d[b"UID"])
                known = self.uids[n - 1]
                if known is not None and known != uid:
                    self.violation("%s: %r: the client has UID %d at %d (wrong sequence number; %s)"
                                   % (self.name, r, known, n, context))
                    return
                if known is None and uid in self.uids:
                    self.violation("%s: %r: UID %d is at position %d for the client (%s)" %
                                   (self.name, r, uid, self.uids.index(uid) + 1, context))
                    return
                self.uids[n - 1] = uid
            if b"FLAGS" in d:
                self.flags[n - 1] = frozenset(flagset(d[b"FLAGS"]))

    def position_of(self, uid):
        try:
            return self.uids.index(uid) + 1
        except ValueError:
            return None

    def snapshot(self):
        return list(zip(self.uids, self.flags))

    # ---- commands ------------------------------------------------------------------------------
    def command(self, text, literal=None, expect_ok=False, timeout=CMD_TIMEOUT):
        """Sends one command; applies its untagged responses; returns (untagged, tagged)."""
        if self.closed:
            raise Bye(b"session already closed")
        words = text.split()
        uid = words[0].upper() == "UID"
        verb = words[1 if uid else 0].upper()
        expunge_allowed = uid or verb not in NO_EXPUNGE
        tag = self.raw.next_tag()
        try:
            if literal is None:
                self.raw.send("%s %s\r\n" % (tag, text))
            else:
                self.raw.send("%s %s {%d+}\r\n" % (tag, text, len(literal)))
                self.raw.send(literal + b"\r\n")
            untagged = []
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise socket.timeout("no tagged answer within %.0fs" % timeout)
                r = self.raw.read_response(timeout=left)
                if r.startswith(tag.encode() + b" "):
                    tagged = r
                    break
                if r.startswith(b"+"):
                    continue
                untagged.append(r)
                self.apply(r, expunge_allowed, text[:60])
        except (ConnectionError, OSError) as e:
            if isinstance(e, (socket.timeout, TimeoutError)):
                raise AssertionError("%s: %s: no answer within %.0fs (hang)\n%s" %
                                     (self.name, text, timeout, self.transcript()))
            self.closed = True
            raise Bye(str(e).encode())
        if expect_ok and status_of(tagged) != "OK":
            raise AssertionError("%s: %s -> %r\n%s" % (self.name, text, tagged, self.transcript()))
        return untagged, tagged

    def select(self, mailbox="INBOX"):
        self.uids, self.flags = [], []
        self.command("SELECT " + mailbox, expect_ok=True)
        self.learn()

    def learn(self):
        """FETCH 1:* (UID FLAGS): fills in what the model does not know (and checks the rest)."""
        if self.uids:
            self.command("FETCH 1:* (UID FLAGS)", expect_ok=True)

    def logout(self):
        try:
            self.command("LOGOUT")
        except Bye:
            pass

    def noop(self):
        return self.command("NOOP", expect_ok=True)

    def append(self, data, flags=""):
        _, tagged = self.command("APPEND INBOX" + (" (%s)" % flags if flags else ""),
                                 literal=data, expect_ok=True)
        m = re.search(rb"\[APPENDUID \d+ (\d+)\]", tagged)
        return int(m.group(1)) if m else None

    # ---- IDLE --------------------------------------------------------------------------------
    def idle_start(self):
        tag = self.raw.next_tag()
        self.raw.send("%s IDLE\r\n" % tag)
        while True:
            r = self.raw.read_response()
            if r.startswith(b"+"):
                break
            if r.startswith(tag.encode() + b" "):
                raise AssertionError("%s: IDLE -> %r" % (self.name, r))
            self.apply(r, True, "IDLE start")
        self.idle_tag = tag

    def idle_wait(self, pred, timeout):
        """Reads responses in IDLE until pred(self) holds; returns the time it held, or None."""
        deadline = time.monotonic() + timeout
        while not pred(self):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                r = self.raw.read_response(timeout=left)
            except (socket.timeout, TimeoutError):
                return None
            except (ConnectionError, OSError):
                self.closed = True
                raise Bye(b"connection closed in IDLE")
            self.apply(r, True, "IDLE")
        return time.monotonic()

    def idle_done(self):
        self.raw.send("DONE\r\n")
        tag = self.idle_tag.encode()
        self.idle_tag = None
        while True:
            try:
                r = self.raw.read_response()
            except (ConnectionError, OSError) as e:
                if isinstance(e, (socket.timeout, TimeoutError)):
                    raise AssertionError("%s: no answer to DONE\n%s" % (self.name,
                                                                         self.transcript()))
                self.closed = True
                raise Bye(b"connection closed after DONE")
            if r.startswith(tag + b" "):
                assert status_of(r) == "OK", r
                return
            self.apply(r, True, "IDLE (after DONE)")


def truth(cluster, acc):
    """The mailbox as a fresh session sees it: [(uid, frozenset(flags))] in order."""
    r = cluster.raw(acc.name, acc.password, fe=0)
    try:
        untagged, _ = r.ok("SELECT INBOX")
        exists = [int(m.group(1)) for m in (re.match(rb"\* (\d+) EXISTS", u) for u in untagged)
                  if m]
        out = []
        if exists and exists[-1]:
            untagged, _ = r.ok("FETCH 1:* (UID FLAGS)")
            rows = sorted(imapwire.fetches(untagged), key=lambda row: row[0])
            assert [s for s, _ in rows] == list(range(1, exists[-1] + 1)), untagged
            out = [(int(d[b"UID"]), frozenset(flagset(d[b"FLAGS"]))) for _, d in rows]
        return out
    finally:
        r.close()


def compare(client, expected, known_only=True):
    """Differences between a client's model and the fresh view (unknown entries skipped)."""
    diffs = []
    if len(client.uids) != len(expected):
        diffs.append("%s has %d messages, a fresh SELECT %d" % (client.name, len(client.uids),
                                                                 len(expected)))
    for i, ((uid, flags), (tuid, tflags)) in enumerate(zip(client.snapshot(), expected)):
        if uid is None and not known_only:
            diffs.append("%s: UID at %d unknown" % (client.name, i + 1))
        if uid is not None and uid != tuid:
            diffs.append("%s: position %d is UID %d for the client, UID %d in truth" %
                         (client.name, i + 1, uid, tuid))
        if flags is not None and flags != tflags:
            diffs.append("%s: position %d (UID %d) has flags %s for the client, %s in truth" %
                         (client.name, i + 1, tuid, sorted(flags), sorted(tflags)))
    return diffs


class Sessions:
    """The ModelClients of one test, closed at the end; failure reports carry their wire."""

    def __init__(self, cluster, acc):
        self.cluster = cluster
        self.acc = acc
        self.all = []

    def open(self, name, fe, select=True):
        c = ModelClient(name, self.cluster.host, self.cluster.imap_ports[fe], self.acc.name,
                        self.acc.password)
        try:
            if select:
                c.select()
        except BaseException:
            c.close()
            raise
        self.all.append(c)
        return c

    def check(self):
        problems = [v for c in self.all for v in c.violations]
        assert not problems, "\n".join(problems) + "\n\n" + self.wire()

    def wire(self, only=None, n=60):
        """The last n lines of each session's exchange (of the sessions named in only, if given)."""
        return "\n\n".join("--- %s ---\n%s" % (c.name, c.transcript(n)) for c in self.all
                           if only is None or c.name in only)

    def check_named(self):
        """As check(), showing only the exchanges of the sessions with violations."""
        bad = [c for c in self.all if c.violations]
        if bad:
            raise AssertionError("\n".join(v for c in bad for v in c.violations) + "\n\n" +
                                 self.wire({c.name for c in bad}, 150))

    def close(self):
        for c in self.all:
            c.close()


@pytest.fixture
def sessions(two_frontends, shared_account):
    s = Sessions(two_frontends, shared_account)
    yield s
    s.close()


def seed(acc_sessions, n):
    """Appends n messages through a session of its own; returns their UIDs in order."""
    c = acc_sessions.open("seed", 0, select=False)
    for i in range(n):
        c.append(message(i + 1))
    c.command("SELECT INBOX", expect_ok=True)
    c.learn()
    uids = list(c.uids)
    c.logout()
    acc_sessions.all.remove(c)
    c.close()
    assert len(uids) == n and None not in uids, uids
    return uids


def apply_expunges(uids, numbers):
    rest = list(uids)
    for n in numbers:
        assert 1 <= n <= len(rest), "EXPUNGE %d with %d messages: %r" % (n, len(rest), numbers)
        del rest[n - 1]
    return rest


# ---- 1. expunge pushed in IDLE, across frontends ----------------------------------------------

def test_expunge_reaches_idle_sessions_on_both_frontends(sessions):
    uids = seed(sessions, 10)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)
    c = sessions.open("C(fe1)", 0)
    for x in (b, c):
        x.idle_start()
    a.command("STORE 3,5,7 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
    untagged, tagged = a.command("EXPUNGE", expect_ok=True)
    t_ok = time.monotonic()
    own = [int(m.group(1)) for m in (re.match(rb"\* (\d+) EXPUNGE", u) for u in untagged) if m]
    want = [u for u in uids if u not in (uids[2], uids[4], uids[6])]
    assert apply_expunges(uids, own) == want, "A's own EXPUNGE responses %r" % own
    lat = {}
    for x in (b, c):
        t = x.idle_wait(lambda m: len(m.expunges_seen) >= 3, max(LATENCY_LIMIT, 5.0))
        assert t is not None, "%s got %d of 3 EXPUNGEs in IDLE\n%s" % (
            x.name, len(x.expunges_seen), sessions.wire())
        lat[x.name] = t - t_ok
        assert x.uids == want, "%s applied %r and has %r, want %r\n%s" % (
            x.name, x.expunges_seen, x.uids, want, sessions.wire())
    for x in (b, c):
        x.idle_done()
    print("expunge -> IDLE latency: %s" % {k: "%.3fs" % v for k, v in lat.items()})
    for k, v in lat.items():
        assert v <= LATENCY_LIMIT, "%s got the EXPUNGEs %.3fs after A's OK (limit %.1fs)\n%s" % (
            k, v, LATENCY_LIMIT, sessions.wire())
    sessions.check()
    assert [u for u, _ in truth(sessions.cluster, sessions.acc)] == want


# ---- 2. a FETCH keeps the client's numbering; EXPUNGE waits for NOOP ----------------------------

@pytest.mark.parametrize("then", ["NOOP", "UID FETCH"])
def test_fetch_during_foreign_expunge_keeps_numbering(sessions, then):
    uids = seed(sessions, 10)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)
    c = sessions.open("C(fe2)", 1)
    a.command("STORE 3,5,7 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
    a.command("EXPUNGE", expect_ok=True)
    gone = {uids[2], uids[4], uids[6]}
    want = [u for u in uids if u not in gone]
    for x in (b, c):
        untagged, tagged = x.command("FETCH 1:* (UID FLAGS)")
        assert status_of(tagged) in ("OK", "NO"), tagged
        assert not [u for u in untagged if b"EXPUNGE" in u], \
            "%s: EXPUNGE inside FETCH 1:*\n%s" % (x.name, x.transcript())
        rows = imapwire.fetches(untagged)
        # B's numbering is the old one: seq n is still uids[n-1] (the model checks each row).
        assert x.uids == uids, "%s's FETCH changed its numbering: %r\n%s" % (
            x.name, x.uids, x.transcript())
        # (other sessions' flag changes may come along as FETCH (FLAGS) without UID)
        rows = [(seq, d) for seq, d in rows if b"UID" in d]
        for seq, d in rows:
            assert int(d[b"UID"]) == uids[seq - 1], (seq, d, x.transcript())
        # every message still present answers; an expunged one answers or is left out
        answered = {int(d[b"UID"]) for _, d in rows}
        assert set(want) <= answered, "%s: FETCH 1:* left out live messages: %r\n%s" % (
            x.name, sorted(set(want) - answered), x.transcript())
        if status_of(tagged) == "NO":
            assert b"EXPUNGEISSUED" in tagged, tagged
    for x in (b, c):
        if then == "UID FETCH":
            x.command("UID FETCH 1:* (FLAGS)", expect_ok=True)  # may carry the EXPUNGEs
        x.noop()
        assert x.uids == want, "%s after %s: %r (expunges %r), want %r\n%s" % (
            x.name, then, x.uids, x.expunges_seen, want, x.transcript())
        assert len(x.expunges_seen) == 3, x.expunges_seen
    sessions.check()


def test_message_expunged_elsewhere_stays_fetchable_until_reported(sessions):
    """Issue 3: 'a message expunged elsewhere but not yet reported to a session stays fetchable
    by that session', as Gluon does (Dovecot with Maildir answers BODY[] NIL + EXPUNGEISSUED)."""
    requires_hadron(sessions.cluster)
    uids = seed(sessions, 6)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)
    a.command("STORE 2 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
    a.command("EXPUNGE", expect_ok=True)
    untagged, tagged = b.command("FETCH 2 (UID BODY.PEEK[])")
    rows = [(seq, d) for seq, d in imapwire.fetches(untagged) if b"BODY[]" in d]
    assert status_of(tagged) == "OK" and rows and rows[0][1].get(b"BODY[]"), \
        "B's message 2 (UID %d, expunged by A, not yet reported to B) is not fetchable:\n%s" % (
            uids[1], b.transcript(8))
    assert rows[0][1][b"BODY[]"].startswith(b"From: m2@"), rows
    sessions.check()


# ---- 3. STORE by a stale sequence number never lands on another message -----------------------

def test_store_on_message_expunged_elsewhere(sessions):
    uids = seed(sessions, 10)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)
    a.command("STORE 5 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
    a.command("EXPUNGE", expect_ok=True)
    untagged, tagged = b.command("STORE 5 +FLAGS (\\Flagged)")
    assert status_of(tagged) in ("OK", "NO"), tagged
    assert not [u for u in untagged if b"EXPUNGE" in u], b.transcript()
    b.command("STORE 5:6 +FLAGS (\\Seen)")
    b.noop()
    t = truth(sessions.cluster, sessions.acc)
    flagged = [u for u, f in t if "\\Flagged" in f]
    seen = [u for u, f in t if "\\Seen" in f]
    assert flagged == [], "\\Flagged landed on UID(s) %r; B meant UID %d (expunged)\n%s" % (
        flagged, uids[4], b.transcript())
    assert seen == [uids[5]], "\\Seen on %r; B's 5:6 meant UIDs %d (gone) and %d\n%s" % (
        seen, uids[4], uids[5], b.transcript())
    sessions.check()


def test_store_uses_the_clients_numbering_after_foreign_expunge(sessions):
    """A expunges message 3; B (not told yet) stores on 5: that is UID 5, not UID 6."""
    uids = seed(sessions, 10)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)
    c = sessions.open("C(fe1)", 0)
    a.command("STORE 3 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
    a.command("EXPUNGE", expect_ok=True)
    for x, flag in ((b, "\\Flagged"), (c, "$Mine")):
        untagged, tagged = x.command("STORE 5 +FLAGS (%s)" % flag, expect_ok=True)
        # A's \Deleted on message 3 may come along as '* 3 FETCH (FLAGS ...)'; the answer for
        # the message stored on is '* 5 FETCH', in the client's numbering.
        rows = [(seq, d) for seq, d in imapwire.fetches(untagged) if flag in flagset(d[b"FLAGS"])]
        assert [s for s, _ in rows] == [5], "%s: own STORE answered %r" % (x.name, untagged)
    t = truth(sessions.cluster, sessions.acc)
    got = {u: f for u, f in t}
    assert "\\Flagged" in got[uids[4]] and "$Mine" in got[uids[4]], \
        "B's/C's message 5 is UID %d; flags now: %r\n%s" % (uids[4], t, sessions.wire())
    assert all("\\Flagged" not in f for u, f in t if u != uids[4]), t
    for x in (b, c):
        x.noop()
        assert x.uids == [u for u in uids if u != uids[2]], x.transcript()
    sessions.check()


# ---- 4. flag changes as FETCH (FLAGS) ---------------------------------------------------------

def test_flag_changes_reach_other_sessions(sessions):
    uids = seed(sessions, 4)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)   # idles
    c = sessions.open("C(fe1)", 0)   # idles, same frontend as A
    d = sessions.open("D(fe2)", 1)   # NOOPs
    for x in (b, c):
        x.idle_start()
    # A's own STORE answers at once with FETCH
    untagged, _ = a.command("STORE 2 +FLAGS (\\Flagged $Work)", expect_ok=True)
    rows = imapwire.fetches(untagged)
    assert [s for s, _ in rows] == [2], untagged
    assert flagset(rows[0][1][b"FLAGS"]) == {"\\Flagged", "$Work"}, rows
    want = {"\\Flagged", "$Work"}
    for x in (b, c):
        t = x.idle_wait(lambda m: m.flags[1] == want, max(LATENCY_LIMIT, 3.0))
        assert t is not None, "%s did not get '* 2 FETCH (FLAGS (...))' in IDLE\n%s" % (
            x.name, x.transcript())
    untagged, _ = d.noop()
    assert any(re.match(rb"\* 2 FETCH \(.*FLAGS", u) for u in untagged), \
        "D's NOOP did not report the flag change: %r" % untagged
    assert d.flags[1] == want
    # removal and replacement; .SILENT: no own FETCH, others still told
    untagged, _ = a.command("STORE 2 -FLAGS.SILENT (\\Flagged)", expect_ok=True)
    assert not imapwire.fetches(untagged) or all(s != 2 for s, _ in imapwire.fetches(untagged)), \
        "STORE .SILENT answered with FETCH: %r" % untagged
    a.flags[1] = None  # .SILENT: A's client does not learn the result
    untagged, _ = a.command("STORE 4 FLAGS (\\Seen \\Answered)", expect_ok=True)
    assert flagset(imapwire.fetches(untagged)[0][1][b"FLAGS"]) == {"\\Seen", "\\Answered"}
    untagged, _ = a.command("UID STORE %d +FLAGS (\\Draft)" % uids[0], expect_ok=True)
    (s, dd), = imapwire.fetches(untagged)
    assert s == 1 and int(dd[b"UID"]) == uids[0] and flagset(dd[b"FLAGS"]) == {"\\Draft"}, untagged
    final = [{"\\Draft"}, {"$Work"}, set(), {"\\Seen", "\\Answered"}]
    for x in (b, c):
        t = x.idle_wait(lambda m: [set(f or ()) for f in m.flags] == final,
                        max(LATENCY_LIMIT, 3.0))
        assert t is not None, "%s's flags in IDLE: %r\n%s" % (x.name, x.flags, x.transcript())
        x.idle_done()
    d.noop()
    assert [set(f or ()) for f in d.flags] == final, (d.flags, d.transcript())
    for x in (a, b, c, d):
        assert not compare(x, truth(sessions.cluster, sessions.acc)), compare(
            x, truth(sessions.cluster, sessions.acc))
    sessions.check()


# ---- 5. APPEND and public-API delivery give EXISTS on both frontends --------------------------

def _wait_all(clients, pred, timeout):
    """idle_wait on several clients at once; returns {name: arrival time or None}."""
    out = {}
    errors = []

    def run(x):
        try:
            out[x.name] = x.idle_wait(pred, timeout)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("%s: %r" % (x.name, e))
            out[x.name] = None

    threads = [threading.Thread(target=run, args=(x,)) for x in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 10)
    assert not errors, errors
    return out


def test_append_and_delivery_reach_idle_sessions_on_both_frontends(sessions):
    cluster = sessions.cluster
    seed(sessions, 2)
    a = sessions.open("A(fe1)", 0)
    idlers = [sessions.open("B(fe2)", 1), sessions.open("C(fe1)", 0),
              sessions.open("D(fe2)", 1)]
    for x in idlers:
        x.idle_start()
    lat = collections.defaultdict(list)
    n = 2
    for i in range(5):
        t0 = time.monotonic()
        a.append(message(100 + i))
        t_ok = time.monotonic()
        n += 1
        got = _wait_all(idlers, lambda m, n=n: len(m.uids) >= n, max(LATENCY_LIMIT, 5.0))
        for name, t in got.items():
            assert t is not None, "%s: no '* %d EXISTS' in IDLE after APPEND on fe1\n%s" % (
                name, n, sessions.wire())
            lat["APPEND " + name].append(t - t_ok)
        lat["APPEND command"].append(t_ok - t0)
    if not cluster.reference:
        for i in range(3):
            cluster.ctl("deliver", sessions.acc.name, input=message(200 + i, "delivered"))
            t_ok = time.monotonic()
            n += 1
            got = _wait_all(idlers, lambda m, n=n: len(m.uids) >= n, max(LATENCY_LIMIT, 5.0))
            for name, t in got.items():
                assert t is not None, "%s: no '* %d EXISTS' in IDLE after hadronctl deliver\n%s" % (
                    name, n, sessions.wire())
                lat["deliver " + name].append(t - t_ok)
    for x in idlers:
        assert len(x.uids) == n, (x.name, x.uids)
        x.idle_done()
        x.learn()
    print("\nIDLE latency from the tagged OK / hadronctl exit (s):")
    for k, v in sorted(lat.items()):
        print("  %-22s max %.3f  values %s" % (k, max(v), " ".join("%.3f" % t for t in v)))
    worst = {k: max(v) for k, v in lat.items() if k != "APPEND command"}
    slow = {k: v for k, v in worst.items() if v > LATENCY_LIMIT}
    assert not slow, "EXISTS slower than %.1fs: %r" % (LATENCY_LIMIT, slow)
    t = truth(cluster, sessions.acc)
    for x in idlers + [a]:
        if x is a:
            a.noop()
            a.learn()
        assert not compare(x, t), compare(x, t)
    sessions.check()


# ---- 6. statesvc restart (SIGTERM, then SIGKILL) while sessions are selected and idle ----------

def _during_outage(x, command, outcomes):
    """A command while the statesvc is down: a tagged answer or a BYE, never a hang."""
    try:
        _, tagged = x.command(command, timeout=15)
        st = status_of(tagged)
        outcomes.append("%s: %s -> %s" % (x.name, command, tagged.decode(errors="replace")))
        assert st in ("OK", "NO"), "%s: %s during the outage -> %r" % (x.name, command, tagged)
    except Bye as e:
        outcomes.append("%s: %s -> BYE/closed %r" % (x.name, command, e))


def test_statesvc_restart_keeps_numbering_or_says_bye(private_two_frontends):
    cluster = private_two_frontends
    requires_hadron(cluster)
    cluster.add_account("rs", "rs")
    acc = Account(cluster, "rs", "rs")
    s = Sessions(cluster, acc)
    try:
        uids = seed(s, 6)
        active = [s.open("A(fe1)", 0), s.open("B(fe2)", 1)]
        idle = [s.open("C(fe1)", 0), s.open("D(fe2)", 1)]
        report = []
        for round_, how in enumerate(("SIGTERM", "SIGKILL")):
            for x in idle:
                x.idle_start()
            seen_before = {x.name: len(x.expunges_seen) for x in active + idle}
            if how == "SIGTERM":
                cluster.statesvc.stop(signal.SIGTERM)
            else:
                cluster.statesvc.kill9()
            outcomes = []
            for x in active:
                if not x.closed:
                    _during_outage(x, "NOOP", outcomes)
                if not x.closed:
                    _during_outage(x, "STORE 1 +FLAGS (\\Seen)", outcomes)
                if not x.closed:
                    _during_outage(x, "FETCH 1:* (UID FLAGS)", outcomes)
            # idle sessions: nothing or a BYE while the statesvc is away (the model checks)
            for x in idle:
                try:
                    x.idle_wait(lambda m: False, 0.5)
                except Bye:
                    outcomes.append("%s: BYE in IDLE during the outage" % x.name)
            cluster.start_statesvc()
            # A change made after the restart, through a fresh session on frontend 1.
            deadline = time.monotonic() + 30
            while True:
                try:
                    w = s.open("W%d(fe1)" % round_, 0, select=True)
                    break
                except (AssertionError, Bye) as e:
                    assert time.monotonic() < deadline, "frontend 1 did not recover: %r" % e
                    time.sleep(0.5)
            w.append(message(300 + round_, "after-restart"))
            w.noop()
            w.command("STORE 2 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
            w.command("EXPUNGE", expect_ok=True)
            want = [u for u, _ in truth(cluster, acc)]
            # idle sessions: the EXISTS and the EXPUNGE arrive in IDLE, or a BYE
            for x in idle:
                if x.closed:
                    continue
                try:
                    t0 = time.monotonic()
                    t = x.idle_wait(lambda m: len(m.expunges_seen) > seen_before[m.name] and
                                    len(m.uids) == len(want), 10.0)
                    if t is None:
                        pytest.fail("%s (idle through the %s restart) got neither the changes "
                                    "made after it nor a BYE within 10s\n%s" % (
                                        x.name, how, s.wire()))
                    x.idle_done()
                    x.learn()
                    outcomes.append("%s: got EXISTS/EXPUNGE in IDLE after the restart (%.2fs "
                                    "after the EXPUNGE's OK)" % (x.name, t - t0))
                except Bye:
                    outcomes.append("%s: BYE after the restart" % x.name)
            # active sessions: NOOP reports them (allow the frontend a few seconds to reconnect)
            for x in active:
                if x.closed:
                    continue
                try:
                    end = time.monotonic() + 10
                    while [u for u in x.uids if u is not None] != want or len(x.uids) != len(want):
                        x.noop()
                        x.learn()
                        if time.monotonic() > end:
                            pytest.fail("%s after the %s restart: %r, want %r\n%s" % (
                                x.name, how, x.uids, want, s.wire()))
                        time.sleep(0.2)
                    outcomes.append("%s: NOOP shows the changes after the restart" % x.name)
                except Bye:
                    outcomes.append("%s: BYE after the restart" % x.name)
            t = truth(cluster, acc)
            for x in active + idle:
                if not x.closed:
                    d = compare(x, t)
                    assert not d, "after the %s restart: %s\ntruth %r\n%s" % (
                        how, d, t, s.wire({x.name, w.name}, 80))
            report.append("%s:\n  %s" % (how, "\n  ".join(outcomes)))
            s.check()
            # replace sessions that were closed, for the next round
            active = [x if not x.closed else s.open(x.name + "'", 0 if "fe1" in x.name else 1)
                      for x in active]
            idle = [x if not x.closed else s.open(x.name + "'", 0 if "fe1" in x.name else 1)
                    for x in idle]
        print("\n" + "\n".join(report))
        assert cluster.frontends[0].alive() and cluster.frontends[1].alive()
        del uids
    finally:
        s.close()


# ---- 7. eight clients, random operations, each checks its own model ---------------------------

FLAG_POOL = ["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "$Work", "$Later"]


def seqset(nums):
    """[1,2,3,7] -> '1:3,7'."""
    nums = sorted(set(nums))
    parts = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else "%d:%d" % (nums[i], nums[j]))
        i = j + 1
    return ",".join(parts)


class RandomWorker:
    """Random commands on one session for a while; every response is checked by its model."""

    def __init__(self, client, rng, deadline, max_ops=20000):
        self.c = client
        self.rng = rng
        self.deadline = deadline
        self.max_ops = max_ops
        self.ops = collections.Counter()
        self.error = None
        self.unexpected = []

    def pick_positions(self):
        n = len(self.c.uids)
        k = self.rng.choice([1, 1, 1, 2, 3, 5])
        if self.rng.random() < 0.3:
            a = self.rng.randint(1, n)
            return list(range(a, min(n, a + k) + 1))
        return [self.rng.randint(1, n) for _ in range(k)]

    def flags(self):
        return " ".join(self.rng.sample(FLAG_POOL, self.rng.choice([1, 1, 2])))

    def check_tagged(self, text, tagged, allowed=("OK",)):
        st = status_of(tagged)
        if st == "OK" or st in allowed:
            return
        if st == "NO" and b"EXPUNGEISSUED" in tagged:
            return
        self.unexpected.append("%s: %s -> %r" % (self.c.name, text, tagged))

    def step(self):
        c, rng = self.c, self.rng
        n = len(c.uids)
        weights = {"append": 12 if n < 60 else 3, "store": 20, "uidstore": 10,
                   "expunge": 5 if n > 8 else 1, "uidexpunge": 4 if n > 8 else 1,
                   "fetch": 15, "uidfetch": 10, "noop": 8, "search": 4, "idle": 3}
        if n == 0:
            for k in ("store", "uidstore", "fetch", "expunge", "uidexpunge"):
                weights[k] = 0
        op = rng.choices(list(weights), list(weights.values()))[0]
        self.ops[op] += 1
        if op == "append":
            fl = self.flags() if rng.random() < 0.5 else ""
            text = "APPEND INBOX" + (" (%s)" % fl if fl else "")
            _, tagged = c.command(text, literal=message(rng.randint(1, 10 ** 6), c.name))
            self.check_tagged(text, tagged)
        elif op == "store":
            pos = self.pick_positions()
            how = rng.choice(["+FLAGS", "-FLAGS", "FLAGS"])
            silent = rng.random() < 0.2
            fl = self.flags()
            text = "STORE %s %s%s (%s)" % (seqset(pos), how, ".SILENT" if silent else "", fl)
            _, tagged = c.command(text)
            self.check_tagged(text, tagged)
            if silent:
                for p in pos:  # no answer: what the flags are now is unknown to the client
                    if p <= len(c.flags):
                        c.flags[p - 1] = None
        elif op == "uidstore":
            known = [u for u in c.uids if u is not None]
            if not known:
                return
            chosen = rng.sample(known, min(len(known), rng.choice([1, 2, 3])))
            if rng.random() < 0.2:
                chosen.append(max(known) + rng.randint(1, 5))  # perhaps not (yet) there
            how = rng.choice(["+FLAGS", "-FLAGS"])
            silent = rng.random() < 0.2
            text = "UID STORE %s %s%s (%s)" % (seqset(chosen), how, ".SILENT" if silent else "",
                                               self.flags())
            _, tagged = c.command(text)
            self.check_tagged(text, tagged)
            if silent:
                for i, u in enumerate(c.uids):
                    if u is None or u in chosen:
                        c.flags[i] = None
        elif op in ("expunge", "uidexpunge"):
            pos = self.pick_positions()
            text = "STORE %s +FLAGS.SILENT (\\Deleted)" % seqset(pos)
            _, tagged = c.command(text)
            self.check_tagged(text, tagged)
            for p in pos:
                if p <= len(c.flags):
                    c.flags[p - 1] = None
            if op == "expunge":
                _, tagged = c.command("EXPUNGE")
                self.check_tagged("EXPUNGE", tagged)
            else:
                uids = [c.uids[p - 1] for p in pos if p <= len(c.uids) and c.uids[p - 1]]
                if uids:
                    text = "UID EXPUNGE %s" % seqset(uids)
                    _, tagged = c.command(text)
                    self.check_tagged(text, tagged)
        elif op == "fetch":
            if rng.random() < 0.3:
                text = "FETCH 1:* (UID FLAGS)"
            else:
                text = "FETCH %s (%s)" % (seqset(self.pick_positions()),
                                          rng.choice(["FLAGS", "UID FLAGS", "UID", "FLAGS RFC822.SIZE"]))
            _, tagged = c.command(text)
            self.check_tagged(text, tagged)
        elif op == "uidfetch":
            known = [u for u in c.uids if u is not None]
            if rng.random() < 0.4 or not known:
                text = "UID FETCH 1:* (FLAGS)"
            else:
                text = "UID FETCH %s (FLAGS)" % seqset(rng.sample(known, min(3, len(known))))
            _, tagged = c.command(text)
            self.check_tagged(text, tagged)
        elif op == "noop":
            _, tagged = c.command("NOOP")
            self.check_tagged("NOOP", tagged)
        elif op == "search":
            uid = rng.random() < 0.5
            text = ("UID " if uid else "") + rng.choice(["SEARCH ALL", "SEARCH FLAGGED",
                                                         "SEARCH UNSEEN"])
            untagged, tagged = c.command(text)
            self.check_tagged(text, tagged)
            if not uid:
                for r in untagged:
                    if r.upper().startswith(b"* SEARCH"):
                        bad = [int(x) for x in r[8:].split() if int(x) > len(c.uids)]
                        if bad:
                            c.violation("%s: %s answered numbers %r beyond its %d messages" %
                                        (c.name, text, bad, len(c.uids)))
        elif op == "idle":
            c.idle_start()
            c.idle_wait(lambda m: False, rng.uniform(0.05, 0.4))
            c.idle_done()

    def run(self):
        try:
            for _ in range(self.max_ops):
                if time.monotonic() >= self.deadline or self.c.violations:
                    break
                self.step()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = "%s: %s: %s" % (self.c.name, type(e).__name__, str(e)[:300])


def test_random_operations_eight_clients_two_frontends(sessions):
    seed_value = int(os.environ.get("HADRON_CONSISTENCY_SEED", random.randrange(1 << 30)))
    print("\nseed %d, %.0fs (HADRON_CONSISTENCY_SEED / HADRON_CONSISTENCY_SECONDS)" % (
        seed_value, RANDOM_SECONDS))
    seed(sessions, 20)
    clients = [sessions.open("c%d(fe%d)" % (i, i % 2 + 1), i % 2) for i in range(8)]
    deadline = time.monotonic() + RANDOM_SECONDS
    workers = [RandomWorker(c, random.Random(seed_value + i), deadline)
               for i, c in enumerate(clients)]
    threads = [threading.Thread(target=w.run, name=w.c.name) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(RANDOM_SECONDS + 120)
        assert not t.is_alive(), "a client did not finish (hang)\n" + sessions.wire()
    totals = collections.Counter()
    for w in workers:
        totals.update(w.ops)
    print("operations: %d %s" % (sum(totals.values()), dict(totals)))
    sessions.check_named()
    errors = [w.error for w in workers if w.error]
    assert not errors, "\n".join(errors) + "\n\n" + sessions.wire(
        {w.c.name for w in workers if w.error}, 150)
    unexpected = [u for w in workers for u in w.unexpected]
    assert not unexpected, "\n".join(unexpected[:30]) + "\n\n" + sessions.wire(
        {w.c.name for w in workers if w.unexpected}, 100)
    # Quiet now. Each client: NOOP, then its model against a fresh SELECT.
    t = truth(sessions.cluster, sessions.acc)
    print("final mailbox: %d messages" % len(t))
    diffs = []
    for c in clients:
        c.noop()
        unknown = sum(1 for u, f in c.snapshot() if u is None or f is None)
        d = compare(c, t)
        diffs += ["after NOOP: " + x for x in d]
        # Then the session's own FETCH 1:* (checked against the model) fills in the unknowns.
        c.learn()
        d2 = compare(c, t, known_only=False)
        diffs += ["after FETCH 1:*: " + x for x in d2]
        print("  %s: %d unknown entries before its final FETCH" % (c.name, unknown))
    sessions.check()
    assert not diffs, "\n".join(diffs[:40]) + "\n\n" + sessions.wire()
