"""Timeouts and keep-alives, and what a session sees when its mailbox goes away.

A private cluster with short timers: --login_timeout_seconds=2, --idle_timeout_seconds=4,
--idle_keepalive_seconds=1.
"""

import shutil
import socket
import tempfile
import time

import pytest

import imapwire
from conftest import Cluster, REFERENCE

pytestmark = pytest.mark.skipif(REFERENCE == "dovecot", reason="Hadron's own timers")


@pytest.fixture(scope="module")
def quick():
    workdir = tempfile.mkdtemp(prefix="hadron-timeouts-")
    c = Cluster(workdir, tls=True)
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


# ---- a client that stalls inside a command (issue 6) -----------------------------------------

def wait_for_disconnect(r, within):
    """What the server sent until it closed the connection; fails the test if the connection is
    still open after `within` seconds."""
    start = time.monotonic()
    data = r.buf
    r.sock.settimeout(0.2)
    while time.monotonic() - start < within:
        try:
            chunk = r.sock.recv(4096)
        except socket.timeout:
            continue
        except OSError:
            return data  # reset: closed too
        if not chunk:
            return data
        data += chunk
    pytest.fail("still connected after %.1f s; got %r" % (within, data))


def status_messages(client, mailbox):
    untagged, _ = client.ok("STATUS %s (MESSAGES)" % mailbox)
    m = [u for u in untagged if u.startswith(b"* STATUS")]
    assert len(m) == 1, untagged
    return int(m[0].split(b"MESSAGES ")[1].rstrip(b")"))


def test_stall_inside_an_append_literal(quick):
    """APPENDs whose literal stops half way (synchronizing, LITERAL+, and MULTIAPPEND with the
    first message whole): each session ends with BYE after the idle timeout (4 s here), nothing is
    stored, and another session of the account is served meanwhile. The three stall at once."""
    other = imapwire.Raw(quick.host, quick.imap_port)
    other.login("t", "pw")
    whole = b"Subject: whole\r\n\r\nstored only if complete\r\n"
    half = b"Subject: half\r\n\r\n" + b"h" * 100
    stalled = {}
    for how in ("sync", "nonsync", "multiappend"):
        box = b"Stall" + how.encode()
        other.ok("CREATE " + box.decode())
        r = imapwire.Raw(quick.host, quick.imap_port)
        r.login("t", "pw")
        if how == "sync":
            r.send(b"A1 APPEND %s {%d}\r\n" % (box, len(half) + 100))
            assert r.read_line().startswith(b"+"), "no continuation"
            r.send(half)
        elif how == "nonsync":
            r.send(b"A1 APPEND %s {%d+}\r\n" % (box, len(half) + 100) + half)
        else:
            r.send(b"A1 APPEND %s {%d+}\r\n" % (box, len(whole)) + whole +
                   b" {%d+}\r\n" % (len(half) + 100) + half)
        stalled[box.decode()] = r
    start = time.monotonic()
    # Meanwhile the other session works, and sees nothing of the half APPENDs.
    time.sleep(1)
    for box in stalled:
        assert status_messages(other, box) == 0, box
    other.ok("NOOP")
    for box, r in stalled.items():
        data = wait_for_disconnect(r, within=8)
        assert data.startswith(b"* BYE"), (box, data)
        assert b"A1 " not in data, (box, data)  # the half command got no tagged answer
    elapsed = time.monotonic() - start  # from the stalls to the last disconnect
    assert 3 <= elapsed < 7, elapsed
    # Nothing of them was stored, also once the sessions are gone.
    for box in stalled:
        assert status_messages(other, box) == 0, box
        untagged, _ = other.ok("SELECT " + box)
        assert b"* 0 EXISTS" in untagged, (box, untagged)
    other.close()


