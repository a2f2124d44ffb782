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


# ---- MULTIAPPEND (RFC 3502) ---------------------------------------------------------------------

def multiappend(r, mailbox, parts, sync=False, tail=b""):
    """Sends APPEND mailbox with several (prefix, literal) parts; returns the tagged line.
    Non-synchronizing literals unless sync (then waits for each '+')."""
    tag = r.next_tag()
    head = tag.encode() + b" APPEND " + mailbox.encode()
    for i, (prefix, lit) in enumerate(parts):
        head += b" " + prefix + (b" " if prefix else b"")
        if sync:
            r.send(head + b"{%d}\r\n" % len(lit))
            cont = r.read_response()
            if not cont.startswith(b"+"):
                return cont if cont.startswith(tag.encode()) else r.collect(tag)[1]
            head = lit
        else:
            head += b"{%d+}\r\n" % len(lit) + lit
    r.send(head + tail + b"\r\n")
    return r.collect(tag)[1]


def uids_of(r, mailbox):
    r.ok("EXAMINE " + mailbox)
    untagged, _ = r.ok("UID SEARCH ALL")
    r.ok("CLOSE")
    return [int(x) for x in untagged[0].split()[2:]]


def test_multiappend_rfc3502_example(cluster, account):
    # RFC 3502 section 6's example, as a sequence of synchronizing literals.
    r = cluster.raw(account.name, account.password)
    try:
        m1 = (b"Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar "
              b"<foobar@Blurdybloop.example.COM>\r\nSubject: afternoon meeting\r\nTo: "
              b"mooch@owatagu.siam.edu\r\nMessage-Id: <B27397-0100000@Blurdybloop.example.COM>\r\n"
              b"MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"
              b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n")
        m2 = (b"Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\nFrom: Joe Mooch "
              b"<mooch@OWaTaGu.siam.EDU>\r\nSubject: Re: afternoon meeting\r\nTo: "
              b"foobar@blurdybloop.example.com\r\nMessage-Id: <a0434793874930@OWaTaGu.siam.EDU>\r\n"
              b"MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"
              b"3:30 is fine with me.\r\n")
        r.ok("CREATE saved-messages")
        tagged = multiappend(r, "saved-messages",
                             [(b"(\\Seen)", m1), (b"(\\Seen)", m2)], sync=True)
        assert b" OK " in tagged, tagged
        m = re_appenduid(tagged)
        assert m is not None, tagged
        uidvalidity, uidset = m
        assert uidset == "1:2", tagged
        assert uids_of(r, "saved-messages") == [1, 2]
        untagged, _ = r.ok("SELECT saved-messages")
        untagged, _ = r.ok("UID FETCH 1:2 (FLAGS BODY.PEEK[])")
        joined = b"\r\n".join(untagged)
        assert m1 in joined and m2 in joined
        assert joined.count(b"\\Seen") == 2
        untagged, _ = r.ok("STATUS saved-messages (UIDVALIDITY)")
        assert b"UIDVALIDITY %d" % uidvalidity in untagged[0], untagged
    finally:
        r.close()


def re_appenduid(tagged):
    import re
    m = re.search(rb"\[APPENDUID (\d+) ([0-9:,]+)\]", tagged)
    return (int(m.group(1)), m.group(2).decode()) if m else None


def test_multiappend_flags_dates_and_selected_mailbox_exists(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        r.ok("SELECT INBOX")
        parts = [(b"(\\Flagged) \"01-Feb-2020 10:00:00 +0100\"", message(1)),
                 (b"", message(2)),
                 (b"(\\Draft $Work)", message(3))]
        tag = r.next_tag()
        data = tag.encode() + b" APPEND INBOX"
        for prefix, lit in parts:
            data += b" " + prefix + (b" " if prefix else b"") + b"{%d+}\r\n" % len(lit) + lit
        r.send(data + b"\r\n")
        untagged, tagged = r.collect(tag)
        assert b" OK [APPENDUID " in tagged and b" 1:3]" in tagged, tagged
        assert b"* 3 EXISTS" in untagged, untagged  # into the selected mailbox: announced
        untagged, _ = r.ok("UID FETCH 1:3 (FLAGS INTERNALDATE)")
        text = b"\n".join(untagged)
        assert b"01-Feb-2020 10:00:00 +0100" in text, text
        assert b"\\Flagged" in untagged[0] and b"\\Draft" in untagged[2] and b"$Work" in untagged[2]
    finally:
        r.close()


def test_multiappend_one_bad_message_none_appended(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        before = uids_of(r, "INBOX")
        # An empty second message: NO, and the first is not stored either.
        tagged = multiappend(r, "INBOX", [(b"", message(1)), (b"", b""), (b"", message(3))])
        assert b" NO " in tagged, tagged
        # An invalid flag in the third: BAD.
        tagged = multiappend(r, "INBOX", [(b"", message(1)), (b"", message(2)),
                                          (b"(\\Bogus)", message(3))])
        assert b" BAD " in tagged, tagged
        # An invalid date in the second: BAD.
        tagged = multiappend(r, "INBOX", [(b"", message(1)),
                                          (b"\"31-Feb-2020 99:00:00 +0000\"", message(2))])
        assert b" BAD " in tagged, tagged
        # Garbage after the last message.
        tagged = multiappend(r, "INBOX", [(b"", message(1)), (b"", message(2))], tail=b" junk")
        assert b" BAD " in tagged, tagged
        r.ok("NOOP")
        assert uids_of(r, "INBOX") == before, "a failed MULTIAPPEND stored something"
        # Into a mailbox that does not exist: TRYCREATE, nothing anywhere.
        tagged = multiappend(r, "NoSuchBox", [(b"", message(1)), (b"", message(2))])
        assert b"NO [TRYCREATE]" in tagged, tagged
        assert uids_of(r, "INBOX") == before
    finally:
        r.close()


def test_multiappend_appendlimit_per_message(cluster, account):
    requires_hadron(cluster)
    r = cluster.raw(account.name, account.password)
    try:
        limit = [c for c in capability(r) if c.startswith("APPENDLIMIT=")]
        assert limit, "APPENDLIMIT advertised"
        n = int(limit[0].split("=")[1])
        before = uids_of(r, "INBOX")
        # The second literal is one byte over the per-message limit: refused before its '+',
        # so nothing is stored.
        tag = r.next_tag()
        r.send(tag.encode() + b" APPEND INBOX {%d}\r\n" % len(message(1)))
        assert r.read_line().startswith(b"+")
        r.send(message(1) + b" {%d}\r\n" % (n + 1))
        untagged, tagged = r.collect(tag)
        assert tagged.startswith(tag.encode() + b" NO [TOOBIG]"), tagged
        r.ok("NOOP")
        assert uids_of(r, "INBOX") == before
    finally:
        r.close()


def test_multiappend_imaplib_single_still_works(cluster, account):
    c = account.imap()
    typ, data = c.append("INBOX", "(\\Seen)", None, message(9))
    assert typ == "OK" and b"APPENDUID" in data[0], data


def test_multiappend_same_message_twice_shares_blob(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        tagged = multiappend(r, "INBOX", [(b"", message(7)), (b"", message(7))])
        assert b" OK " in tagged, tagged
        r.ok("SELECT INBOX")
        untagged, _ = r.ok("UID FETCH 1:* (BODY.PEEK[])")
        assert len([u for u in untagged if message(7) in u]) == 2, untagged
        r.ok("UID STORE 1 +FLAGS.SILENT (\\Deleted)")
        r.ok("EXPUNGE")
        untagged, _ = r.ok("UID FETCH 1:* (BODY.PEEK[])")
        assert len([u for u in untagged if message(7) in u]) == 1, untagged
    finally:
        r.close()


def quota_set(cluster, account, *limits):
    cluster.ctl("quota", "set", account.name, *limits)


def quota_used(cluster, account):
    out = cluster.ctl("quota", "get", account.name).stdout.decode()
    q = dict(kv.split("=") for kv in out.split())
    return int(q["messages_used"]), int(q["storage_used_bytes"])


def test_multiappend_over_message_quota_stores_nothing(cluster, account):
    # QUOTA (RFC 9208) x MULTIAPPEND (RFC 3502, atomic): a batch that would cross the limit
    # fails as a whole with NO [OVERQUOTA]; a batch that fits exactly is stored.
    requires_hadron(cluster)
    r = cluster.raw(account.name, account.password)
    try:
        tagged = multiappend(r, "INBOX", [(b"", message(1))])
        assert b" OK " in tagged, tagged
        quota_set(cluster, account, "MESSAGE=3")
        tagged = multiappend(r, "INBOX", [(b"", message(2)), (b"", message(3)),
                                          (b"", message(4))])
        assert tagged.split()[1] == b"NO" and b"[OVERQUOTA]" in tagged, tagged
        assert uids_of(r, "INBOX") == [1]
        assert quota_used(cluster, account)[0] == 1
        # The UIDs the failed batch would have taken are not used up either.
        tagged = multiappend(r, "INBOX", [(b"", message(2)), (b"", message(3))])
        assert b" OK " in tagged and re_appenduid(tagged)[1] == "2:3", tagged
        assert uids_of(r, "INBOX") == [1, 2, 3]
        assert quota_used(cluster, account)[0] == 3
        tagged = multiappend(r, "Archive", [(b"", message(5)), (b"", message(6))])
        assert b"[OVERQUOTA]" in tagged, tagged
        assert uids_of(r, "Archive") == []
    finally:
        r.close()


def test_multiappend_over_storage_quota_boundary(cluster, account):
    requires_hadron(cluster)
    r = cluster.raw(account.name, account.password)
    try:
        quota_set(cluster, account, "STORAGE=2")  # 2048 octets
        head = b"From: a@example.org\r\nSubject: fill\r\n\r\n"
        half = head + b"y" * (1024 - len(head))
        over = head + b"y" * (1025 - len(head))
        # 1024 + 1025 > 2048: refused, nothing stored, usage unchanged.
        tagged = multiappend(r, "INBOX", [(b"", half), (b"", over)])
        assert b"[OVERQUOTA]" in tagged, tagged
        assert uids_of(r, "INBOX") == []
        assert quota_used(cluster, account) == (0, 0)
        # 1024 + 1024 = 2048: exactly the limit, stored.
        tagged = multiappend(r, "INBOX", [(b"", half), (b"", half)])
        assert b" OK " in tagged, tagged
        assert quota_used(cluster, account) == (2, 2048)
        untagged, _ = r.ok("GETQUOTAROOT INBOX")
        assert b'* QUOTA "User quota" (STORAGE 2 2)' in untagged, untagged
    finally:
        r.close()


def test_multiappend_threads_savedate_within_one_batch(cluster, account):
    # OBJECTID (RFC 8474) x MULTIAPPEND: a reply stored in the same batch as its parent shares
    # its THREADID; an unrelated message does not; every message has a SAVEDATE (RFC 8514).
    requires_hadron(cluster)
    parent = (b"Message-ID: <p1@example.org>\r\nSubject: plan\r\nFrom: a@example.org\r\n"
              b"\r\nparent\r\n")
    reply = (b"Message-ID: <r1@example.org>\r\nIn-Reply-To: <p1@example.org>\r\n"
             b"References: <p1@example.org>\r\nSubject: Re: plan\r\nFrom: b@example.org\r\n"
             b"\r\nreply\r\n")
    other = (b"Message-ID: <o1@example.org>\r\nSubject: other\r\nFrom: c@example.org\r\n"
             b"\r\nother\r\n")
    r = cluster.raw(account.name, account.password)
    try:
        tagged = multiappend(r, "INBOX", [(b"", parent), (b"", reply), (b"", other)])
        assert b" OK " in tagged, tagged
        r.ok("SELECT INBOX")
        untagged, _ = r.ok("UID FETCH 1:3 (THREADID SAVEDATE)")
        got = {int(d[b"UID"]): d for _, d in imapwire.fetches(untagged)}
        assert got[1][b"THREADID"] == got[2][b"THREADID"], untagged
        assert got[3][b"THREADID"] != got[1][b"THREADID"], untagged
        for d in got.values():
            assert d[b"SAVEDATE"] not in (None, b"NIL"), untagged
    finally:
        r.close()


# ---- UTF8=ACCEPT (RFC 6855) ---------------------------------------------------------------------

UTF8_NAME = "Entw\u00fcrfe/\u53f0\u5317"                 # "Entwürfe/台北"
MUTF7_NAME = "Entw&APw-rfe/&U,BTFw-"


def name_of_list_line(line):
    """The mailbox name at the end of a LIST/LSUB/STATUS-free line (quoted or literal)."""
    if line.endswith(b'"'):
        return line[line.rindex(b' "', 0, len(line) - 1) + 2:-1].decode()
    m = line.rsplit(b"}\r\n", 1)
    return m[1].decode()


def test_enable_utf8_accept(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        assert "UTF8=ACCEPT" in capability(r)
        untagged, _ = r.ok("ENABLE UTF8=ACCEPT")
        assert untagged == [b"* ENABLED UTF8=ACCEPT"], untagged
        untagged, _ = r.ok("ENABLE FOO")
        assert untagged == [b"* ENABLED"], untagged  # nothing newly enabled, unknown ignored
    finally:
        r.close()


def test_utf8_names_round_trip_with_legacy_client(cluster, account):
    u = cluster.raw(account.name, account.password)
    legacy = cluster.raw(account.name, account.password)
    try:
        u.ok("ENABLE UTF8=ACCEPT")
        name = UTF8_NAME.encode()
        # CREATE with a quoted UTF-8 name.
        u.ok(b'CREATE "' + name + b'"')
        # The legacy (IMAP4rev1) client sees the modified UTF-7 form...
        untagged, _ = legacy.ok('LIST "" "Entw*"')
        names = [name_of_list_line(x) for x in untagged]
        assert MUTF7_NAME in names and "Entw&APw-rfe" in names, untagged
        # ...and the UTF-8 client the UTF-8 form (quoted or literal).
        untagged, _ = u.ok('LIST "" "Entw*"')
        names = [name_of_list_line(x) for x in untagged]
        assert UTF8_NAME in names and "Entw\u00fcrfe" in names, untagged
        # LIST pattern in UTF-8.
        untagged, _ = u.ok(b'LIST "" "Entw\xc3\xbcrfe/%"')
        assert [name_of_list_line(x) for x in untagged] == [UTF8_NAME], untagged
        # APPEND with a UTF8 data item; SELECT, STATUS by the UTF-8 name.
        msg = ("Subject: gr\u00fc\u00dfe\r\nFrom: j\u00f6rg@example.org\r\n\r\n"
               "h\u00e9llo\r\n").encode()
        tag = u.next_tag()
        u.send(tag.encode() + b' APPEND "' + name + b'" UTF8 (~{%d+}\r\n' % len(msg) + msg +
               b")\r\n")
        _, tagged = u.collect(tag)
        assert b" OK " in tagged, tagged
        untagged, _ = u.ok(b'STATUS "' + name + b'" (MESSAGES)')
        assert untagged[0].endswith(b"(MESSAGES 1)"), untagged
        assert name in untagged[0], untagged
        untagged, _ = legacy.ok('STATUS "%s" (MESSAGES)' % MUTF7_NAME)
        assert untagged[0] == b'* STATUS "%s" (MESSAGES 1)' % MUTF7_NAME.encode(), untagged
        u.ok(b'SELECT "' + name + b'"')
        untagged, _ = u.ok("UID FETCH 1 BODY.PEEK[]")
        assert msg in untagged[0], untagged
        # COPY to a UTF-8 name; RENAME to another; DELETE.
        u.ok(b'CREATE "\xc3\x84rchiv"')
        u.ok(b'UID COPY 1 "\xc3\x84rchiv"')
        untagged, _ = legacy.ok('STATUS "&AMQ-rchiv" (MESSAGES)')
        assert untagged[0].endswith(b"(MESSAGES 1)"), untagged
        u.ok(b'RENAME "\xc3\x84rchiv" "\xc3\x84rchiv-2024 & more"')
        untagged, _ = legacy.ok('LIST "" "&AMQ-rchiv*"')
        assert [name_of_list_line(x) for x in untagged] == ["&AMQ-rchiv-2024 &- more"], untagged
        u.ok(b'DELETE "\xc3\x84rchiv-2024 & more"')
        untagged, _ = legacy.ok('LIST "" "&AMQ-rchiv*"')
        assert untagged == [], untagged
    finally:
        u.close()
        legacy.close()


def test_utf8_accept_refuses_search_charset_and_bad_utf8(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        r.ok("ENABLE UTF8=ACCEPT")
        r.ok("SELECT INBOX")
        _, tagged = r.cmd("SEARCH CHARSET UTF-8 SUBJECT x")
        assert b" BAD " in tagged, tagged  # RFC 6855 section 3
        r.ok(b"SEARCH SUBJECT \"gr\xc3\xbc\xc3\x9fe\"")
        _, tagged = r.cmd("SORT (DATE) US-ASCII ALL")
        assert b" BAD " in tagged, tagged  # erratum 4029
        r.ok("SORT (DATE) UTF-8 ALL")
        _, tagged = r.cmd(b'CREATE "bad\xff\xfe"')
        assert b" BAD " in tagged, tagged
    finally:
        r.close()


def test_utf8_data_item_needs_enable(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        msg = message(1)
        tag = r.next_tag()
        r.send(tag.encode() + b" APPEND INBOX UTF8 (~{%d+}\r\n" % len(msg) + msg + b")\r\n")
        _, tagged = r.collect(tag)
        assert b" BAD " in tagged, tagged
        assert uids_of(r, "INBOX") == []
    finally:
        r.close()


def test_list_status_names_utf8_and_mutf7(cluster, account):
    # LIST-STATUS (RFC 5819) x UTF8=ACCEPT (RFC 6855): the STATUS after each LIST line names the
    # mailbox as that LIST line does: UTF-8 once enabled, modified UTF-7 otherwise.
    u = cluster.raw(account.name, account.password)
    legacy = cluster.raw(account.name, account.password)
    try:
        u.ok("ENABLE UTF8=ACCEPT")
        name = UTF8_NAME.encode()
        u.ok(b'CREATE "' + name + b'"')
        u.ok(b'APPEND "' + name + b'" {%d+}\r\n' % len(message(1)) + message(1))
        untagged, _ = u.ok('LIST "" "Entw*" RETURN (STATUS (MESSAGES))')
        statuses = [x for x in untagged if x.startswith(b"* STATUS ")]
        assert len(statuses) == 2, untagged
        text = b"\r\n".join(untagged)
        assert name in text and MUTF7_NAME.encode() not in text, untagged
        assert any(x.endswith(b"(MESSAGES 1)") for x in statuses), untagged
        untagged, _ = legacy.ok('LIST "" "Entw*" RETURN (STATUS (MESSAGES))')
        assert b'* STATUS "%s" (MESSAGES 1)' % MUTF7_NAME.encode() in untagged, untagged
        assert b'* STATUS "Entw&APw-rfe" (MESSAGES 0)' in untagged, untagged
    finally:
        u.close()
        legacy.close()
