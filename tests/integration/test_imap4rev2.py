"""IMAP4rev2 (RFC 9051) next to IMAP4rev1: advertised together, selected with ENABLE.

After ENABLE IMAP4rev2 the session follows RFC 9051: no \\Recent (no RECENT response, no \\Recent
flag, no STATUS RECENT), SELECT answers with a LIST response and without UNSEEN, SEARCH answers
with ESEARCH, STATUS knows DELETED and SIZE, LIST gives \\NonExistent and the child attributes,
mailbox names are UTF-8. A session that does not enable it keeps the IMAP4rev1 answers.

Built from RFC 9051's examples (sections 6.3.x, 6.4.4), with the interaction cases around them
(another session's APPEND, a legacy session next to a rev2 one, UNAUTHENTICATE). Dovecot 2.3.19
does not implement IMAP4rev2 (its ENABLE IMAP4rev2 enables nothing), so these are Hadron-only;
where RFC 9051 leaves room the rev1 behaviour Dovecot has is kept (e.g. LSUB, CHECK, RFC822.*
and SEARCH RECENT/NEW/OLD are still accepted).
"""

import re

from conftest import requires_hadron
from imapwire import fetches, parse_values, status_of


def msg(i):
    return b"From: a@example.com\r\nSubject: r%d\r\n\r\nbody %d\r\n" % (i, i)


def caps(untagged):
    line = [u for u in untagged if u.startswith(b"* CAPABILITY ")][0]
    return set(line.split()[2:])


def rev2(account, select=None):
    r = account.raw()
    untagged, _ = r.ok("ENABLE IMAP4rev2")
    assert untagged == [b"* ENABLED IMAP4rev2"], untagged
    if select:
        r.ok("SELECT " + select)
    return r


def status_items(line):
    """'* STATUS name (A 1 B 2)' -> {b'A': 1, ...}."""
    items = line[line.rindex(b"(") + 1:line.rindex(b")")].split()
    return {items[i]: int(items[i + 1]) for i in range(0, len(items), 2)}


def list_lines(untagged):
    """LIST lines -> {name: set of attributes} (quoted names unquoted)."""
    out = {}
    for u in untagged:
        m = re.match(rb'\* LIST \(([^)]*)\) "/" (.*)$', u)
        if m:
            name = m.group(2)
            if name.startswith(b'"'):
                name = name[1:-1]
            out[name.decode()] = {x.decode() for x in m.group(1).split()}
    return out


def test_both_revisions_advertised_with_rev2_prerequisites(cluster, account):
    requires_hadron(cluster)
    pre = cluster.raw()
    c = caps(pre.ok("CAPABILITY")[0])
    pre.close()
    assert {b"IMAP4rev1", b"IMAP4rev2"} <= c, c
    r = account.raw()
    c = caps(r.ok("CAPABILITY")[0])
    assert {b"IMAP4rev1", b"IMAP4rev2"} <= c
    # RFC 9051 7.2.2: an IMAP4rev2 server supports these (its base set).
    for need in [b"NAMESPACE", b"UNSELECT", b"UIDPLUS", b"ESEARCH", b"SEARCHRES", b"ENABLE",
                 b"IDLE", b"SASL-IR", b"LIST-EXTENDED", b"LIST-STATUS", b"MOVE", b"BINARY",
                 b"SPECIAL-USE", b"STATUS=SIZE"]:
        assert need in c, need
    assert b"LITERAL+" in c or b"LITERAL-" in c


def test_enable_rev2_rfc_example_and_state(cluster, account):
    # RFC 9051 6.3.1: ENABLE lists what it enabled; unknown names are ignored.
    requires_hadron(cluster)
    r = account.raw()
    untagged, tagged = r.ok("ENABLE X-GOOD-IDEA IMAP4rev2")
    assert untagged == [b"* ENABLED IMAP4rev2"], untagged
    # ENABLE before authentication is a BAD (RFC 5161 3.1: authenticated state only).
    pre = cluster.raw()
    _, tagged = pre.cmd("ENABLE IMAP4rev2")
    assert status_of(tagged) == "BAD", tagged
    pre.close()


