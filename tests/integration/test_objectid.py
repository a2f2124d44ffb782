"""OBJECTID (RFC 8474): MAILBOXID (SELECT/EXAMINE code, STATUS, CREATE's tagged OK), EMAILID and
THREADID (FETCH items, SEARCH keys). MAILBOXID survives RENAME; EMAILID survives COPY and MOVE;
THREADID follows References / In-Reply-To / Message-ID of the account's earlier messages."""

import re

import imapwire
from conftest import requires_hadron

OBJECTID = rb"[A-Za-z0-9_-]{1,255}"


def mailboxid_of_create(tagged):
    m = re.search(rb"OK \[MAILBOXID \((" + OBJECTID + rb")\)\]", tagged)
    assert m, tagged
    return m.group(1)


def status_mailboxid(r, name):
    untagged, _ = r.ok("STATUS %s (MAILBOXID)" % name)
    m = re.search(rb"MAILBOXID \((" + OBJECTID + rb")\)", untagged[0])
    assert m, untagged
    return m.group(1)


def select_mailboxid(r, name, verb="SELECT"):
    untagged, _ = r.ok("%s %s" % (verb, name))
    codes = imapwire.untagged_code(untagged, "MAILBOXID")
    assert len(codes) == 1, untagged
    m = re.fullmatch(r"MAILBOXID \(([A-Za-z0-9_-]{1,255})\)", codes[0])
    assert m, codes
    return m.group(1).encode()


def ids(r, set_="1:*", uid=True):
    untagged, _ = r.ok("%sFETCH %s (UID EMAILID THREADID)" % ("UID " if uid else "", set_))
    out = {}
    for _, d in imapwire.fetches(untagged):
        e, t = d[b"EMAILID"], d[b"THREADID"]
        assert isinstance(e, list) and len(e) == 1 and re.fullmatch(OBJECTID, bytes(e[0])), d
        assert isinstance(t, list) and len(t) == 1 and re.fullmatch(OBJECTID, bytes(t[0])), d
        out[int(d[b"UID"])] = (bytes(e[0]), bytes(t[0]))
    return out


def mail(subject, message_id=None, in_reply_to=None, references=None, body=b"hello"):
    h = b"From: a@example.org\r\nSubject: " + subject + b"\r\n"
    if message_id:
        h += b"Message-ID: <" + message_id + b">\r\n"
    if in_reply_to:
        h += b"In-Reply-To: <" + in_reply_to + b">\r\n"
    if references:
        h += b"References: " + b" ".join(b"<" + x + b">" for x in references) + b"\r\n"
    return h + b"\r\n" + body + b"\r\n"


def test_capability(raw):
    untagged, _ = raw.ok("CAPABILITY")
    assert b"OBJECTID" in untagged[0].split(), untagged


