"""Changes made through the public hadron.mail.v1 API (hadronctl) reach IMAP sessions exactly
like another session's changes: EXISTS for a delivery, FETCH (FLAGS) for flags, EXPUNGE for an
expunge, at the points RFC 3501 7.4.1 allows."""

import pytest

import imapwire
from conftest import requires_hadron


def deliver(cluster, account, n):
    out = cluster.ctl("deliver", account.name, input=b"Subject: api %d\r\n\r\nbody %d\r\n" % (n, n))
    return int(out.stdout.strip())


def test_public_api_flags_and_expunge_reach_idle_session(cluster, account):
    requires_hadron(cluster)
    uids = [deliver(cluster, account, i) for i in range(3)]
    b = account.raw(select="INBOX")
    b.send(b"I1 IDLE\r\n")
    assert b.read_line().startswith(b"+ ")

    cluster.ctl("flags", "add", account.name, str(uids[1]), "\\Flagged", "$Api")
    # The session was the first to see these messages, so they are \\Recent in it.
    assert b.read_line(timeout=5) == b"* 2 FETCH (FLAGS (\\Flagged $Api \\Recent))"

    cluster.ctl("expunge", account.name, str(uids[0]))
    assert b.read_line(timeout=5) == b"* 1 EXPUNGE"

    new = deliver(cluster, account, 9)
    assert new > uids[2]
    assert b.read_line(timeout=5) == b"* 3 EXISTS"
    assert b.read_line(timeout=5) == b"* 3 RECENT"  # this session saw all three first
    b.send(b"DONE\r\n")
    assert b.read_line(timeout=5).startswith(b"I1 OK")

    untagged, _ = b.ok("UID FETCH 1:* (FLAGS)")
    got = {d[b"UID"]: d[b"FLAGS"] for _, d in imapwire.fetches(untagged)}
    assert set(got) == {str(uids[1]).encode(), str(uids[2]).encode(), str(new).encode()}, got


def test_public_api_expunge_waits_for_an_allowed_point(cluster, account):
    requires_hadron(cluster)
    uids = [deliver(cluster, account, i) for i in range(3)]
    b = account.raw(select="INBOX")
    cluster.ctl("expunge", account.name, str(uids[1]))
    # FETCH may not carry the EXPUNGE, and B's numbers still mean what B last saw.
    untagged, _ = b.ok("FETCH 3 (UID)")
    assert not [u for u in untagged if u.endswith(b"EXPUNGE")], untagged
    assert imapwire.fetches(untagged) == [(3, {b"UID": str(uids[2]).encode()})], untagged
    untagged, _ = b.ok("NOOP")
    assert b"* 2 EXPUNGE" in untagged, untagged


def test_public_api_errors(cluster, account):
    requires_hadron(cluster)
    out = cluster.ctl("expunge", "no-such-account", "1", check=False)
    assert out.returncode != 0 and out.stderr.strip(), out
    out = cluster.ctl("flags", "add", account.name, "1", "\\Bogus", check=False)
    assert out.returncode != 0 and out.stderr.strip(), out
    out = cluster.ctl("flags", "add", account.name, "x", "\\Seen", check=False)
    assert out.returncode != 0, out


# ---- The rest of hadron.mail.v1 (issue 7): mailboxes, Import, WatchAccount ------------------

import json
import subprocess
import threading

from conftest import binary


def test_public_api_import_reaches_idle_session(cluster, account):
    requires_hadron(cluster)
    deliver(cluster, account, 0)
    b = account.raw(select="INBOX")
    b.send(b"I1 IDLE\r\n")
    assert b.read_line().startswith(b"+ ")
    box = (b"From a Mon Jan  1 00:00:00 2024\nSubject: i1\n\nx\n\n"
           b"From a Mon Jan  1 00:00:01 2024\nStatus: RO\nSubject: i2\n\ny\n")
    out = cluster.ctl("import", "mbox", account.name, "-", input=box)
    assert b"imported 2 message(s), 0 failed" in out.stdout, out
    # One EXISTS for both or one per message (each maybe with RECENT): read until "* 3 EXISTS";
    # whatever follows it is read by the DONE loop below.
    lines = [b.read_line(timeout=5)]
    while b"* 3 EXISTS" not in lines and len(lines) < 6:
        lines.append(b.read_line(timeout=5))
    assert b"* 3 EXISTS" in lines, lines
    b.send(b"DONE\r\n")
    while not b.read_line(timeout=5).startswith(b"I1 OK"):
        pass
    untagged, _ = b.ok("FETCH 2:3 (FLAGS INTERNALDATE)")
    got = dict(imapwire.fetches(untagged))
    assert b"\\Seen" in got[3][b"FLAGS"] and b"\\Seen" not in got[2][b"FLAGS"], got
    assert got[2][b"INTERNALDATE"] == b"01-Jan-2024 00:00:00 +0000", got


