"""Limits and throttling (issue 6) on a frontend of the test's own with small limits.

- connections per source address and per account;
- failed logins: a growing delay, then a temporary lockout (even the right password is refused
  while it lasts), per account and per address;
- a client that does not read its responses: the frontend stops reading its commands and
  disconnects it after the write timeout, without holding its output;
- an over-long command line and deep nesting get a clear BAD.
"""

import socket
import tempfile
import time

import pytest

import imapwire
from conftest import Cluster, requires_hadron
from imapwire import status_of

LIMIT_ARGS = ["--max_connections_per_address=6", "--max_sessions_per_account=2",
              "--login_free_failures=2", "--login_base_delay_ms=300",
              "--login_lockout_failures=5", "--login_lockout_seconds=3",
              "--login_throttle_loopback",
              "--write_timeout_seconds=3"]


def read_until_closed(sock, what):
    """What the server sent before closing; fails if it keeps the connection open."""
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except socket.timeout:
        pytest.fail("%s was neither refused nor closed: %r" % (what, data))


@pytest.fixture
def limited(cluster):
    requires_hadron(cluster)
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-limits-"), tls=False)
    c.frontend_args = LIMIT_ARGS
    c.start()
    yield c
    c.stop()


def test_connections_per_address(limited):
    conns = [imapwire.Raw(limited.host, limited.imap_port) for _ in range(6)]
    extra = socket.create_connection((limited.host, limited.imap_port), timeout=5)
    data = read_until_closed(extra, "the 7th connection")
    assert data.startswith(b"* BYE") and b"connections" in data, data
    conns[0].close()
    time.sleep(0.3)
    again = imapwire.Raw(limited.host, limited.imap_port)  # a slot is free again
    again.ok("NOOP")
    for c in conns[1:] + [again]:
        c.close()


def test_sessions_per_account(limited):
    limited.add_account("lim", "limpw")
    a = limited.raw("lim", "limpw")
    b = limited.raw("lim", "limpw")
    c = imapwire.Raw(limited.host, limited.imap_port)
    _, tagged = c.cmd('LOGIN "lim" "limpw"')
    assert status_of(tagged) == "NO" and b"[UNAVAILABLE]" in tagged, tagged
    a.ok("LOGOUT")
    time.sleep(0.3)
    c.login("lim", "limpw")
    for x in (b, c):
        x.close()


def test_failed_logins_slow_down_then_lock_out(limited):
    limited.add_account("thr", "thrpw")
    r = imapwire.Raw(limited.host, limited.imap_port)
    took = []
    for i in range(5):
        t0 = time.monotonic()
        _, tagged = r.cmd('LOGIN "thr" "wrong%d"' % i)
        took.append(time.monotonic() - t0)
        assert status_of(tagged) == "NO", tagged
    # Two free failures, then 300 ms, 600 ms, ... before the answer (lower bounds only); the
    # fifth starts the lockout.
    assert took[2] >= 0.3 and took[3] >= 0.6, took
    # Locked: the right password is refused too, from another connection.
    r2 = imapwire.Raw(limited.host, limited.imap_port)
    _, tagged = r2.cmd('LOGIN "thr" "thrpw"')
    assert status_of(tagged) == "NO" and b"[UNAVAILABLE]" in tagged, tagged
    time.sleep(3.5)
    r2.login("thr", "thrpw")
    r.close()
    r2.close()


def test_client_that_does_not_read_is_disconnected(limited):
    limited.add_account("slow", "slowpw")
    r = limited.raw("slow", "slowpw")
    big = b"Subject: big\r\n\r\n" + b"x" * (1 << 20) + b"\r\n"
    for _ in range(4):
        r.cmd_literal("APPEND INBOX", big)
    r.ok("SELECT INBOX")
    s = r.sock
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # Ask for 4 MiB, many times over, and read nothing.
    sent = 0
    s.settimeout(1.0)
    try:
        for i in range(200):
            s.sendall(b"f%d FETCH 1:* BODY.PEEK[]\r\n" % i)
            sent += 1
    except (socket.timeout, OSError):
        pass  # the server stopped reading our commands: what we want
    # The frontend closes the connection once a write makes no progress for 3 s.
    deadline = time.monotonic() + 30
    closed = False
    s.settimeout(0.5)
    while time.monotonic() < deadline and not closed:
        time.sleep(1.0)
        try:
            while True:
                chunk = s.recv(1 << 20)
                if not chunk:
                    closed = True
                    break
        except socket.timeout:
            continue
        except OSError:
            closed = True
    assert closed, "a client that does not read was never disconnected"
    # The frontend is fine.
    ok = limited.raw("slow", "slowpw")
    ok.ok("NOOP")
    ok.close()


def test_long_lines_and_deep_nesting(limited):
    limited.add_account("long", "longpw")
    r = limited.raw("long", "longpw", timeout=30)
    r.ok("SELECT INBOX")
    _, tagged = r.cmd("SEARCH " + "(" * 200 + "ALL" + ")" * 200)
    assert status_of(tagged) == "BAD", tagged
    r.send(b"a1 NOOP " + b"x" * (256 * 1024) + b"\r\n")
    line = r.read_line()
    assert b"BAD" in line, line[:200]
    r2 = limited.raw("long", "longpw")
    r2.ok("NOOP")
    r2.close()


def test_connections_per_frontend(cluster):
    """--max_connections bounds the frontend's connections whatever their addresses."""
    requires_hadron(cluster)
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-limits-total-"), tls=False)
    c.frontend_args = ["--max_connections=3", "--max_connections_per_address=100"]
    c.start()

    def connect():
        # Cluster.start's own probe connection may still hold a slot for a moment, as may a
        # closed one: a rejected connection holds none, so try again for a bounded time.
        deadline = time.time() + 10
        while True:
            raw = imapwire.Raw(c.host, c.imap_port)
            if raw.greeting.startswith(b"* OK"):
                return raw
            raw.close()
            if time.time() > deadline:
                pytest.fail("no slot came free: %r" % raw.greeting)
            time.sleep(0.1)

    try:
        conns = [connect() for _ in range(3)]
        for x in conns:
            x.ok("NOOP")
        extra = socket.create_connection((c.host, c.imap_port), timeout=5)
        data = read_until_closed(extra, "the 4th connection")
        assert data.startswith(b"* BYE [UNAVAILABLE]"), data
        conns[0].close()
        again = connect()  # a slot is free again
        again.ok("NOOP")
        for x in conns[1:] + [again]:
            x.close()
    finally:
        c.stop()