def test_mailboxid_create_select_status_rename(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    # RFC 8474 4.1: C: 3 create foo  S: 3 OK [MAILBOXID (F2212ea87-...)] Completed
    _, tagged = r.ok("CREATE foo")
    foo = mailboxid_of_create(tagged)
    _, tagged = r.ok("CREATE bar")
    bar = mailboxid_of_create(tagged)
    assert foo != bar
    assert status_mailboxid(r, "foo") == foo
    assert select_mailboxid(r, "foo") == foo
    assert select_mailboxid(r, "bar", "EXAMINE") == bar
    r.ok("CLOSE")
    # RFC 8474 4.2: RENAME keeps the MAILBOXID ...
    r.ok("CREATE foo/child")
    child = status_mailboxid(r, "foo/child")
    r.ok("RENAME foo renamed")
    assert status_mailboxid(r, "renamed") == foo
    assert status_mailboxid(r, "renamed/child") == child
    # ... and a new mailbox under the old name gets a new one; ids are never reused.
    _, tagged = r.ok("CREATE foo")
    foo2 = mailboxid_of_create(tagged)
    assert foo2 not in (foo, bar, child)
    r.ok("DELETE bar")
    _, tagged = r.ok("CREATE bar")
    assert mailboxid_of_create(tagged) != bar
    # Every default mailbox has its own id.
    names = ["INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"]
    got = {status_mailboxid(r, n) for n in names}
    assert len(got) == len(names)
    # RENAME INBOX: INBOX keeps its id, the new mailbox gets a new one (RFC 8474 4.2).
    inbox = status_mailboxid(r, "INBOX")
    r.ok("RENAME INBOX OldInbox")
    assert status_mailboxid(r, "INBOX") == inbox
    assert status_mailboxid(r, "OldInbox") not in got


def test_emailid_kept_by_copy_and_move(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    r.cmd_literal("APPEND INBOX", mail(b"one", b"one@x"))
    r.cmd_literal("APPEND INBOX", mail(b"two", b"two@x"))
    r.cmd_literal("APPEND INBOX", mail(b"three", b"three@x"))
    r.ok("SELECT INBOX")
    before = ids(r)
    assert len({e for e, _ in before.values()}) == 3  # different messages, different EMAILIDs
    r.ok("COPY 1 Archive")
    r.ok("MOVE 2 Trash")
    after_inbox = ids(r)
    assert after_inbox == {1: before[1], 3: before[3]}
    r.ok("SELECT Archive")
    assert [v[0] for v in ids(r).values()] == [before[1][0]]
    r.ok("SELECT Trash")
    trash = ids(r)
    assert list(trash.values()) == [before[2]]
    # A further MOVE back keeps it too; sequence-number FETCH answers the same.
    r.ok("MOVE 1 INBOX")
    r.ok("SELECT INBOX")
    again = ids(r, "1:*", uid=False)
    assert sorted(v[0] for v in again.values()) == sorted(v[0] for v in before.values())
    # The RFC 8474 5.1 example form: FETCH 1:* (EMAILID)
    untagged, _ = r.ok("FETCH 1 (EMAILID)")
    assert re.fullmatch(rb"\* 1 FETCH \(EMAILID \(" + OBJECTID + rb"\)\)", untagged[0]), untagged


def test_threadid_from_references(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    r.cmd_literal("APPEND INBOX", mail(b"root", b"root@x"))
    r.cmd_literal("APPEND INBOX", mail(b"other", b"other@x"))
    r.cmd_literal("APPEND Sent", mail(b"Re: root", b"reply@x", in_reply_to=b"root@x"))
    r.cmd_literal("APPEND INBOX", mail(b"Re: Re: root", b"reply2@x", in_reply_to=b"reply@x",
                                      references=[b"root@x", b"reply@x"]))
    # A reply whose parent arrives later: the parent joins the reply's thread.
    r.cmd_literal("APPEND INBOX", mail(b"Re: late", b"late-reply@x", references=[b"late@x"]))
    r.cmd_literal("APPEND INBOX", mail(b"late", b"late@x"))
    r.ok("SELECT INBOX")
    m = ids(r)
    root_t = m[1][1]
    assert m[2][1] != root_t
    assert m[3][1] == root_t
    assert m[4][1] == m[5][1] != root_t
    assert m[4][1] != m[2][1]
    r.ok("SELECT Sent")
    assert list(ids(r).values())[0][1] == root_t  # threads span mailboxes
    # SEARCH THREADID / EMAILID (RFC 8474 6).
    r.ok("SELECT INBOX")
    untagged, _ = r.ok("UID SEARCH THREADID %s" % root_t.decode())
    assert imapwire.search_result(untagged) == [1, 3]
    untagged, _ = r.ok("SEARCH EMAILID %s" % m[2][0].decode())
    assert imapwire.search_result(untagged) == [2]
    untagged, _ = r.ok("SEARCH OR EMAILID %s THREADID %s" % (m[2][0].decode(), m[4][1].decode()))
    assert imapwire.search_result(untagged) == [2, 4, 5]
    untagged, _ = r.ok("SEARCH EMAILID Enosuchid")
    assert imapwire.search_result(untagged) == []
    for bad in ("SEARCH EMAILID", "SEARCH EMAILID a.b", "SEARCH THREADID " + "x" * 256):
        _, tagged = r.cmd(bad)
        assert tagged.split()[1] == b"BAD", (bad, tagged)
    # A copy of a thread member stays in its thread.
    r.ok("COPY 4 Archive")
    r.ok("SELECT Archive")
    assert list(ids(r).values()) == [m[4]]


def test_identical_appends_share_emailid(cluster, account):
    """Content-addressed: two separately APPENDed identical messages share an EMAILID (RFC 8474
    5.1 allows it); delivery through the public API gets the same."""
    requires_hadron(cluster)
    r = account.raw()
    data = mail(b"same", b"same@x")
    r.cmd_literal("APPEND INBOX", data)
    r.cmd_literal("APPEND INBOX", data)
    cluster.ctl("deliver", account.name, input=data)
    r.ok("SELECT INBOX")
    m = ids(r)
    assert len(m) == 3 and len(set(m.values())) == 1, m
