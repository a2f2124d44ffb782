"""Failure paths and hadronctl: statesvc killed, unreachable peers, bad flags, durability."""

import re
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

import conftest
from conftest import Cluster, binary, free_port, requires_hadron
from imapwire import Raw, fetches, status_of

MSG = b"From: d@example.com\r\nSubject: durable\r\n\r\nsurvives kill -9\r\n"


def one_line_error(out):
    err = out.stderr.decode(errors="replace").strip()
    assert err, "no error message on stderr"
    assert len(err.splitlines()) == 1, "expected one line on stderr, got:\n%s" % err
    return err


def test_hadronctl_account_deliver_list_passwd_del(cluster):
    requires_hadron(cluster)
    name = "ctl_" + uuid.uuid4().hex[:8]
    cluster.ctl("account", "add", name, "--password", "first")
    # adding it again fails cleanly
    out = cluster.ctl("account", "add", name, "--password", "x", check=False)
    assert out.returncode != 0
    one_line_error(out)
    m1 = b"From: a@example.com\r\nSubject: delivered\r\n\r\nhello\r\n"
    cluster.ctl("deliver", name, input=m1)
    cluster.ctl("deliver", name, "--mailbox", "Archive", input=m1)
    out = cluster.ctl("mailbox", "list", name)
    listing = out.stdout.decode()
    for box in ("INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"):
        assert box in listing, listing
    c = cluster.imap(name, "first")
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"1"], data
    typ, data = c.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == m1, data
    typ, data = c.status("Archive", "(MESSAGES)")
    assert b"MESSAGES 1" in data[0], data
    c.logout()
    # deliver to a missing mailbox fails with one line
    out = cluster.ctl("deliver", name, "--mailbox", "NoSuchBox", input=m1, check=False)
    assert out.returncode != 0
    one_line_error(out)
    # passwd: the old password stops working
    cluster.ctl("account", "passwd", name, "--password", "second")
    r = cluster.raw()
    _, tagged = r.cmd('LOGIN "%s" "first"' % name)
    assert re.match(rb"T\d+ NO \[AUTHENTICATIONFAILED\]", tagged), tagged
    r.login(name, "second")
    r.close()
    # del: the account is gone
    cluster.ctl("account", "del", name)
    r = cluster.raw()
    _, tagged = r.cmd('LOGIN "%s" "second"' % name)
    assert re.match(rb"T\d+ NO \[AUTHENTICATIONFAILED\]", tagged), tagged
    r.close()


def test_hadronctl_unreachable_statesvc_fails_fast(cluster):
    requires_hadron(cluster)
    port = free_port()  # nothing listens here
    start = time.monotonic()
    out = subprocess.run([binary("hadronctl"), "--statesvc=127.0.0.1:%d" % port, "account", "add",
                          "x", "--password", "y"], capture_output=True, timeout=60)
    elapsed = time.monotonic() - start
    assert out.returncode != 0
    one_line_error(out)
    assert elapsed < 15, "hadronctl took %.1fs to give up" % elapsed


@pytest.mark.parametrize("argv", [["--no-such-flag"], ["account"], ["frobnicate"],
                                  ["account", "add", "x"]])
def test_hadronctl_bad_usage(cluster, argv):
    requires_hadron(cluster)
    out = subprocess.run([binary("hadronctl"), "--statesvc=" + cluster.state_addr] + argv,
                         capture_output=True, timeout=30)
    assert out.returncode != 0, "hadronctl %s succeeded" % argv
    assert out.stderr.strip(), "hadronctl %s printed nothing on stderr" % argv


@pytest.mark.parametrize("name,argv", [
    ("statesvc", ["--no-such-flag"]),
    ("statesvc", ["--listen=not-an-address", "--data_dir=/tmp/hadron-bad-flags"]),
    ("frontend", ["--no-such-flag"]),
    ("frontend", ["--listen=127.0.0.1:0", "--statesvc=127.0.0.1:1",
                  "--tls_listen=127.0.0.1:0", "--tls_cert=/nonexistent", "--tls_key=/nonexistent"]),
])
def test_servers_reject_bad_flags(cluster, name, argv):
    requires_hadron(cluster)
    out = subprocess.run([binary(name)] + argv, capture_output=True, timeout=30)
    assert out.returncode != 0, "%s %s exited 0" % (name, argv)
    assert out.stderr.strip() or out.stdout.strip(), "%s %s gave no reason" % (name, argv)


