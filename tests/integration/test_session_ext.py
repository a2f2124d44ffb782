"""Connection- and session-level extensions (issue 5): CAPABILITY before and after login,
AUTH=LOGIN (with and without SASL-IR, cancel), UNAUTHENTICATE (RFC 8437), COMPRESS=DEFLATE
(RFC 4978, plain, TLS, IDLE), LITERAL+/LITERAL- (RFC 7888)."""

import base64
import shutil
import socket
import ssl
import tempfile
import time
import zlib

import pytest

import imapwire
from conftest import Cluster, REFERENCE, requires_hadron


def caps_of(line):
    """The capability set of a '* CAPABILITY ...' line or a '[CAPABILITY ...]' code."""
    text = line.decode()
    if "[CAPABILITY " in text:
        text = text.split("[CAPABILITY ", 1)[1].split("]", 1)[0]
    else:
        assert text.upper().startswith("* CAPABILITY "), text
        text = text[len("* CAPABILITY "):]
    return {c.upper() for c in text.split()}


def capability(r):
    untagged, _ = r.ok("CAPABILITY")
    lines = [u for u in untagged if u.upper().startswith(b"* CAPABILITY ")]
    assert len(lines) == 1, untagged
    return caps_of(lines[0])


def b64(s):
    return base64.b64encode(s.encode() if isinstance(s, str) else s)


MSG = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: %s\r\n\r\nbody %s\r\n"


def message(n):
    return MSG % (str(n).encode(), str(n).encode())


# ---- CAPABILITY before and after login ----------------------------------------------------------

def test_capabilities_pre_and_post_login(cluster, account):
    r = cluster.raw()
    try:
        pre = capability(r)
        greeting = caps_of(r.greeting)
        assert pre == greeting
        assert {"AUTH=PLAIN", "AUTH=LOGIN", "SASL-IR"} <= pre, pre
        assert "UNAUTHENTICATE" not in pre and "COMPRESS=DEFLATE" not in pre
        assert ("LITERAL+" in pre) != ("LITERAL-" in pre), pre  # one or the other, RFC 7888
        _, tagged = r.login(account.name, account.password)
        in_ok = caps_of(tagged)  # the tagged OK carries the post-login list, as Dovecot's
        post = capability(r)
        assert in_ok == post
        assert not any(c.startswith("AUTH=") for c in post), post
        assert "STARTTLS" not in post
        assert {"UNAUTHENTICATE", "COMPRESS=DEFLATE", "SASL-IR"} <= post, post
    finally:
        r.close()


# ---- AUTH=LOGIN ---------------------------------------------------------------------------------

