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
