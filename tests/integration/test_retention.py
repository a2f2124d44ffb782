"""Retention in the statesvc: expunged messages stay fetchable for a while, the change log is trimmed.

A statesvc of its own runs with tiny limits (--expunged_retention_seconds=3 --changelog_keep=5
--changelog_keep_seconds=0), with two frontends. Checked over IMAP only:
- a message expunged by A is still FETCHable by B until B is told (B's NOOP);
- once the retention has passed, B (still not told) gets NO [EXPUNGEISSUED];
- a session whose mailbox had more changes than the log keeps while its frontend was cut off
  from the statesvc ends, after a resync, with a view identical to a fresh SELECT.
"""

import re
import signal
import tempfile
import time

import pytest

from conftest import Account, MultiCluster, Proc, _stop_multi, binary, requires_hadron
from imapwire import status_of
from test_consistency import Bye, Sessions, compare, message, seed, truth

RETENTION = 3  # seconds
KEEP = 5
STATESVC_FLAGS = ["--expunged_retention_seconds=%d" % RETENTION, "--changelog_keep=%d" % KEEP,
                  "--changelog_keep_seconds=0"]


class RetentionCluster(MultiCluster):
    """A MultiCluster whose statesvc runs with the tiny retention settings above."""

    def start_statesvc(self):
        self.statesvc = Proc("statesvc", [binary("statesvc"), "--listen=" + self.state_addr,
                                          "--data_dir=" + self.data_dir] + STATESVC_FLAGS,
                             self.workdir)
        self._wait(self.statesvc, self.state_port)


@pytest.fixture
def retention_cluster():
    workdir = tempfile.mkdtemp(prefix="hadron-it-retention-")
    c = RetentionCluster(workdir)
    try:
        c.start()
    except BaseException:
        c.stop()
        raise
    yield c
    dead = ["%s exited with %s:\n%s" % (p.name, p.p.returncode, p.log_tail())
            for p in c.procs() if p is not None and not p.alive()]
    san = _stop_multi(c, workdir)
    if dead or san:
        pytest.fail("\n".join(dead) + san, pytrace=False)


@pytest.fixture
def sessions(retention_cluster):
    retention_cluster.add_account("ret", "ret")
    s = Sessions(retention_cluster, Account(retention_cluster, "ret", "ret"))
    yield s
    s.close()


def swept(cluster, what):
    """Whether the statesvc logged a sweep that removed at least one `what`."""
    with open(cluster.statesvc.log_path, "rb") as f:
        log = f.read().decode(errors="replace")
    return re.search(r"\b[1-9]\d* " + re.escape(what), log) is not None


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.1)


def body_rows(untagged):
    return [u for u in untagged if re.match(rb"\* \d+ FETCH", u) and b"BODY[]" in u]