def test_rev2_select_rfc_example(cluster, account):
    # RFC 9051 6.3.2's example: EXISTS, UIDVALIDITY, UIDNEXT, FLAGS, PERMANENTFLAGS and the LIST
    # response; no RECENT and no UNSEEN (both removed from IMAP4rev2).
    requires_hadron(cluster)
    r = account.raw()
    for i in range(3):
        r.cmd_literal("APPEND INBOX", msg(i))
    r.ok("ENABLE IMAP4rev2")
    untagged, tagged = r.ok("SELECT INBOX")
    text = b"\n".join(untagged)
    assert b"* 3 EXISTS" in untagged
    assert b"RECENT" not in text and b"[UNSEEN" not in text, untagged
    assert b'* LIST () "/" "INBOX"' in untagged or b'* LIST () "/" INBOX' in untagged, untagged
    assert re.search(rb"\* OK \[UIDVALIDITY \d+\]", text) and b"[UIDNEXT 4]" in text
    flags = [u for u in untagged if u.startswith(b"* FLAGS ")]
    assert flags and b"\\Recent" not in flags[0], untagged
    assert any(u.startswith(b"* OK [PERMANENTFLAGS (") for u in untagged), untagged
    assert b"[READ-WRITE]" in tagged, tagged
    # EXAMINE: the same, READ-ONLY; selecting again closes the previous mailbox first.
    untagged, tagged = r.ok("EXAMINE Archive")
    assert untagged[0].startswith(b"* OK [CLOSED]"), untagged
    assert b'* LIST () "/" "Archive"' in untagged or b'* LIST () "/" Archive' in untagged
    assert b"[READ-ONLY]" in tagged, tagged


