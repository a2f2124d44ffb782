"""Timeouts and keep-alives, and what a session sees when its mailbox goes away.

A private cluster with short timers: --login_timeout_seconds=2, --idle_timeout_seconds=4,
--idle_keepalive_seconds=1.
"""

import shutil
import tempfile
import time

import pytest

import imapwire
from conftest import Cluster, REFERENCE

pytestmark = pytest.mark.skipif(REFERENCE == "dovecot", reason="Hadron's own timers")


@pytest.fixture(scope="module")
def quick():
    workdir = tempfile.mkdtemp(prefix="hadron-timeouts-")
    c = Cluster(workdir, tls=False)
    c.frontend_args = ["--login_timeout_seconds=2", "--idle_timeout_seconds=4",
                       "--idle_keepalive_seconds=1"]
    c.start()
    c.add_account("t", "pw")
    yield c
    c.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_idle_sends_keepalive(quick):
    r = imapwire.Raw(quick.host, quick.imap_port)
    r.login("t", "pw")
    r.ok("SELECT INBOX")
    r.send(b"K1 IDLE\r\n")
    assert r.read_line().startswith(b"+ ")
    start = time.monotonic()
    line = r.read_line(timeout=3)
    assert line == b"* OK Still here", line
    assert time.monotonic() - start < 2.5
    r.send(b"DONE\r\n")
    assert r.read_line(timeout=3).startswith(b"K1 OK")
    r.close()


def test_login_timeout_says_bye(quick):
    r = imapwire.Raw(quick.host, quick.imap_port)
    start = time.monotonic()
    line = r.read_line(timeout=6)
    assert line.startswith(b"* BYE"), line
    assert 1.5 < time.monotonic() - start < 5
    assert r.at_eof()


def test_idle_timeout_after_login_says_bye(quick):
    r = imapwire.Raw(quick.host, quick.imap_port)
    r.login("t", "pw")
    start = time.monotonic()
    line = r.read_line(timeout=8)
    assert line.startswith(b"* BYE"), line
    assert 3 < time.monotonic() - start < 7
    assert r.at_eof()


def test_selected_mailbox_deleted_elsewhere_gets_bye(quick):
    a = imapwire.Raw(quick.host, quick.imap_port)
    a.login("t", "pw")
    a.ok("CREATE Doomed")
    a.ok("SELECT Doomed")
    b = imapwire.Raw(quick.host, quick.imap_port)
    b.login("t", "pw")
    b.ok("DELETE Doomed")
    # A's next command finds its mailbox gone: the session ends with a reason.
    a.send(b"N1 NOOP\r\n")
    line = a.read_line(timeout=5)
    assert line.startswith(b"* BYE [CLOSED]"), line
    assert a.at_eof()
    b.close()


def test_selected_mailbox_renamed_elsewhere_keeps_working(quick):
    a = imapwire.Raw(quick.host, quick.imap_port)
    a.login("t", "pw")
    a.ok("CREATE Before")
    a.cmd_literal("APPEND Before", b"Subject: r\r\n\r\nbody\r\n")
    a.ok("SELECT Before")
    b = imapwire.Raw(quick.host, quick.imap_port)
    b.login("t", "pw")
    b.ok("RENAME Before After")
    b.cmd_literal("APPEND After", b"Subject: r2\r\n\r\nbody\r\n")
    # The mailbox keeps its identity and UIDVALIDITY: A goes on and sees the new message.
    untagged, _ = a.ok("NOOP")
    assert b"* 2 EXISTS" in untagged, untagged
    untagged, _ = a.ok("FETCH 2 (UID)")
    assert imapwire.fetches(untagged) == [(2, {b"UID": b"2"})], untagged
    a.close()
    b.close()
