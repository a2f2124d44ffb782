"""gRPC over TLS with client certificates (issue 6): statesvc, frontend and hadronctl.

A private CA signs the statesvc's certificate and the clients' certificates; the statesvc
requires a client certificate from that CA. Plaintext gRPC is refused on anything but loopback
unless allowed explicitly.
"""

import os
import shutil
import subprocess
import tempfile
import time

import pytest

import imapwire
from conftest import Proc, binary, free_port, port_open, requires_hadron


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_pki(d):
    """ca.pem, server.pem/key (127.0.0.1, localhost), client.pem/key, rogue.pem/key."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Hadron test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, ext in [("server", "server.ext"), ("client", None)]:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name,
                "-keyout", name + ".key", "-out", name + ".csr", cwd=d)
        args = ["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-out", name + ".pem"]
        if ext:
            args += ["-extfile", ext]
        openssl(*args, cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=rogue",
            "-keyout", "rogue.key", "-out", "rogue.pem", cwd=d)
    return {k: os.path.join(d, k) for k in os.listdir(d)}


@pytest.fixture
def pki(cluster):
    requires_hadron(cluster)
    d = tempfile.mkdtemp(prefix="hadron-it-pki-")
    yield make_pki(d)
    shutil.rmtree(d, ignore_errors=True)


def wait_port(proc, port, timeout=30):
    deadline = time.monotonic() + timeout
    while not port_open(port):
        assert proc.alive(), proc.log_tail()
        assert time.monotonic() < deadline, "port %d never opened" % port
        time.sleep(0.1)


def ctl(addr, *args, tls=()):
    return subprocess.run([binary("hadronctl"), "--statesvc=" + addr, "--timeout_seconds=5"] +
                          list(tls) + list(args), capture_output=True, timeout=30)


def test_mtls_between_statesvc_frontend_and_hadronctl(pki):
    work = tempfile.mkdtemp(prefix="hadron-it-mtls-")
    procs = []
    try:
        sport, iport = free_port(), free_port()
        addr = "127.0.0.1:%d" % sport
        s = Proc("statesvc", [binary("statesvc"), "--listen=" + addr, "--data_dir=" + work + "/data",
                              "--grpc_tls_cert=" + pki["server.pem"],
                              "--grpc_tls_key=" + pki["server.key"],
                              "--grpc_tls_client_ca=" + pki["ca.pem"]], work)
        procs.append(s)
        wait_port(s, sport)
        good = ["--tls_ca=" + pki["ca.pem"], "--tls_cert=" + pki["client.pem"],
                "--tls_key=" + pki["client.key"]]
        out = ctl(addr, "account", "add", "tls", "--password", "tlspw", tls=good)
        assert out.returncode == 0, out.stderr
        # No client certificate, a certificate of another CA, or plaintext: refused.
        for bad in [["--tls_ca=" + pki["ca.pem"]],
                    ["--tls_ca=" + pki["ca.pem"], "--tls_cert=" + pki["rogue.pem"],
                     "--tls_key=" + pki["rogue.key"]],
                    []]:
            out = ctl(addr, "account", "add", "evil", "--password", "x", tls=bad)
            assert out.returncode != 0, (bad, out.stdout)
        # The frontend over mTLS: calls and the Watch stream both work.
        f = Proc("frontend", [binary("frontend"), "--listen=127.0.0.1:%d" % iport,
                              "--statesvc=" + addr, "--statesvc_tls_ca=" + pki["ca.pem"],
                              "--statesvc_tls_cert=" + pki["client.pem"],
                              "--statesvc_tls_key=" + pki["client.key"]], work)
        procs.append(f)
        wait_port(f, iport)
        a = imapwire.Raw("127.0.0.1", iport)
        a.login("tls", "tlspw")
        a.ok("SELECT INBOX")
        a.send(b"i1 IDLE\r\n")
        assert a.read_line().startswith(b"+")
        b = imapwire.Raw("127.0.0.1", iport)
        b.login("tls", "tlspw")
        _, tagged = b.cmd_literal("APPEND INBOX", b"Subject: over mTLS\r\n\r\nhi\r\n")
        assert b"OK [APPENDUID" in tagged
        assert a.read_line(timeout=10) == b"* 1 EXISTS"
        a.send(b"DONE\r\n")
        a.collect("i1")
        # A frontend without a client certificate gets no service (and says so on IMAP).
        iport2 = free_port()
        f2 = Proc("frontend2", [binary("frontend"), "--listen=127.0.0.1:%d" % iport2,
                                "--statesvc=" + addr, "--statesvc_tls_ca=" + pki["ca.pem"]], work)
        procs.append(f2)
        wait_port(f2, iport2)
        c = imapwire.Raw("127.0.0.1", iport2)
        _, tagged = c.cmd('LOGIN "tls" "tlspw"')
        assert b"NO" in tagged and b"UNAVAILABLE" in tagged, tagged
    finally:
        for p in procs:
            p.stop()
        shutil.rmtree(work, ignore_errors=True)


def test_plaintext_only_on_loopback_unless_allowed(cluster):
    requires_hadron(cluster)
    work = tempfile.mkdtemp(prefix="hadron-it-plain-")
    try:
        port = free_port()
        out = subprocess.run([binary("statesvc"), "--listen=0.0.0.0:%d" % port,
                              "--data_dir=" + work + "/d1"], capture_output=True, timeout=30)
        assert out.returncode != 0 and b"plaintext" in out.stdout + out.stderr
        out = subprocess.run([binary("frontend"), "--listen=127.0.0.1:%d" % free_port(),
                              "--statesvc=10.255.255.1:50051"], capture_output=True, timeout=30)
        assert out.returncode != 0 and b"plaintext" in out.stdout + out.stderr
        out = ctl("10.255.255.1:50051", "mailbox", "list", "x")
        assert out.returncode != 0 and b"plaintext" in out.stdout + out.stderr
        # Allowed explicitly: it serves.
        s = Proc("statesvc", [binary("statesvc"), "--listen=0.0.0.0:%d" % port,
                              "--data_dir=" + work + "/d2", "--grpc_allow_plaintext"], work)
        try:
            wait_port(s, port)
            assert ctl("127.0.0.1:%d" % port, "account", "add", "p", "--password", "p").returncode == 0
        finally:
            s.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