def test_rev2_session(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    for i in range(3):
        r.cmd_literal("APPEND INBOX", msg(i))
    untagged, _ = r.ok("ENABLE IMAP4rev2")
    assert b"* ENABLED IMAP4rev2" in untagged
    untagged, tagged = r.ok("SELECT INBOX")
    assert b"* 3 EXISTS" in untagged
    untagged, _ = r.ok("FETCH 1:* (FLAGS)")
    assert len(untagged) == 3 and not any(b"\\Recent" in u for u in untagged), untagged
    # SEARCH answers with ESEARCH (RFC 9051 6.4.4).
    untagged, _ = r.ok("SEARCH ALL")
    assert not any(u.startswith(b"* SEARCH") for u in untagged), untagged
    es = [u for u in untagged if u.startswith(b"* ESEARCH")]
    assert len(es) == 1 and re.search(rb"ALL 1:3", es[0]), untagged
    # New mail from another session: EXISTS alone, and no \Recent on it.
    other = account.raw(select="INBOX")
    other.cmd_literal("APPEND INBOX", msg(9))
    untagged, _ = r.ok("NOOP")
    assert b"* 4 EXISTS" in untagged and not any(b"RECENT" in u for u in untagged), untagged
    untagged, _ = r.ok("FETCH 4 (FLAGS)")
    assert not any(b"\\Recent" in u for u in untagged), untagged
    # STATUS DELETED and SIZE (RFC 9051 6.3.11), also on the selected mailbox.
    r.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    untagged, _ = r.ok("STATUS INBOX (MESSAGES DELETED SIZE)")
    st = status_items([u for u in untagged if u.startswith(b"* STATUS")][0])
    assert st[b"MESSAGES"] == 4 and st[b"DELETED"] == 1, st
    assert st[b"SIZE"] == sum(len(msg(i)) for i in (0, 1, 2, 9))
    # RECENT is not an IMAP4rev2 STATUS item, in STATUS nor in LIST-STATUS.
    _, tagged = r.cmd("STATUS INBOX (MESSAGES RECENT)")
    assert status_of(tagged) == "BAD", tagged
    _, tagged = r.cmd('LIST "" "INBOX" RETURN (STATUS (RECENT))')
    assert status_of(tagged) == "BAD", tagged


def test_rev2_status_rfc_example(cluster, account):
    # RFC 9051 6.3.11: STATUS blurdybloop (UIDNEXT MESSAGES).
    requires_hadron(cluster)
    r = rev2(account)
    r.ok("CREATE blurdybloop")
    for i in range(2):
        r.cmd_literal("APPEND blurdybloop", msg(i))
    untagged, _ = r.ok("STATUS blurdybloop (UIDNEXT MESSAGES)")
    assert len(untagged) == 1 and untagged[0].startswith(b'* STATUS "blurdybloop" (') or \
        untagged[0].startswith(b"* STATUS blurdybloop ("), untagged
    assert status_items(untagged[0]) == {b"UIDNEXT": 3, b"MESSAGES": 2}, untagged


def test_rev2_search_rfc_examples(cluster, account):
    # RFC 9051 6.4.4: RETURN (MIN COUNT), RETURN (), no match, an unknown charset.
    requires_hadron(cluster)
    r = account.raw()
    for i in range(4):
        r.cmd_literal("APPEND INBOX", msg(i))
    r.ok("ENABLE IMAP4rev2")
    r.ok("SELECT INBOX")
    r.ok("STORE 2,4 +FLAGS.SILENT (\\Flagged)")
    tag = r.next_tag()
    r.send('%s SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n' % tag)
    untagged, tagged = r.collect(tag)
    assert untagged == [b'* ESEARCH (TAG "%s") MIN 2 COUNT 2' % tag.encode()], untagged
    tag = r.next_tag()
    r.send('%s SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n' % tag)
    untagged, tagged = r.collect(tag)
    assert untagged == [b'* ESEARCH (TAG "%s") ALL 2,4' % tag.encode()], untagged
    tag = r.next_tag()
    r.send('%s SEARCH TEXT "string not in mailbox"\r\n' % tag)
    untagged, tagged = r.collect(tag)
    assert untagged == [b'* ESEARCH (TAG "%s")' % tag.encode()], untagged
    # UID SEARCH: the UID indicator (RFC 4731 / 9051 7.3.4).
    untagged, _ = r.ok("UID SEARCH FLAGGED")
    assert re.fullmatch(rb'\* ESEARCH \(TAG "T\d+"\) UID ALL 2,4', untagged[0]), untagged
    # IMAP4rev2 keeps SEARCH CHARSET (only UTF8=ACCEPT forbids it): UTF-8 is known, others not.
    r.ok("SEARCH CHARSET UTF-8 TEXT r1")
    _, tagged = r.cmd('SEARCH CHARSET WHATEVER TEXT "foo"')
    assert status_of(tagged) == "NO" and b"[BADCHARSET" in tagged, tagged
    # RETURN (SAVE) answers nothing; $ then refers to the saved result (SEARCHRES is base).
    untagged, _ = r.ok("SEARCH RETURN (SAVE) FLAGGED")
    assert untagged == [], untagged
    untagged, _ = r.ok("FETCH $ (UID)")
    assert len(untagged) == 2, untagged


def test_rev2_list_rules(cluster, account):
    # RFC 9051 6.3.9: LIST "" "" gives the delimiter; \NonExistent for names that exist only
    # as parents; \HasChildren / \HasNoChildren always.
    requires_hadron(cluster)
    r = rev2(account)
    untagged, _ = r.ok('LIST "" ""')
    assert untagged == [b'* LIST (\\Noselect) "/" ""'], untagged
    r.ok("CREATE blurdybloop")
    r.ok("CREATE foo/bar")
    got = list_lines(r.ok('LIST "" "*"')[0])
    assert {"\\HasNoChildren"} <= got["blurdybloop"], got
    assert {"\\HasChildren"} <= got["foo"] and "\\NonExistent" not in got["foo"], got
    assert {"\\HasNoChildren"} <= got["foo/bar"], got
    # RFC 9051 6.3.5's second example: DELETE foo keeps foo/bar; foo is then \NonExistent
    # with \HasChildren.
    r.ok("DELETE blurdybloop")
    r.ok("DELETE foo")
    got = list_lines(r.ok('LIST "" "*"')[0])
    # The RFC's A85 omits foo under "*" (its child is listed anyway); listed, it must say so.
    assert "blurdybloop" not in got and ("foo" not in got or "\\NonExistent" in got["foo"]), got
    assert {"\\HasNoChildren"} <= got["foo/bar"], got
    got = list_lines(r.ok('LIST "" "%"')[0])
    assert got["foo"] == {"\\NonExistent", "\\HasChildren"}, got
    # The same name in a rev1 session: \Noselect (RFC 3501 wording), as Dovecot.
    legacy = account.raw()
    got = list_lines(legacy.ok('LIST "" "%"')[0])
    assert "\\Noselect" in got["foo"] and "\\NonExistent" not in got["foo"], got
    # DELETE of a name that exists only as a parent: NO (RFC 9051 6.3.5's first example).
    _, tagged = r.cmd("DELETE foo")
    assert status_of(tagged) == "NO", tagged


def test_rev2_rename_rfc_example(cluster, account):
    # RFC 9051 6.3.6: renaming a hierarchy moves the inferior names along.
    requires_hadron(cluster)
    r = rev2(account)
    r.ok("CREATE blurdybloop")
    r.ok("CREATE foo")
    r.ok("CREATE foo/bar")
    r.ok("RENAME blurdybloop sarasoop")
    r.ok("RENAME foo zowie")
    got = list_lines(r.ok('LIST "" "*"')[0])
    for gone in ("blurdybloop", "foo", "foo/bar"):
        assert gone not in got, got
    assert "sarasoop" in got and "zowie/bar" in got and "\\HasChildren" in got["zowie"], got


def test_rev2_create_oldname(cluster, account):
    # RFC 9051 6.3.4 / 6.3.9.7: a name the server normalized is announced with OLDNAME.
    requires_hadron(cluster)
    r = rev2(account)
    untagged, _ = r.ok("CREATE inbox/sub")
    assert untagged == [b'* LIST () "/" "INBOX/sub" ("OLDNAME" ("inbox/sub"))'], untagged
    untagged, _ = r.ok("CREATE plain")
    assert untagged == [], untagged


def test_rev2_namespace_rfc_example(cluster, account):
    # RFC 9051 6.3.10: a server with a personal namespace only.
    requires_hadron(cluster)
    r = rev2(account)
    untagged, _ = r.ok("NAMESPACE")
    assert untagged == [b'* NAMESPACE (("" "/")) NIL NIL'], untagged


def test_rev2_utf8_mailbox_names(cluster, account):
    # RFC 9051 5.1: mailbox names are UTF-8 in IMAP4rev2 (stored as modified UTF-7, so an
    # IMAP4rev1 session sees the same mailbox in that form).
    requires_hadron(cluster)
    r = rev2(account)
    legacy = account.raw()
    r.ok(b'CREATE "Entw\xc3\xbcrfe & Co"')
    got = list_lines(legacy.ok('LIST "" "Entw*"')[0])
    assert list(got) == ["Entw&APw-rfe &- Co"], got
    untagged, _ = r.ok('LIST "" "Entw*"')
    assert any(b"Entw\xc3\xbcrfe & Co" in u for u in untagged), untagged
    r.cmd_literal(b'APPEND "Entw\xc3\xbcrfe & Co"', msg(1))
    untagged, _ = r.ok(b'SELECT "Entw\xc3\xbcrfe & Co"')
    assert any(u.startswith(b"* LIST () \"/\"") and b"Entw\xc3\xbcrfe & Co" in u
               for u in untagged), untagged
    untagged, _ = legacy.ok('STATUS "Entw&APw-rfe &- Co" (MESSAGES)')
    assert status_items(untagged[0]) == {b"MESSAGES": 1}, untagged
    # Invalid UTF-8 is a BAD, not a stored name.
    _, tagged = r.cmd(b'CREATE "bad\xff"')
    assert status_of(tagged) == "BAD", tagged


def test_rev2_fetch_has_no_recent_while_rev1_does(cluster, account):
    # The same new message: \Recent for the rev1 session that claims it, never for rev2.
    requires_hadron(cluster)
    r = rev2(account)
    legacy = account.raw()
    r.cmd_literal("APPEND INBOX", msg(1))
    untagged, _ = r.ok("SELECT INBOX")
    untagged, _ = r.ok("FETCH 1 (FLAGS)")
    assert not any(b"\\Recent" in u for u in untagged), untagged
    r.ok("UNSELECT")
    legacy.cmd_literal("APPEND INBOX", msg(2))
    untagged, _ = legacy.ok("SELECT INBOX")
    assert any(re.fullmatch(rb"\* [12] RECENT", u) for u in untagged), untagged
    untagged, _ = legacy.ok("SEARCH RECENT")
    assert untagged[0].startswith(b"* SEARCH"), untagged


def test_rev2_forgotten_by_unauthenticate(cluster, account):
    requires_hadron(cluster)
    r = rev2(account)
    r.cmd_literal("APPEND INBOX", msg(1))
    r.ok("UNAUTHENTICATE")
    r.login(account.name, account.password)
    untagged, _ = r.ok("SELECT INBOX")
    assert any(u.endswith(b" RECENT") for u in untagged), untagged
    untagged, _ = r.ok("SEARCH ALL")
    assert untagged == [b"* SEARCH 1"], untagged


def test_rev1_session_unchanged(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    r.cmd_literal("APPEND INBOX", msg(0))
    untagged, _ = r.ok("SELECT INBOX")
    assert b"* 1 RECENT" in untagged and not any(u.startswith(b"* LIST") for u in untagged)
    untagged, _ = r.ok("SEARCH ALL")
    assert b"* SEARCH 1" in untagged
    _, tagged = r.cmd("ENABLE NOSUCHTHING")
    assert status_of(tagged) == "OK"