def test_stall_inside_authenticate(quick):
    """AUTHENTICATE that never answers the server's '+' challenge (PLAIN; LOGIN at its password
    prompt): the connection ends with BYE within the login timeout (2 s here), without a login,
    and other clients are served meanwhile."""
    import base64
    stalled = []
    for mechanism in (b"PLAIN", b"LOGIN"):
        r = imapwire.Raw(quick.host, quick.imap_port)
        r.send(b"A1 AUTHENTICATE %s\r\n" % mechanism)
        assert r.read_line().startswith(b"+"), "no challenge"
        if mechanism == b"LOGIN":  # answer the user name, then stall at the password
            r.send(base64.b64encode(b"t") + b"\r\n")
            assert r.read_line().startswith(b"+"), "no password challenge"
        stalled.append(r)
    start = time.monotonic()
    other = imapwire.Raw(quick.host, quick.imap_port)
    other.login("t", "pw")
    other.ok("NOOP")
    for r in stalled:
        data = wait_for_disconnect(r, within=6)
        assert data.startswith(b"* BYE"), data
        assert b"A1 " not in data, data  # no tagged answer, no login
    elapsed = time.monotonic() - start
    assert 1.5 <= elapsed < 5, elapsed
    other.ok("NOOP")
    other.close()


def test_login_timeout_is_not_reset_by_a_trickle(quick):
    """Before login the timeout counts from the connection, not from the last byte: clients that
    trickle a byte every 0.3 s (into a LOGIN literal; into an AUTHENTICATE response) and never
    finish are ended at the login timeout (2 s here) all the same."""
    login = imapwire.Raw(quick.host, quick.imap_port)
    login.send(b"A1 LOGIN {200}\r\n")
    assert login.read_line().startswith(b"+"), "no continuation"
    auth = imapwire.Raw(quick.host, quick.imap_port)
    auth.send(b"A1 AUTHENTICATE PLAIN\r\n")
    assert auth.read_line().startswith(b"+"), "no challenge"
    start = time.monotonic()
    open_ = {"login": login, "auth": auth}
    ended = {}
    while open_ and time.monotonic() - start < 6:
        for name, r in list(open_.items()):
            try:
                r.send(b"A")
            except OSError:
                pass
            if r.at_eof(timeout=0.15):
                ended[name] = (time.monotonic() - start, r.buf)
                del open_[name]
    assert not open_, "still connected after 6 s of trickling: %s" % sorted(open_)
    for name, (took, data) in ended.items():
        assert took < 3.5, (name, took)
        assert data.startswith(b"* BYE"), (name, data)


def test_login_timeout_starts_again_after_unauthenticate(quick):
    r = imapwire.Raw(quick.host, quick.imap_port)
    r.login("t", "pw")
    time.sleep(2.3)  # longer than the login timeout, shorter than the idle one
    r.ok("UNAUTHENTICATE")
    start = time.monotonic()
    r.ok("NOOP")  # not ended at once: the login timeout counts from UNAUTHENTICATE
    data = wait_for_disconnect(r, within=5)
    assert data.startswith(b"* BYE"), data
    assert 1.5 <= time.monotonic() - start < 4


def test_stall_inside_a_tls_handshake(quick):
    """A client that opens a TLS handshake and goes silent (on the implicit-TLS port: nothing,
    or half a ClientHello record; after STARTTLS: nothing) is closed within the login timeout
    (2 s here): a handshake holds no connection slot forever."""
    silent = socket.create_connection((quick.host, quick.imaps_port), timeout=10)
    half = socket.create_connection((quick.host, quick.imaps_port), timeout=10)
    half.sendall(b"\x16\x03\x01\x02\x00\x01")  # a handshake record header, then nothing
    starttls = imapwire.Raw(quick.host, quick.imap_port)
    starttls.ok("STARTTLS")
    start = time.monotonic()
    for name, sock in (("silent", silent), ("half", half), ("starttls", starttls.sock)):
        sock.settimeout(max(0.1, start + 6 - time.monotonic()))
        try:
            while sock.recv(4096):
                pass
        except socket.timeout:
            pytest.fail("%s handshake still open after 6 s" % name)
        except OSError:
            pass  # reset: closed too
        assert time.monotonic() - start < 4, (name, time.monotonic() - start)
        sock.close()