def test_auth_login_challenges(cluster, account):
    r = cluster.raw()
    try:
        r.send(b"A1 AUTHENTICATE LOGIN\r\n")
        assert r.read_line() == b"+ " + b64("Username:")
        r.send(b64(account.name) + b"\r\n")
        assert r.read_line() == b"+ " + b64("Password:")
        r.send(b64(account.password) + b"\r\n")
        untagged, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 OK [CAPABILITY "), tagged
        assert "UNAUTHENTICATE" in caps_of(tagged)
        r.ok("SELECT INBOX")
    finally:
        r.close()


def test_auth_login_sasl_ir(cluster, account):
    r = cluster.raw()
    try:
        r.send(b"A1 AUTHENTICATE LOGIN " + b64(account.name) + b"\r\n")
        assert r.read_line() == b"+ " + b64("Password:")  # the user name was the IR
        r.send(b64(account.password) + b"\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 OK "), tagged
    finally:
        r.close()


def test_auth_login_empty_ir_still_asks_username(cluster, account):
    r = cluster.raw()
    try:
        r.send(b"A1 AUTHENTICATE LOGIN =\r\n")
        assert r.read_line() == b"+ " + b64("Username:")
        r.send(b64(account.name) + b"\r\n")
        assert r.read_line() == b"+ " + b64("Password:")
        r.send(b64(account.password) + b"\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 OK "), tagged
    finally:
        r.close()


def test_auth_login_wrong_password(cluster, account):
    r = cluster.raw()
    try:
        r.send(b"A1 AUTHENTICATE LOGIN " + b64(account.name) + b"\r\n")
        r.read_line()
        r.send(b64("nope") + b"\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 NO [AUTHENTICATIONFAILED]"), tagged
        _, tagged = r.cmd("SELECT INBOX")
        assert b" BAD " in tagged  # still not authenticated
    finally:
        r.close()


@pytest.mark.parametrize("mech,steps", [("LOGIN", 0), ("LOGIN", 1), ("PLAIN", 0)])
def test_authenticate_cancel(cluster, account, mech, steps):
    r = cluster.raw()
    try:
        r.send(b"A1 AUTHENTICATE " + mech.encode() + b"\r\n")
        assert r.read_line().startswith(b"+")
        for _ in range(steps):
            r.send(b64(account.name) + b"\r\n")
            assert r.read_line().startswith(b"+")
        r.send(b"*\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 BAD "), tagged
        # The connection is still usable, still not authenticated.
        assert "AUTH=LOGIN" in capability(r)
        r.login(account.name, account.password)
    finally:
        r.close()


def test_auth_login_bad_base64(cluster, account):
    r = cluster.raw()
    try:
        r.send(b"A1 AUTHENTICATE LOGIN\r\n")
        r.read_line()
        r.send(b"!!!not base64\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 BAD "), tagged
        r.login(account.name, account.password)
    finally:
        r.close()


def test_auth_login_imaplib(cluster, account):
    c = cluster.imap()
    try:
        answers = iter([account.name.encode(), account.password.encode()])
        typ, _ = c.authenticate("LOGIN", lambda challenge: next(answers))
        assert typ == "OK"
        typ, _ = c.select("INBOX")
        assert typ == "OK"
    finally:
        c.logout()


# ---- UNAUTHENTICATE -----------------------------------------------------------------------------

def test_unauthenticate_then_other_user_sees_only_their_mail(cluster, account):
    requires_hadron(cluster)
    other = "other_" + account.name
    cluster.add_account(other, "pw-other")
    a = account.imap()
    a.append("INBOX", None, None, message("alice-only"))
    a.logout()
    r = cluster.raw(account.name, account.password)
    try:
        untagged, _ = r.ok("SELECT INBOX")
        assert b"* 1 EXISTS" in untagged
        _, tagged = r.ok("UNAUTHENTICATE")
        pre = capability(r)
        assert "AUTH=LOGIN" in pre and "UNAUTHENTICATE" not in pre
        # Not authenticated now: selected-state and authenticated-state commands are refused.
        for cmd in ("FETCH 1 FLAGS", "SELECT INBOX", "UNAUTHENTICATE"):
            _, tagged = r.cmd(cmd)
            assert b" BAD " in tagged, (cmd, tagged)
        r.login(other, "pw-other")
        untagged, _ = r.ok("SELECT INBOX")
        assert b"* 0 EXISTS" in untagged, untagged
        untagged, _ = r.ok("UID SEARCH ALL")
        assert untagged == [b"* SEARCH"], untagged
        # The first user's mailbox changes no longer reach this connection (subscription
        # dropped): an APPEND there shows nothing here, one to the new user's INBOX does.
        a = account.imap()
        a.append("INBOX", None, None, message("alice-2"))
        a.logout()
        untagged, _ = r.ok("NOOP")
        assert not any(b"EXISTS" in u for u in untagged), untagged
        b = cluster.imap(other, "pw-other")
        b.append("INBOX", None, None, message("bob-1"))
        b.logout()
        untagged, _ = r.ok("NOOP")
        assert b"* 1 EXISTS" in untagged, untagged
    finally:
        r.close()


def test_unauthenticate_forgets_enable(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        r.ok("UNAUTHENTICATE")
        _, tagged = r.cmd("ENABLE UTF8=ACCEPT")
        assert b" BAD " in tagged  # ENABLE needs an authenticated session
        r.login(account.name, account.password)
        r.ok("SELECT INBOX")
    finally:
        r.close()


# ---- COMPRESS=DEFLATE ---------------------------------------------------------------------------

class Compressed(imapwire.Raw):
    """A raw client that switches to raw deflate (wbits -15) after COMPRESS DEFLATE."""

    def start_compress(self):
        _, tagged = self.cmd("COMPRESS DEFLATE")
        assert tagged.split(b" ")[1] == b"OK", tagged
        assert self.buf == b"", self.buf  # nothing may follow the OK uncompressed
        self.co = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.de = zlib.decompressobj(-15)
        self.wire_in = 0
        self.wire_out = 0

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if not hasattr(self, "co"):
            return super().send(data)
        z = self.co.compress(data) + self.co.flush(zlib.Z_SYNC_FLUSH)
        self.wire_out += len(z)
        self.sock.sendall(z)

    def _fill(self, deadline):
        if not hasattr(self, "de"):
            return super()._fill(deadline)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("timed out; have %r" % self.buf[-300:])
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.wire_in += len(chunk)
            plain = self.de.decompress(chunk)
            if plain:
                self.buf += plain
                return


def compressed_client(cluster, account, tls=False):
    port = cluster.imaps_port if tls else cluster.imap_port
    r = Compressed(cluster.host, port, use_ssl=tls)
    r.login(account.name, account.password)
    r.start_compress()
    return r


def test_compress_basic_and_second_compress_refused(cluster, account):
    r = compressed_client(cluster, account)
    try:
        caps = capability(r)
        assert "COMPRESS=DEFLATE" in caps
        _, tagged = r.cmd("COMPRESS DEFLATE")
        assert b" NO [COMPRESSIONACTIVE]" in tagged, tagged
        r.ok("SELECT INBOX")
        # A large APPEND and FETCH through the compressed stream, byte-exact.
        body = b"".join(b"line %06d of a long compressible message\r\n" % i for i in range(20000))
        raw = b"Subject: big\r\n\r\n" + body
        _, tagged = r.cmd_literal("APPEND INBOX", raw)
        assert b" OK " in tagged, tagged
        untagged, _ = r.ok("UID FETCH 1:* (BODY.PEEK[])")
        got = [u for u in untagged if b"BODY[]" in u]
        assert got and got[-1].endswith(raw + b")"), got[-1][-100:]
        assert r.wire_in < len(raw) / 4 and r.wire_out < len(raw) / 4, (r.wire_in, r.wire_out)
        r.ok("LOGOUT")
    finally:
        r.close()


def test_compress_unknown_mechanism_and_state(cluster, account):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("COMPRESS DEFLATE")
        assert b" BAD " in tagged, tagged  # not authenticated
        r.login(account.name, account.password)
        _, tagged = r.cmd("COMPRESS FOO")
        assert b" NO " in tagged, tagged
        _, tagged = r.cmd("COMPRESS")
        assert b" BAD " in tagged, tagged
        r.ok("NOOP")  # still uncompressed
    finally:
        r.close()


def test_compress_over_tls(cluster, account):
    requires_hadron(cluster)
    r = compressed_client(cluster, account, tls=True)
    try:
        untagged, _ = r.ok("LIST \"\" \"*\"")
        assert any(b"INBOX" in u for u in untagged), untagged
        _, tagged = r.cmd("STARTTLS")
        assert b" BAD " in tagged, tagged
        r.ok("LOGOUT")
    finally:
        r.close()


def test_compress_idle_gets_append_from_other_connection_at_once(cluster, account):
    r = compressed_client(cluster, account)
    other = account.imap()
    try:
        r.ok("SELECT INBOX")
        r.send(b"I1 IDLE\r\n")
        assert r.read_line().startswith(b"+ ")
        start = time.monotonic()
        other.append("INBOX", None, None, message("idle"))
        line = r.read_line(timeout=5)
        elapsed = time.monotonic() - start
        assert line == b"* 1 EXISTS", line
        assert elapsed < 2.0, elapsed
        r.send(b"DONE\r\n")
        _, tagged = r.collect("I1")
        assert b" OK " in tagged, tagged
    finally:
        r.close()


def test_compress_then_unauthenticate_keeps_compression(cluster, account):
    r = compressed_client(cluster, account)
    try:
        r.ok("UNAUTHENTICATE")
        r.login(account.name, account.password)
        _, tagged = r.cmd("COMPRESS DEFLATE")
        assert b"[COMPRESSIONACTIVE]" in tagged, tagged
    finally:
        r.close()


def test_compress_garbage_closes_connection(cluster, account):
    requires_hadron(cluster)
    r = cluster.raw(account.name, account.password)
    try:
        r.ok("COMPRESS DEFLATE")
        r.sock.sendall(b"\xff\xff\xff\xff not deflate at all\r\n")
        assert r.at_eof(timeout=5)
    finally:
        r.close()
    # The server is fine.
    c = account.imap()
    c.logout()


# ---- LITERAL+ / LITERAL- ------------------------------------------------------------------------

def test_literal_plus_by_default(cluster, account):
    requires_hadron(cluster)
    r = cluster.raw(account.name, account.password)
    try:
        assert "LITERAL+" in capability(r)
        big = b"Subject: x\r\n\r\n" + b"y" * 10000 + b"\r\n"
        r.send(b"A1 APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 OK "), tagged
    finally:
        r.close()


@pytest.fixture(scope="module")
def literal_minus():
    if REFERENCE:
        pytest.skip("Hadron's --literal_minus")
    workdir = tempfile.mkdtemp(prefix="hadron-litminus-")
    c = Cluster(workdir, tls=False)
    c.frontend_args = ["--literal_minus"]
    c.start()
    c.add_account("m", "pw")
    yield c
    c.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_literal_minus_small_nonsync_ok(literal_minus):
    r = literal_minus.raw("m", "pw")
    try:
        caps = capability(r)
        assert "LITERAL-" in caps and "LITERAL+" not in caps, caps
        msg = b"Subject: x\r\n\r\n" + b"y" * (4096 - 16) + b"\r\n"
        assert len(msg) == 4096
        r.send(b"A1 APPEND INBOX {4096+}\r\n" + msg + b"\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 OK "), tagged
        # Synchronizing literals of any size still work.
        big = msg * 3
        _, tagged = r.cmd_literal("APPEND INBOX", big)
        assert b" OK " in tagged, tagged
    finally:
        r.close()


def test_literal_minus_big_nonsync_is_toobig(literal_minus):
    r = literal_minus.raw("m", "pw")
    try:
        big = b"Subject: x\r\n\r\n" + b"y" * 5000 + b"\r\n"
        r.send(b"A1 APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n")
        _, tagged = r.collect("A1")
        assert tagged.startswith(b"A1 BAD [TOOBIG]"), tagged
        # The literal's bytes were skipped, not taken for commands: the session goes on.
        untagged, _ = r.ok("STATUS INBOX (MESSAGES)")
        r.ok("NOOP")
        # Also for non-APPEND commands (RFC 7888 applies to every literal).
        name = b"x" * 4097
        r.send(b"A2 CREATE {4097+}\r\n" + name + b"\r\n")
        _, tagged = r.collect("A2")
        assert tagged.startswith(b"A2 BAD [TOOBIG]"), tagged
        r.ok("NOOP")
    finally:
        r.close()