@pytest.fixture
def private_cluster(cluster):
    """A cluster of its own, for tests that kill processes."""
    requires_hadron(cluster)
    workdir = tempfile.mkdtemp(prefix="hadron-it-priv-")
    c = Cluster(workdir, tls=False)
    c.start()
    yield c
    c.stop()


def answer_within(raw, command, seconds):
    """Sends command; returns the tagged answer, or the BYE / EOF that replaced it."""
    tag = raw.next_tag()
    raw.send("%s %s\r\n" % (tag, command))
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail("%s: no answer within %ds (hang)" % (command, seconds))
        try:
            r = raw.read_response(timeout=left)
        except ConnectionError:
            return b"<closed>"
        except (socket.timeout, TimeoutError):
            pytest.fail("%s: no answer within %ds (hang)" % (command, seconds))
        if r.startswith(b"* BYE") or r.startswith(tag.encode() + b" "):
            return r


def test_statesvc_killed_gives_unavailable_not_hang(private_cluster):
    c = private_cluster
    c.add_account("k", "k")
    r = c.raw("k", "k")
    r.ok("SELECT INBOX")
    c.statesvc.kill9()
    for command in ("SELECT INBOX", "STATUS INBOX (MESSAGES)", 'LIST "" "*"'):
        ans = answer_within(r, command, 15)
        if ans.startswith(b"* BYE") or ans == b"<closed>":
            break  # a clean BYE ends the session: acceptable
        assert re.match(rb"T\d+ NO \[UNAVAILABLE\]", ans), "%s -> %r" % (command, ans)
    r.close()
    # New logins are refused cleanly, too.
    r = Raw(c.host, c.imap_port)
    ans = answer_within(r, 'LOGIN "k" "k"', 15)
    assert re.match(rb"T\d+ NO \[UNAVAILABLE\]", ans) or ans.startswith(b"* BYE"), ans
    r.close()
    assert c.frontend.alive(), "frontend died when the statesvc went away:\n" + \
        c.frontend.log_tail()


def test_acknowledged_append_survives_kill9_and_frontend_reconnects(private_cluster):
    c = private_cluster
    c.add_account("d", "d")
    r = c.raw("d", "d")
    _, tagged = r.cmd_literal("APPEND INBOX (\\Flagged)", MSG)
    assert status_of(tagged) == "OK", tagged
    r.close()
    c.statesvc.kill9()
    c.start_statesvc()  # same port, same data dir
    # the frontend reconnects to the restarted statesvc by itself
    deadline = time.monotonic() + 20
    while True:
        r = Raw(c.host, c.imap_port)
        _, tagged = r.cmd('LOGIN "d" "d"')
        if status_of(tagged) == "OK":
            break
        r.close()
        assert time.monotonic() < deadline, "frontend did not recover: %r" % tagged
        time.sleep(0.5)
    r.ok("SELECT INBOX")
    untagged, _ = r.ok("FETCH 1 (FLAGS BODY.PEEK[])")
    (_, d), = fetches(untagged)
    assert d[b"BODY[]"] == MSG
    assert b"\\Flagged" in [bytes(f) for f in d[b"FLAGS"]]
    r.close()


def test_frontend_with_unreachable_statesvc(cluster):
    """Either it refuses to start (one line, non-zero) or it serves NO [UNAVAILABLE]."""
    requires_hadron(cluster)
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        p = conftest.Proc("frontend", [binary("frontend"), "--listen=127.0.0.1:%d" % port,
                                       "--statesvc=127.0.0.1:%d" % free_port()], d)
        try:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and p.alive() and not conftest.port_open(port):
                time.sleep(0.1)
            if not p.alive():
                assert p.p.returncode != 0
                return
            assert conftest.port_open(port), "frontend neither listened nor exited"
            r = Raw("127.0.0.1", port)
            ans = answer_within(r, 'LOGIN "x" "y"', 15)
            assert re.match(rb"T\d+ NO \[UNAVAILABLE\]", ans) or ans.startswith(b"* BYE"), ans
            r.close()
        finally:
            p.stop()
