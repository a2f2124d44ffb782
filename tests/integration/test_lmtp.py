"""LMTP delivery (RFC 2033, issue 7): hadron-frontend --lmtp_listen, driven by Python's
smtplib.LMTP. Per-recipient replies at RCPT and after DATA, dot-unstuffing, the ESMTP
extensions, limits, unknown users, quota, a statesvc that is down; and the delivery shows up in
an IDLE'ing IMAP session like any other session's APPEND."""

import imaplib
import smtplib
import socket
import tempfile
import uuid

import pytest

import imapwire
from conftest import Cluster, free_port, requires_hadron

MAX = 20000


@pytest.fixture(scope="module")
def lc(cluster):
    requires_hadron(cluster)
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-lmtp-"), tls=False)
    c.lmtp_port = free_port()
    c.frontend_args = ["--lmtp_listen=127.0.0.1:%d" % c.lmtp_port,
                       "--lmtp_max_message_bytes=%d" % MAX]
    c.start()
    yield c
    c.stop()


def user(c):
    name = "l" + uuid.uuid4().hex[:10]
    c.add_account(name, "pw")
    return name


def lmtp(c):
    s = smtplib.LMTP("127.0.0.1", c.lmtp_port, timeout=15)
    return s


def inbox(c, name):
    m = imaplib.IMAP4(c.host, c.imap_port, timeout=15)
    m.login(name, "pw")
    m.select("INBOX", readonly=True)
    typ, data = m.fetch("1:*", "(BODY.PEEK[])")
    m.logout()
    return [d[1] for d in data if isinstance(d, tuple)]


def test_lhlo_extensions_and_simple_delivery(lc):
    a = user(lc)
    s = lmtp(lc)
    code, msg = s.ehlo("mta.example.com")
    assert code == 250, msg
    for ext in ("pipelining", "enhancedstatuscodes", "8bitmime", "size"):
        assert s.has_extn(ext), s.esmtp_features
    assert s.esmtp_features["size"] == str(MAX)
    refused = s.sendmail("sender@example.org", ["%s@example.com" % a],
                         b"Subject: hello\r\n\r\n.leading dot\r\n..two dots\r\nbody\r\n")
    assert refused == {}
    s.quit()
    msgs = inbox(lc, a)
    assert len(msgs) == 1
    m = msgs[0]
    assert m.startswith(b"Return-Path: <sender@example.org>\r\nReceived: from mta.example.com")
    # Dot-unstuffing: smtplib doubled the leading dots, the server removed one.
    assert m.endswith(b"Subject: hello\r\n\r\n.leading dot\r\n..two dots\r\nbody\r\n"), m


def test_multiple_recipients_one_unknown_per_recipient_replies(lc):
    a, b = user(lc), user(lc)
    s = lmtp(lc)
    s.ehlo("mta")
    assert s.mail("from@example.org")[0] == 250
    assert s.rcpt("%s@example.com" % a)[0] == 250
    code, msg = s.rcpt("nobody-%s@example.com" % uuid.uuid4().hex[:6])
    assert code == 550 and msg.startswith(b"5.1.1"), (code, msg)
    assert s.rcpt("%s+folder@example.com" % b)[0] == 250  # +detail is the same account
    code, msg = s.data(b"Subject: to two\r\n\r\nhi\r\n")
    # LMTP: one reply per accepted recipient, in RCPT order (smtplib reads the first).
    assert code == 250 and msg.startswith(b"2.0.0 <%s@example.com>" % a.encode()), msg
    code, msg = s.getreply()
    assert code == 250 and msg.startswith(b"2.0.0 <%s+folder@example.com>" % b.encode()), msg
    assert s.noop()[0] == 250
    s.quit()
    assert inbox(lc, a)[0].endswith(b"Subject: to two\r\n\r\nhi\r\n")
    assert inbox(lc, b)[0].endswith(b"Subject: to two\r\n\r\nhi\r\n")


