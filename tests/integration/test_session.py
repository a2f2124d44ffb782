"""Connection-level commands: greeting, CAPABILITY, NOOP, LOGOUT, LOGIN, AUTHENTICATE, ID,
NAMESPACE, ENABLE, state errors, malformed input, literals, TLS."""

import base64
import imaplib
import re
import socket
import ssl

import pytest

import imapwire
from imapwire import status_of

REQUIRED_CAPS = {"IMAP4REV1", "IDLE", "UIDPLUS", "MOVE", "ID",
                 "NAMESPACE", "ENABLE", "UNSELECT"}


def caps_of(untagged):
    lines = [r for r in untagged if r.upper().startswith(b"* CAPABILITY ")]
    assert len(lines) == 1, untagged
    return {c.upper() for c in lines[0][len(b"* CAPABILITY "):].decode().split()}


def test_greeting_is_ok(cluster):
    r = cluster.raw()
    try:
        assert r.greeting.startswith(b"* OK"), r.greeting
    finally:
        r.close()


def test_capability_before_and_after_login(cluster, account):
    r = cluster.raw()
    try:
        untagged, tagged = r.cmd("CAPABILITY")
        assert status_of(tagged) == "OK", tagged
        caps = caps_of(untagged)
        assert {"IMAP4REV1", "AUTH=PLAIN", "SASL-IR"} <= caps, caps
        # Loopback clients (imaplib, curl, mbsync) must be able to LOGIN without TLS.
        assert "LOGINDISABLED" not in caps, caps
        r.login(account.name, account.password)
        untagged, tagged = r.cmd("CAPABILITY")
        assert status_of(tagged) == "OK", tagged
        caps = caps_of(untagged)
        missing = REQUIRED_CAPS - caps
        assert not missing, "missing capabilities %s in %s" % (missing, caps)
    finally:
        r.close()


def test_capability_with_arguments_is_bad(cluster):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("CAPABILITY extra")
        assert status_of(tagged) == "BAD", tagged
    finally:
        r.close()


def test_noop_in_every_state(cluster, account):
    r = cluster.raw()
    try:
        r.ok("NOOP")
        r.login(account.name, account.password)
        r.ok("NOOP")
        r.ok("SELECT INBOX")
        untagged, _ = r.ok("NOOP")
        assert untagged == [], untagged  # nothing changed, nothing to report
    finally:
        r.close()


def test_logout_sends_bye_then_ok_then_closes(cluster, account):
    for login in (False, True):
        r = cluster.raw()
        if login:
            r.login(account.name, account.password)
        untagged, tagged = r.cmd("LOGOUT")
        assert any(u.startswith(b"* BYE") for u in untagged), untagged
        assert status_of(tagged) == "OK", tagged
        assert r.at_eof(), "server kept the connection open after LOGOUT"
        r.close()


def test_imaplib_login_logout(account):
    c = account.imap()
    typ, data = c.noop()
    assert typ == "OK"
    typ, data = c.logout()
    assert typ == "BYE", (typ, data)


def test_login_wrong_password(cluster, account):
    r = cluster.raw()
    try:
        _, tagged = r.cmd('LOGIN "%s" "wrong-password"' % account.name)
        assert re.match(rb"T\d+ NO \[AUTHENTICATIONFAILED\]", tagged), tagged
        # still not authenticated
        _, tagged = r.cmd("SELECT INBOX")
        assert status_of(tagged) == "BAD", tagged
        # and the right password still works on the same connection
        r.login(account.name, account.password)
    finally:
        r.close()


def test_login_unknown_user(cluster):
    r = cluster.raw()
    try:
        _, tagged = r.cmd('LOGIN "no-such-user-xyz" "whatever"')
        assert re.match(rb"T\d+ NO \[AUTHENTICATIONFAILED\]", tagged), tagged
    finally:
        r.close()


def test_login_with_literals(cluster, account):
    """LOGIN with synchronizing literals: '+' after each size, then OK."""
    r = cluster.raw()
    try:
        tag = r.next_tag()
        user = account.name.encode()
        pw = account.password.encode()
        r.send(tag.encode() + b" LOGIN {%d}\r\n" % len(user))
        cont = r.read_line()
        assert cont.startswith(b"+"), cont
        r.send(user + b" {%d}\r\n" % len(pw))
        cont = r.read_line()
        assert cont.startswith(b"+"), cont
        r.send(pw + b"\r\n")
        _, tagged = r.collect(tag)
        assert status_of(tagged) == "OK", tagged
    finally:
        r.close()


def test_login_twice_is_bad(cluster, account):
    r = cluster.raw(account.name, account.password)
    try:
        _, tagged = r.cmd('LOGIN "%s" "%s"' % (account.name, account.password))
        assert status_of(tagged) == "BAD", tagged
    finally:
        r.close()


def _plain(user, pw, authz=""):
    return base64.b64encode(("%s\0%s\0%s" % (authz, user, pw)).encode()).decode()