def test_expunged_message_fetchable_until_told_then_expungeissued_after_retention(sessions):
    uids = seed(sessions, 4)
    a = sessions.open("A(fe1)", 0)
    b = sessions.open("B(fe2)", 1)
    a.command("STORE 2 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
    a.command("EXPUNGE", expect_ok=True)
    expunged_at = time.monotonic()

    # B has not been told: its message 2 is still UID uids[1] and still readable.
    untagged, tagged = b.command("FETCH 2 (UID BODY.PEEK[])")
    assert time.monotonic() - expunged_at < RETENTION, "too slow to test the retention window"
    rows = body_rows(untagged)
    assert status_of(tagged) == "OK" and rows, b.transcript(10)
    assert rows[0].startswith(b"* 2 FETCH") and b"UID %d" % uids[1] in rows[0], rows
    assert b"From: m2@" in rows[0], rows
    assert not [u for u in untagged if b"EXPUNGE" in u], b.transcript(10)

    # After the retention (plus a sweep), the statesvc has dropped it: NO [EXPUNGEISSUED].
    wait_for(lambda: swept(sessions.cluster, "expunged messages removed"), RETENTION + 10,
             "the retention sweep")
    untagged, tagged = b.command("FETCH 2 (UID BODY.PEEK[])")
    assert status_of(tagged) == "NO" and b"EXPUNGEISSUED" in tagged, b.transcript(10)
    assert not [u for u in untagged if b"EXPUNGE" in u], b.transcript(10)
    # Its neighbours still read fine, in B's numbering.
    untagged, tagged = b.command("FETCH 3 (UID BODY.PEEK[])", expect_ok=True)
    rows = body_rows(untagged)
    assert rows and rows[0].startswith(b"* 3 FETCH") and b"From: m3@" in rows[0], rows

    # At B's NOOP the expunge is reported; then B agrees with a fresh SELECT.
    untagged, _ = b.noop()
    assert b"* 2 EXPUNGE" in untagged, b.transcript(10)
    assert compare(b, truth(sessions.cluster, sessions.acc)) == []
    sessions.check()


def test_view_matches_fresh_select_after_the_log_was_trimmed_while_cut_off(sessions):
    cluster = sessions.cluster
    requires_hadron(cluster)
    seed(sessions, 8)
    b = sessions.open("B(fe2)", 1)
    # Cut frontend 2 off: frozen, it cannot see its Watch stream end nor resume it.
    fe2 = cluster.frontends[1]
    fe2.p.send_signal(signal.SIGSTOP)
    try:
        cluster.statesvc.stop(signal.SIGTERM)
        cluster.start_statesvc()
        deadline = time.monotonic() + 30
        while True:
            try:
                a = sessions.open("A(fe1)", 0)
                break
            except (AssertionError, Bye) as e:
                assert time.monotonic() < deadline, "frontend 1 did not recover: %r" % e
                time.sleep(0.5)
        # More than KEEP changes: flags, an expunge, appends.
        a.command("STORE 1 +FLAGS.SILENT (\\Seen)", expect_ok=True)
        a.command("STORE 2 +FLAGS.SILENT (\\Flagged)", expect_ok=True)
        a.command("STORE 3 +FLAGS.SILENT ($Label)", expect_ok=True)
        a.command("STORE 4,6 +FLAGS.SILENT (\\Deleted)", expect_ok=True)
        a.command("EXPUNGE", expect_ok=True)
        a.append(message(21, "late"))
        a.append(message(22, "late"))
        a.command("STORE 1 -FLAGS.SILENT (\\Seen)", expect_ok=True)
        a.command("STORE 5 +FLAGS.SILENT (\\Answered)", expect_ok=True)
        a.noop()
        # The sweeper trims the log past B's snapshot (changelog_keep_seconds=0: at once).
        wait_for(lambda: swept(cluster, "change-log entries trimmed"), 15,
                 "the change log to be trimmed")
    finally:
        fe2.p.send_signal(signal.SIGCONT)

    # B resumes from below the log floor: the frontend must resync, never drift.
    expected = truth(cluster, sessions.acc)
    deadline = time.monotonic() + 20
    while True:
        try:
            b.noop()
            b.learn()
        except Bye:
            pytest.fail("B got BYE instead of a resync:\n" + b.transcript(30))
        diffs = compare(b, expected, known_only=False)
        if not diffs or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert diffs == [], "\n".join(diffs) + "\n" + b.transcript(40)
    # The view works on: a further change reaches B as usual.
    a.command("STORE 1 +FLAGS.SILENT (\\Draft)", expect_ok=True)
    expected = truth(cluster, sessions.acc)
    deadline = time.monotonic() + 10
    while compare(b, expected, known_only=False) and time.monotonic() < deadline:
        b.noop()
        time.sleep(0.2)
    assert compare(b, expected, known_only=False) == [], b.transcript(20)
    sessions.check()


def test_qresync_when_the_log_no_longer_reaches(retention_cluster):
    """SELECT (QRESYNC) from a modseq the trimmed log no longer covers: the VANISHED (EARLIER)
    answer still names every expunged UID the client knew (the highest one included), and only
    UIDs that are really gone; the FETCHes name every message changed since."""
    import imapwire
    c = retention_cluster
    c.add_account("qr", "qr")
    r = imapwire.Raw(c.host, c.imap_ports[0])
    r.login("qr", "qr")
    for i in range(6):
        r.cmd_literal("APPEND INBOX", message(i, "qr"))
    r.ok("ENABLE QRESYNC")
    untagged, _ = r.ok("SELECT INBOX")
    uv = int(re.search(rb"UIDVALIDITY (\d+)", b"\n".join(untagged)).group(1))
    hms = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"\n".join(untagged)).group(1))
    r.ok("UNSELECT")
    o = imapwire.Raw(c.host, c.imap_ports[1])
    o.login("qr", "qr")
    o.ok("SELECT INBOX")
    o.ok("UID STORE 2,6 +FLAGS.SILENT (\\Deleted)")
    o.ok("UID EXPUNGE 2,6")
    for i in range(KEEP + 2):
        o.ok("UID STORE 3 %sFLAGS.SILENT (\\Seen)" % ("+" if i % 2 == 0 else "-"))
    o.ok("UID STORE 4 +FLAGS.SILENT (\\Flagged)")
    o.close()
    wait_for(lambda: swept(c, "change-log entries trimmed"), 15, "the change log to be trimmed")
    untagged, _ = r.ok("SELECT INBOX (QRESYNC (%d %d 1:100))" % (uv, hms))
    van = [u for u in untagged if u.startswith(b"* VANISHED (EARLIER) ")]
    assert len(van) == 1, untagged
    gone = set()
    for part in van[0][len(b"* VANISHED (EARLIER) "):].decode().split(","):
        a, _, b = part.partition(":")
        gone.update(range(int(a), int(b or a) + 1))
    assert gone == {2, 6}, untagged  # uid_next is 7: nothing above it is named
    fetched = sorted(int(re.search(rb"UID (\d+)", u).group(1)) for u in untagged
                     if re.match(rb"\* \d+ FETCH", u))
    assert {3, 4} <= set(fetched) and not set(fetched) & gone, untagged
    r.close()
