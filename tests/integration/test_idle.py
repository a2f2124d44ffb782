"""IDLE: responders from other sessions arrive while idling; DONE ends it."""

import re
import time

from imapwire import fetches, flagset, status_of

MSG = b"From: x@example.com\r\nSubject: idle\r\n\r\nping\r\n"


def start_idle(raw):
    tag = raw.next_tag()
    raw.send("%s IDLE\r\n" % tag)
    cont = raw.read_line()
    assert cont.startswith(b"+"), "IDLE answered %r instead of a continuation" % cont
    return tag


def read_until(raw, pred, timeout=3.0):
    """Reads untagged responses until pred(resp) holds; returns all read."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "no matching response within %.1fs; got %r" % (timeout, seen)
        r = raw.read_response(timeout=left)
        seen.append(r)
        if pred(r):
            return seen


def test_idle_sees_append_from_other_session(account):
    a = account.raw(select="INBOX")
    tag = start_idle(a)
    b = account.imap()
    typ, data = b.append("INBOX", None, None, MSG)
    assert typ == "OK", data
    read_until(a, lambda r: r == b"* 1 EXISTS")
    a.send("DONE\r\n")
    _, tagged = a.collect(tag)
    assert status_of(tagged) == "OK", tagged
    untagged, _ = a.ok("FETCH 1 BODY.PEEK[]")
    assert fetches(untagged)[0][1][b"BODY[]"] == MSG


def test_idle_sees_flags_and_expunge(account):
    a = account.raw()
    for _ in range(3):
        a.cmd_literal("APPEND INBOX", MSG)
    a.ok("SELECT INBOX")
    tag = start_idle(a)
    b = account.raw(select="INBOX")
    b.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    seen = read_until(a, lambda r: r.startswith(b"* 2 FETCH"))
    seq, d = fetches(seen[-1:])[0]
    assert flagset(d[b"FLAGS"]) == {"\\Flagged"}, seen
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    read_until(a, lambda r: r == b"* 1 EXPUNGE")
    a.send("DONE\r\n")
    _, tagged = a.collect(tag)
    assert status_of(tagged) == "OK", tagged
    untagged, _ = a.ok("FETCH 1:* FLAGS")
    assert [flagset(d[b"FLAGS"]) for _, d in fetches(untagged)] == [{"\\Flagged"}, set()]


def test_idle_in_authenticated_state_and_done_case(account):
    a = account.raw()
    tag = start_idle(a)
    a.send("done\r\n")  # DONE is case-insensitive
    _, tagged = a.collect(tag)
    assert status_of(tagged) == "OK", tagged


def test_idle_bad_continuation(account):
    a = account.raw(select="INBOX")
    tag = start_idle(a)
    a.send("NOT-DONE\r\n")
    _, tagged = a.collect(tag)
    assert status_of(tagged) == "BAD", tagged
    a.ok("NOOP")


def test_noop_reports_exists_from_other_session(account):
    a = account.raw(select="INBOX")
    b = account.imap()
    b.append("INBOX", None, None, MSG)
    b.append("INBOX", None, None, MSG)
    untagged, _ = a.ok("NOOP")
    assert b"* 2 EXISTS" in untagged, untagged