def test_authenticate_plain_with_continuation(cluster, account):
    r = cluster.raw()
    try:
        tag = r.next_tag()
        r.send("%s AUTHENTICATE PLAIN\r\n" % tag)
        cont = r.read_line()
        assert cont.rstrip() == b"+", "expected an empty challenge, got %r" % cont
        r.send(_plain(account.name, account.password) + "\r\n")
        _, tagged = r.collect(tag)
        assert status_of(tagged) == "OK", tagged
        r.ok("SELECT INBOX")
    finally:
        r.close()


def test_authenticate_plain_sasl_ir(cluster, account):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("AUTHENTICATE PLAIN " + _plain(account.name, account.password))
        assert status_of(tagged) == "OK", tagged
        r.ok("SELECT INBOX")
    finally:
        r.close()


def test_authenticate_plain_lowercase_mechanism_and_imaplib(account, cluster):
    c = cluster.imap()
    try:
        typ, data = c.authenticate(
            "PLAIN", lambda _: ("\0%s\0%s" % (account.name, account.password)).encode())
        assert typ == "OK", data
    finally:
        c.shutdown()


def test_authenticate_plain_wrong_password(cluster, account):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("AUTHENTICATE PLAIN " + _plain(account.name, "nope"))
        assert re.match(rb"T\d+ NO \[AUTHENTICATIONFAILED\]", tagged), tagged
    finally:
        r.close()


def test_authenticate_cancel_and_garbage(cluster, account):
    r = cluster.raw()
    try:
        tag = r.next_tag()
        r.send("%s AUTHENTICATE PLAIN\r\n" % tag)
        assert r.read_line().startswith(b"+")
        r.send("*\r\n")  # client cancels: RFC 3501 6.2.2 says BAD
        _, tagged = r.collect(tag)
        assert status_of(tagged) == "BAD", tagged
        tag = r.next_tag()
        r.send("%s AUTHENTICATE PLAIN\r\n" % tag)
        assert r.read_line().startswith(b"+")
        r.send("!!!not-base64!!!\r\n")
        _, tagged = r.collect(tag)
        assert status_of(tagged) in ("BAD", "NO"), tagged
        # the connection survives and a later login works
        r.login(account.name, account.password)
    finally:
        r.close()


def test_authenticate_unknown_mechanism(cluster):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("AUTHENTICATE X-UNKNOWN-MECH")
        assert status_of(tagged) in ("NO", "BAD"), tagged
    finally:
        r.close()


def test_id(cluster):
    r = cluster.raw()
    try:
        untagged, tagged = r.cmd('ID ("name" "pytest" "version" "1")')
        assert status_of(tagged) == "OK", tagged
        ids = [u for u in untagged if u.startswith(b"* ID ")]
        assert len(ids) == 1, untagged
        vals = imapwire.parse_values(ids[0][5:])
        assert vals[0] is None or (isinstance(vals[0], list) and len(vals[0]) % 2 == 0), ids
        untagged, tagged = r.cmd("ID NIL")
        assert status_of(tagged) == "OK", tagged
        assert len([u for u in untagged if u.startswith(b"* ID ")]) == 1, untagged
        _, tagged = r.cmd("ID (")
        assert status_of(tagged) == "BAD", tagged
    finally:
        r.close()


def test_namespace(raw):
    untagged, tagged = raw.cmd("NAMESPACE")
    assert status_of(tagged) == "OK", tagged
    assert untagged == [b'* NAMESPACE (("" "/")) NIL NIL'], untagged


def test_namespace_needs_authentication(cluster):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("NAMESPACE")
        assert status_of(tagged) == "BAD", tagged
    finally:
        r.close()


def test_enable(cluster, account):
    r = cluster.raw()
    try:
        _, tagged = r.cmd("ENABLE X-NO-SUCH-EXTENSION")
        assert status_of(tagged) == "BAD", "ENABLE before login: %r" % tagged
        r.login(account.name, account.password)
        untagged, tagged = r.cmd("ENABLE X-NO-SUCH-EXTENSION")
        assert status_of(tagged) == "OK", tagged
        # RFC 5161: an ENABLED response listing only what was enabled: here nothing.
        assert [u.rstrip() for u in untagged] == [b"* ENABLED"], untagged
        _, tagged = r.cmd("ENABLE")
        assert status_of(tagged) == "BAD", "ENABLE needs at least one argument: %r" % tagged
    finally:
        r.close()


@pytest.mark.parametrize("command", ["SELECT INBOX", "EXAMINE INBOX", "CREATE x", "DELETE x",
                                     "RENAME x y", "SUBSCRIBE INBOX", "UNSUBSCRIBE INBOX",
                                     'LIST "" "*"', 'LSUB "" "*"', "STATUS INBOX (MESSAGES)",
                                     "CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH ALL",
                                     "FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "COPY 1 INBOX",
                                     "MOVE 1 INBOX", "UID FETCH 1 FLAGS", "IDLE"])
def test_commands_before_login_are_bad(cluster, command):
    r = cluster.raw()
    try:
        _, tagged = r.cmd(command)
        assert status_of(tagged) == "BAD", "%s before login -> %r" % (command, tagged)
    finally:
        r.close()


