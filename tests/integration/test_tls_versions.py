"""TLS 1.2 and newer only (issue 6), on the implicit-TLS listener and after STARTTLS.

A client limited to TLS 1.0/1.1 must fail its handshake with the frontend. So that the test can
fail, the same client first completes a TLS 1.1 handshake with `openssl s_server` limited to
TLS 1.1 on the same certificate: the refusal then comes from the frontend, not from the client's
own OpenSSL refusing to speak an old version.
"""

import socket
import ssl
import subprocess
import time
import warnings

import pytest

from conftest import free_port, requires_hadron


def old_tls_context(version):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        # OpenSSL 3's default security level forbids TLS < 1.2 even when asked for.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = version
        ctx.maximum_version = version
    return ctx


def modern_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def handshake(ctx, port, starttls=False):
    """Returns the negotiated version, or raises ssl.SSLError / OSError."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        if starttls:
            f = sock.makefile("rb")
            assert f.readline().startswith(b"* OK")
            sock.sendall(b"s1 STARTTLS\r\n")
            line = f.readline()
            assert line.startswith(b"s1 OK"), line
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
        version = tls.version()
        tls.close()
        return version
    finally:
        sock.close()


@pytest.fixture(scope="module")
def control_tls11(cluster):
    """openssl s_server speaking only TLS 1.1, with the cluster's certificate."""
    requires_hadron(cluster)
    if not cluster.imaps_port:
        pytest.fail("the cluster has no TLS listener")
    port = free_port()
    p = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                          "-cert", cluster.cert, "-key", cluster.key, "-tls1_1",
                          "-cipher", "DEFAULT:@SECLEVEL=0", "-quiet"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline or p.poll() is not None:
                p.kill()
                pytest.fail("openssl s_server did not start")
            time.sleep(0.1)
    yield port
    p.kill()
    p.wait()


def test_client_can_speak_tls11_to_a_server_that_allows_it(control_tls11):
    assert handshake(old_tls_context(ssl.TLSVersion.TLSv1_1), control_tls11) == "TLSv1.1"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1],
                         ids=["tls1.0", "tls1.1"])
def test_implicit_tls_refuses_old_versions(cluster, control_tls11, version):
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        handshake(old_tls_context(version), cluster.imaps_port)
    assert handshake(modern_context(), cluster.imaps_port) in ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1],
                         ids=["tls1.0", "tls1.1"])
def test_starttls_refuses_old_versions(cluster, control_tls11, version):
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        handshake(old_tls_context(version), cluster.imap_port, starttls=True)
    assert handshake(modern_context(), cluster.imap_port, starttls=True) in ("TLSv1.2", "TLSv1.3")
