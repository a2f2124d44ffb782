"""Plaintext authentication needs TLS (issue 6; RFC 9051 6.2.3, Dovecot's disable_plaintext_auth).

A connection that is neither TLS nor (by default) from loopback advertises LOGINDISABLED and no
AUTH= mechanism, and LOGIN or AUTHENTICATE PLAIN/LOGIN get NO [PRIVACYREQUIRED]; after STARTTLS,
on the implicit-TLS listener, or with --allow_plaintext_auth, they work. --loopback_is_secure=false
lets the loopback-only tests see what a remote client sees; one test also binds a real
non-loopback address when the machine has one.
"""

import base64
import imaplib
import os
import ssl
import subprocess
import tempfile
import time

import pytest

import imapwire
from conftest import Cluster, Proc, binary, free_port, requires_hadron
from imapwire import status_of

PRIVACY = "[PRIVACYREQUIRED]"


def _tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


@pytest.fixture
def remote_like(cluster):
    """A frontend that treats loopback like any remote address."""
    requires_hadron(cluster)
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-plain-"), tls=True)
    c.frontend_args = ["--loopback_is_secure=false"]
    c.start()
    c.add_account("pl", "plainpw")
    yield c
    c.stop()


def _greeting_caps(raw):
    return raw.greeting.decode()


def test_capabilities_without_tls(remote_like):
    r = imapwire.Raw(remote_like.host, remote_like.imap_port)
    greeting = _greeting_caps(r)
    assert "LOGINDISABLED" in greeting and "STARTTLS" in greeting, greeting
    assert "AUTH=" not in greeting, greeting
    untagged, tagged = r.cmd("CAPABILITY")
    caps = b" ".join(untagged).decode()
    assert "LOGINDISABLED" in caps and "AUTH=PLAIN" not in caps and "AUTH=LOGIN" not in caps, caps
    r.close()


def test_login_and_authenticate_refused_without_tls(remote_like):
    r = imapwire.Raw(remote_like.host, remote_like.imap_port)
    _, tagged = r.cmd('LOGIN pl plainpw')
    assert tagged.split()[1] == b"NO" and PRIVACY.encode() in tagged, tagged
    ir = base64.b64encode(b"\0pl\0plainpw").decode()
    _, tagged = r.cmd("AUTHENTICATE PLAIN " + ir)
    assert tagged.split()[1] == b"NO" and PRIVACY.encode() in tagged, tagged
    # AUTHENTICATE LOGIN is refused before it asks for the password.
    _, tagged = r.cmd("AUTHENTICATE LOGIN")
    assert tagged.split()[1] == b"NO" and PRIVACY.encode() in tagged, tagged
    # Still not authenticated: a command of the authenticated state is refused.
    _, tagged = r.cmd("SELECT INBOX")
    assert tagged.split()[1] == b"BAD", tagged
    r.close()


def test_starttls_then_login(remote_like):
    c = imaplib.IMAP4(remote_like.host, remote_like.imap_port)
    assert "LOGINDISABLED" in c.capabilities
    c.starttls(ssl_context=_tls_context())
    assert "LOGINDISABLED" not in c.capabilities, c.capabilities
    assert "AUTH=PLAIN" in c.capabilities, c.capabilities
    typ, _ = c.login("pl", "plainpw")
    assert typ == "OK"
    c.logout()


def test_implicit_tls_allows_login(remote_like):
    c = imaplib.IMAP4_SSL(remote_like.host, remote_like.imaps_port, ssl_context=_tls_context())
    assert "LOGINDISABLED" not in c.capabilities and "AUTH=PLAIN" in c.capabilities
    typ, _ = c.login("pl", "plainpw")
    assert typ == "OK"
    c.logout()


def test_allow_plaintext_auth(cluster):
    requires_hadron(cluster)
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-plain-"), tls=False)
    c.frontend_args = ["--loopback_is_secure=false", "--allow_plaintext_auth"]
    c.start()
    try:
        c.add_account("pl2", "plainpw")
        r = imapwire.Raw(c.host, c.imap_port)
        greeting = _greeting_caps(r)
        assert "LOGINDISABLED" not in greeting and "AUTH=PLAIN" in greeting, greeting
        r.ok("LOGIN pl2 plainpw")
        r.close()
    finally:
        c.stop()


def test_loopback_is_secure_by_default(cluster, account):
    r = imapwire.Raw(cluster.host, cluster.imap_port)
    greeting = _greeting_caps(r)
    assert "LOGINDISABLED" not in greeting and "AUTH=PLAIN" in greeting, greeting
    r.login(account.name, account.password)
    r.close()


def _non_loopback_ipv4():
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        parts = line.split()
        if "inet" in parts:
            return parts[parts.index("inet") + 1].split("/")[0]
    return None


def test_real_non_loopback_address(cluster):
    """The default policy on an address that really is not loopback."""
    requires_hadron(cluster)
    addr = _non_loopback_ipv4()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address to listen on")
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-plain-"), tls=False)
    c.start_statesvc()
    port = free_port()
    fe = Proc("frontend", [binary("frontend"), "--listen=%s:%d" % (addr, port),
                           "--statesvc=" + c.state_addr], c.workdir)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = imapwire.Raw(addr, port)
                break
            except OSError:
                if time.monotonic() > deadline or not fe.alive():
                    raise
                time.sleep(0.1)
        c.add_account("pl3", "plainpw")
        greeting = _greeting_caps(r)
        assert "LOGINDISABLED" in greeting and "AUTH=" not in greeting, greeting
        _, tagged = r.cmd("LOGIN pl3 plainpw")
        assert tagged.split()[1] == b"NO" and PRIVACY.encode() in tagged, tagged
        r.close()
    finally:
        fe.stop()
        c.stop()