def test_sequence_errors_rset_and_unknown_commands(lc):
    a = user(lc)
    s = lmtp(lc)
    assert s.docmd("MAIL FROM:<x@y>")[0] == 503  # LHLO first
    assert s.docmd("HELO x")[0] == 500
    s.ehlo("mta")
    assert s.docmd("RCPT TO:<%s@x>" % a)[0] == 503  # MAIL first
    assert s.docmd("DATA")[0] == 503
    assert s.docmd("MAIL FROM:<x@y>")[0] == 250
    assert s.docmd("MAIL FROM:<x@y>")[0] == 503
    assert s.docmd("DATA")[0] == 503  # no valid recipients
    assert s.docmd("RSET")[0] == 250
    assert s.docmd("RCPT TO:<%s@x>" % a)[0] == 503  # RSET dropped the transaction
    assert s.docmd("FROB")[0] == 500
    assert s.docmd("MAIL FROM:<x@y> SIZE=%d" % (MAX + 1))[0] == 552
    assert s.docmd("MAIL FROM:<x@y> BODY=8BITMIME")[0] == 250
    code, msg = s.docmd("X" * 5000)
    assert code == 500 and msg.startswith(b"5.5.2"), msg
    assert s.docmd("NOOP")[0] == 250  # still in step after the long line
    s.quit()


def test_message_too_big_and_over_quota(lc):
    a, b = user(lc), user(lc)
    lc.ctl("quota", "set", b, "MESSAGE=1")
    s = lmtp(lc)
    s.ehlo("mta")
    s.mail("f@x")
    s.rcpt("%s@x" % a)
    code, msg = s.data(b"Subject: big\r\n\r\n" + b"x" * 100 + b"\r\n" * (MAX // 2))
    assert code == 552 and msg.startswith(b"5.3.4"), (code, msg)
    # The first message fits the quota, the second not: 552 5.2.2 for that recipient only.
    for i in range(2):
        s.mail("f@x")
        s.rcpt("%s@x" % a)
        s.rcpt("%s@x" % b)
        code, msg = s.data(b"Subject: q%d\r\n\r\nx\r\n" % i)
        assert code == 250, msg
        code, msg = s.getreply()
        if i == 0:
            assert code == 250, msg
        else:
            assert code == 552 and msg.startswith(b"5.2.2"), (code, msg)
    s.quit()
    assert len(inbox(lc, a)) == 2 and len(inbox(lc, b)) == 1


def test_pipelined_transaction_raw(lc):
    a = user(lc)
    sock = socket.create_connection(("127.0.0.1", lc.lmtp_port), timeout=10)
    f = sock.makefile("rb")
    assert f.readline().startswith(b"220 ")
    sock.sendall(b"LHLO raw\r\nMAIL FROM:<>\r\nRCPT TO:<%s@x>\r\nRCPT TO:<%s@x>\r\nDATA\r\n" %
                 (a.encode(), a.encode()))
    lines = []
    while not lines or not lines[-1].startswith(b"354"):
        lines.append(f.readline())
    assert [l[:4] for l in lines if not l.startswith(b"250-")] == [b"250 ", b"250 ", b"250 ", b"250 ", b"354 "], lines
    sock.sendall(b"Subject: pipelined\r\n\r\n..\r\nnot the end\r\n.\r\nQUIT\r\n")
    assert f.readline().startswith(b"250 2.0.0")
    assert f.readline().startswith(b"250 2.0.0")
    assert f.readline().startswith(b"221 ")
    sock.close()
    msgs = inbox(lc, a)
    assert len(msgs) == 2 and msgs[0] == msgs[1], msgs
    assert msgs[0].endswith(b"Subject: pipelined\r\n\r\n.\r\nnot the end\r\n"), msgs[0]


def test_delivery_reaches_idle_session(lc):
    a = user(lc)
    r = imapwire.Raw(lc.host, lc.imap_port)
    r.login(a, "pw")
    r.ok("SELECT INBOX")
    r.send(b"I1 IDLE\r\n")
    assert r.read_line().startswith(b"+ ")
    s = lmtp(lc)
    s.ehlo("mta")
    assert s.sendmail("f@x", ["%s@x" % a], b"Subject: idle\r\n\r\nx\r\n") == {}
    s.quit()
    assert r.read_line(timeout=5) == b"* 1 EXISTS"
    assert r.read_line(timeout=5) == b"* 1 RECENT"
    r.send(b"DONE\r\n")
    assert r.read_line(timeout=5).startswith(b"I1 OK")
    r.close()


def test_statesvc_down_gives_temporary_failure(lc):
    a = user(lc)
    s = lmtp(lc)
    s.ehlo("mta")
    s.mail("f@x")
    assert s.rcpt("%s@x" % a)[0] == 250
    lc.statesvc.stop()
    try:
        code, msg = s.data(b"Subject: down\r\n\r\nx\r\n")
        assert code == 451 and msg.startswith(b"4."), (code, msg)
        s.mail("f@x")
        code, msg = s.rcpt("%s@x" % a)
        assert code == 451 and msg.startswith(b"4."), (code, msg)
        s.quit()
    finally:
        lc.start_statesvc()
