"""SIGHUP reloads the frontend's TLS certificate and key (issue 6).

New connections (implicit TLS and STARTTLS) get the new certificate; a session opened before
keeps working; a broken certificate file on SIGHUP is refused with a log line and the previous
certificate stays in use.
"""

import hashlib
import os
import shutil
import signal
import socket
import ssl
import tempfile
import time

import pytest

import imapwire
from conftest import Cluster, make_cert, requires_hadron


def _ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _implicit_fingerprint(c):
    with socket.create_connection((c.host, c.imaps_port), timeout=10) as s:
        with _ctx().wrap_socket(s, server_hostname="localhost") as t:
            der = t.getpeercert(binary_form=True)
            assert t.recv(4096).startswith(b"* OK"), "no greeting over TLS"
    return hashlib.sha256(der).hexdigest()


def _starttls_fingerprint(c):
    with socket.create_connection((c.host, c.imap_port), timeout=10) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"* OK")
        s.sendall(b"s1 STARTTLS\r\n")
        assert f.readline().startswith(b"s1 OK"), "STARTTLS refused"
        with _ctx().wrap_socket(s, server_hostname="localhost") as t:
            der = t.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest()


def _file_fingerprint(cert_path):
    with open(cert_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def _wait_log(proc, needle, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(proc.log_path, "rb") as f:
            if needle in f.read():
                return
        time.sleep(0.05)
    pytest.fail("%r not logged within %ds:\n%s" % (needle, timeout, proc.log_tail()))


@pytest.fixture
def tls_cluster(cluster):
    requires_hadron(cluster)
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-tlsreload-"), tls=True)
    c.start()
    c.add_account("tr", "trpw")
    yield c
    c.stop()


def test_sighup_reloads_certificate(tls_cluster):
    c = tls_cluster
    first = _file_fingerprint(c.cert)
    assert _implicit_fingerprint(c) == first
    # A session opened before the reload.
    old = imapwire.Raw(c.host, c.imaps_port, use_ssl=True)
    old.login("tr", "trpw")

    other = tempfile.mkdtemp(prefix="hadron-it-cert2-")
    cert2, key2 = make_cert(other)
    second = _file_fingerprint(cert2)
    assert second != first
    shutil.copy(cert2, c.cert)
    shutil.copy(key2, c.key)
    # Before the signal nothing changes: the files are read only at start and on SIGHUP.
    assert _implicit_fingerprint(c) == first
    c.frontend.p.send_signal(signal.SIGHUP)
    _wait_log(c.frontend, b"TLS certificate reloaded")
    assert _implicit_fingerprint(c) == second
    assert _starttls_fingerprint(c) == second
    old.ok("NOOP")  # the earlier session still works on its old context
    old.close()


def test_sighup_with_broken_certificate_keeps_the_old_one(tls_cluster):
    c = tls_cluster
    first = _file_fingerprint(c.cert)
    with open(c.cert, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    c.frontend.p.send_signal(signal.SIGHUP)
    _wait_log(c.frontend, b"TLS certificate not reloaded")
    assert c.frontend.alive()
    assert _implicit_fingerprint(c) == first
    # A key that belongs to another certificate is refused too.
    other = tempfile.mkdtemp(prefix="hadron-it-cert3-")
    cert3, key3 = make_cert(other)
    shutil.copy(cert3, c.cert)  # c.key still the first key
    with open(c.frontend.log_path, "rb") as f:
        before = f.read().count(b"TLS certificate not reloaded")
    c.frontend.p.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(c.frontend.log_path, "rb") as f:
            if f.read().count(b"TLS certificate not reloaded") > before:
                break
        time.sleep(0.05)
    else:
        pytest.fail("a mismatched key was accepted:\n" + c.frontend.log_tail())
    assert _implicit_fingerprint(c) == first
    r = imapwire.Raw(c.host, c.imaps_port, use_ssl=True)
    r.login("tr", "trpw")
    r.close()