def test_public_api_mailbox_commands_seen_by_imap(cluster, account):
    requires_hadron(cluster)
    cluster.ctl("mailbox", "create", account.name, "Projects/Alpha")
    cluster.ctl("mailbox", "rename", account.name, "Projects", "Work")
    cluster.ctl("mailbox", "subscribe", account.name, "Work/Alpha")
    c = account.imap()
    typ, data = c.lsub('""', "Work*")
    assert any(b'"Work/Alpha"' in d or b"Work/Alpha" in d for d in data), data
    typ, data = c.list('""', "*")
    names = b" ".join(data)
    assert b"Work/Alpha" in names and b"Projects" not in names, data
    cluster.ctl("mailbox", "unsubscribe", account.name, "Work/Alpha")
    typ, data = c.lsub('""', "Work*")
    assert data == [None] or not any(d and b"Work/Alpha" in d for d in data), data
    cluster.ctl("mailbox", "delete", account.name, "Work/Alpha")
    typ, data = c.list('""', "Work/*")
    assert data == [None], data
    out = cluster.ctl("mailbox", "delete", account.name, "INBOX", check=False)
    assert out.returncode != 0 and out.stderr.strip()
    listing = cluster.ctl("mailbox", "list", account.name).stdout.decode()
    assert "INBOX" in listing and "subscribed" in listing


class Watcher:
    """hadronctl watch in the background, collecting its JSON lines."""

    def __init__(self, cluster, name, *extra):
        self.p = subprocess.Popen([binary("hadronctl"), "--statesvc=" + cluster.state_addr,
                                   "watch", name] + list(extra),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.events = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            with self.cv:
                self.events.append(json.loads(line))
                self.cv.notify_all()

    def wait(self, n, timeout=10):
        with self.cv:
            assert self.cv.wait_for(lambda: len(self.events) >= n, timeout), self.events
            return list(self.events)

    def stop(self):
        self.p.kill()
        self.p.wait()


def test_public_api_watch_account_with_an_idle_session(cluster, account):
    requires_hadron(cluster)
    uid1 = deliver(cluster, account, 1)
    w = Watcher(cluster, account.name)
    try:
        ev = w.wait(1)
        assert ev[0]["kind"] == "SNAPSHOT" and ev[0]["cursor"]
        b = account.raw(select="INBOX")
        b.send(b"I1 IDLE\r\n")
        assert b.read_line().startswith(b"+ ")
        # An IMAP session's change and API changes all show in the watch stream...
        other = account.imap(select="INBOX")
        other.uid("STORE", str(uid1), "+FLAGS", "(\\Answered)")
        assert b.read_line(timeout=5) == b"* 1 FETCH (FLAGS (\\Answered \\Recent))"
        uid2 = deliver(cluster, account, 2)
        assert b.read_line(timeout=5) == b"* 2 EXISTS"
        assert b.read_line(timeout=5) == b"* 2 RECENT"
        cluster.ctl("flags", "add", account.name, str(uid2), "$Api")
        assert b.read_line(timeout=5) == b"* 2 FETCH (FLAGS ($Api \\Recent))"
        cluster.ctl("mailbox", "create", account.name, "Watched")
        cluster.ctl("expunge", account.name, str(uid1))
        assert b.read_line(timeout=5) == b"* 1 EXPUNGE"
        ev = w.wait(6)
        kinds = [(e["kind"], e.get("mailbox")) for e in ev[1:6]]
        # The mailbox creation and the message changes are in separate mailboxes: order between
        # them is not defined; within INBOX it is.
        inbox = [k for k, m in kinds if m == "INBOX"]
        assert inbox == ["FLAGS_CHANGED", "MESSAGES_ADDED", "FLAGS_CHANGED", "MESSAGES_EXPUNGED"], kinds
        assert ("MAILBOX_CREATED", "Watched") in kinds, kinds
        added = [e for e in ev if e["kind"] == "MESSAGES_ADDED"][0]
        assert added["messages"][0]["uid"] == uid2
        expunged = [e for e in ev if e["kind"] == "MESSAGES_EXPUNGED"][0]
        assert expunged["uids"] == [uid1]
        b.send(b"DONE\r\n")
        resume_from = [e for e in ev if e["kind"] == "MESSAGES_ADDED"][0]["cursor"]
    finally:
        w.stop()
    # Resuming from a cursor replays what came after it, then stops after --max_changes.
    out = cluster.ctl("watch", account.name, "--cursor", resume_from, "--max_changes", "2")
    resumed = [json.loads(l) for l in out.stdout.splitlines()]
    assert [e["kind"] for e in resumed] == ["FLAGS_CHANGED", "MESSAGES_EXPUNGED"], resumed
    out = cluster.ctl("watch", account.name, "--cursor", "bogus", check=False)
    assert out.returncode != 0 and b"bad cursor" in out.stderr