@pytest.mark.parametrize("command", ["CHECK", "CLOSE", "UNSELECT", "EXPUNGE", "SEARCH ALL",
                                     "FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "COPY 1 INBOX",
                                     "MOVE 1 INBOX", "UID FETCH 1 FLAGS", "UID SEARCH ALL",
                                     "UID STORE 1 FLAGS ()", "UID COPY 1 INBOX",
                                     "UID MOVE 1 INBOX", "UID EXPUNGE 1"])
def test_selected_commands_without_selection_are_bad(raw, command):
    _, tagged = raw.cmd(command)
    assert status_of(tagged) == "BAD", "%s in authenticated state -> %r" % (command, tagged)


@pytest.mark.parametrize("line", [
    b"XYZZY",                        # unknown command
    b"SELECT",                       # missing argument
    b"SELECT INBOX extra",           # too many arguments
    b'LIST ""',                      # missing argument
    b"FETCH 1",                      # missing items (in selected state)
    b"FETCH 1 (FLAGS",               # unbalanced parenthesis
    b"FETCH 0 FLAGS",                # 0 is not a sequence number
    b"FETCH x:y FLAGS",              # not a sequence set
    b"FETCH 1 NOTANITEM",            # unknown fetch item
    b"FETCH 1 BODY[HEADER.FIELDS]",  # missing header list
    b"STORE 1 +FLAGS",               # missing flags
    b"STORE 1 FROBNICATE (\\Seen)",  # bad store item
    b"SEARCH NOTAKEY",               # unknown search key
    b"SEARCH SINCE 2020-01-01",      # bad date
    b"SEARCH LARGER abc",            # not a number
    b"UID FROB 1",                   # unknown UID command
    b'STATUS INBOX (BOGUS)',         # unknown status item
    b'SELECT "unterminated',         # unterminated quoted string
])
def test_malformed_commands_are_bad_with_tag(raw, line):
    raw.ok("SELECT INBOX")
    untagged, tagged = raw.cmd(line)
    assert status_of(tagged) == "BAD", "%r -> %r" % (line, tagged)
    reason = tagged.split(b" ", 2)[2] if tagged.count(b" ") >= 2 else b""
    assert reason.strip(), "BAD without a reason: %r" % tagged
    # the session recovers and is still selected
    untagged, tagged = raw.cmd("NOOP")
    assert status_of(tagged) == "OK", tagged


def test_untagged_garbage_gets_bad(cluster):
    r = cluster.raw()
    try:
        r.send(b"*** garbage\r\n")
        resp = r.read_response()
        assert resp.startswith(b"* BAD"), resp
        r.ok("NOOP")
    finally:
        r.close()


def test_synchronizing_literal_continuation_only_after_size_accepted(raw):
    raw.ok("SELECT INBOX")
    tag = raw.next_tag()
    # Far over any sane APPENDLIMIT: the server must refuse instead of inviting the literal.
    raw.send(tag + " APPEND INBOX {99999999999}\r\n")
    resp = raw.read_response()
    assert not resp.startswith(b"+"), "server sent %r for a 100 GB literal" % resp
    if not resp.startswith(tag.encode()):
        _, resp = raw.collect(tag)
    assert status_of(resp) in ("NO", "BAD"), resp
    # An ordinary literal gets '+' and works.
    msg = b"Subject: lit\r\n\r\nhello\r\n"
    untagged, tagged = raw.cmd_literal("APPEND INBOX", msg)
    assert status_of(tagged) == "OK", tagged


def test_literal_plus_if_advertised(raw):
    untagged, _ = raw.ok("CAPABILITY")
    caps = caps_of(untagged)
    if "LITERAL+" not in caps and "LITERAL-" not in caps:
        pytest.skip("no LITERAL+/LITERAL- advertised")
    msg = b"Subject: nonsync\r\n\r\nbody\r\n"
    tag = raw.next_tag()
    raw.send(tag.encode() + b" APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
    _, tagged = raw.collect(tag)
    assert status_of(tagged) == "OK", tagged


def test_imaps(cluster, account):
    if not cluster.imaps_port:
        pytest.skip("no TLS listener in this cluster")
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = imaplib.IMAP4_SSL(cluster.host, cluster.imaps_port, ssl_context=ctx, timeout=15)
    try:
        typ, data = c.login(account.name, account.password)
        assert typ == "OK", data
        typ, data = c.select("INBOX")
        assert typ == "OK", data
    finally:
        c.shutdown()


def test_starttls(cluster, account):
    if not cluster.imaps_port:
        pytest.skip("no TLS configured in this cluster")
    c = cluster.imap()
    try:
        assert "STARTTLS" in c.capabilities, c.capabilities
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        typ, data = c.starttls(ssl_context=ctx)
        assert typ == "OK", data
        assert "STARTTLS" not in c.capabilities, "STARTTLS still offered after TLS is on"
        typ, data = c.login(account.name, account.password)
        assert typ == "OK", data
    finally:
        c.shutdown()
