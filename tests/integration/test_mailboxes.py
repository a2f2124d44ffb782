"""Mailbox commands: SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB,
STATUS."""

import re

import pytest

import imapwire
from imapwire import status_of

DEFAULT_MAILBOXES = {"INBOX": None, "Drafts": "\\Drafts", "Sent": "\\Sent", "Trash": "\\Trash",
                     "Junk": "\\Junk", "Archive": "\\Archive"}

MSG = b"From: a@example.com\r\nSubject: m\r\n\r\nbody\r\n"


def list_of(raw, ref, pattern, cmd="LIST"):
    """{name: set of attributes} from LIST/LSUB, checking the delimiter is '/'."""
    untagged, tagged = raw.cmd('%s "%s" "%s"' % (cmd, ref, pattern))
    assert status_of(tagged) == "OK", tagged
    out = {}
    for u in untagged:
        assert u.startswith(b"* " + cmd.encode() + b" "), u
        vals = imapwire.parse_values(u[len(cmd) + 3:])
        assert len(vals) == 3, u
        attrs, delim, name = vals
        assert delim == b"/", "hierarchy delimiter %r in %r" % (delim, u)
        name = bytes(name).decode()
        assert name not in out, "mailbox listed twice: %r" % untagged
        out[name] = {bytes(a).decode().lower() for a in attrs}
    return out


def test_new_account_has_default_mailboxes_with_special_use(raw):
    boxes = list_of(raw, "", "*")
    assert set(boxes) == set(DEFAULT_MAILBOXES), boxes
    for name, use in DEFAULT_MAILBOXES.items():
        if use:
            assert use.lower() in boxes[name], "%s lacks %s: %s" % (name, use, boxes[name])


def test_list_empty_pattern_returns_delimiter(raw):
    untagged, tagged = raw.cmd('LIST "" ""')
    assert status_of(tagged) == "OK", tagged
    assert len(untagged) == 1, untagged
    vals = imapwire.parse_values(untagged[0][len(b"* LIST "):])
    assert [bytes(a).lower() for a in vals[0]] == [b"\\noselect"], untagged
    assert vals[1] == b"/" and vals[2] == b"", untagged


def test_select_inbox_responses(account):
    raw = account.raw()
    raw.cmd_literal("APPEND INBOX", MSG)
    raw.cmd_literal("APPEND INBOX (\\Seen)", MSG)
    untagged, tagged = raw.cmd("SELECT INBOX")
    assert re.match(rb"T\d+ OK \[READ-WRITE\]", tagged), tagged
    assert b"* 2 EXISTS" in untagged, untagged
    assert any(re.match(rb"\* \d+ RECENT$", u) for u in untagged), untagged
    flags = [u for u in untagged if u.startswith(b"* FLAGS (")]
    assert len(flags) == 1, untagged
    fl = {f.lower() for f in flags[0][9:-1].decode().split()}
    assert {"\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"} <= fl, flags
    assert untagged_codes(untagged, "UIDVALIDITY"), untagged
    assert untagged_codes(untagged, "UIDNEXT") == ["UIDNEXT 3"], untagged
    perm = untagged_codes(untagged, "PERMANENTFLAGS")
    assert len(perm) == 1 and "\\*" in perm[0], perm
    # UNSEEN: first unseen message's sequence number is 1
    unseen = untagged_codes(untagged, "UNSEEN")
    assert unseen in ([], ["UNSEEN 1"]), unseen


def untagged_codes(untagged, name):
    return imapwire.untagged_code(untagged, name)


def test_select_is_case_insensitive_for_inbox(raw):
    for name in ("inbox", "InBox", '"INBOX"'):
        _, tagged = raw.cmd("SELECT " + name)
        assert re.match(rb"T\d+ OK \[READ-WRITE\]", tagged), (name, tagged)


def test_examine_is_read_only(account):
    raw = account.raw()
    raw.cmd_literal("APPEND INBOX", MSG)
    untagged, tagged = raw.cmd("EXAMINE INBOX")
    assert re.match(rb"T\d+ OK \[READ-ONLY\]", tagged), tagged
    assert b"* 1 EXISTS" in untagged, untagged
    # A body fetch does not set \Seen in a read-only mailbox.
    raw.ok("FETCH 1 BODY[]")
    untagged, _ = raw.ok("FETCH 1 FLAGS")
    (_, d), = imapwire.fetches(untagged)
    assert "\\Seen" not in imapwire.flagset(d[b"FLAGS"]), untagged
    _, tagged = raw.cmd("STORE 1 +FLAGS (\\Deleted)")
    # RFC 3501 6.3.2: no change to the mailbox is permitted: NO, or OK that changed nothing
    assert status_of(tagged) in ("NO", "OK"), "STORE in EXAMINE: %r" % tagged
    untagged, _ = raw.ok("FETCH 1 FLAGS")
    (_, d), = imapwire.fetches(untagged)
    assert "\\Deleted" not in imapwire.flagset(d[b"FLAGS"]), untagged
    untagged, tagged = raw.cmd("EXPUNGE")
    assert status_of(tagged) in ("NO", "OK"), "EXPUNGE in EXAMINE: %r" % tagged
    assert not any(u.endswith(b" EXPUNGE") for u in untagged), untagged
    untagged, _ = raw.ok("STATUS INBOX (MESSAGES)")
    assert status_items(untagged, "INBOX") == {"MESSAGES": 1}, untagged


def test_select_missing_mailbox(raw):
    _, tagged = raw.cmd("SELECT NoSuchBox")
    assert re.match(rb"T\d+ NO \[NONEXISTENT\]", tagged), tagged
    _, tagged = raw.cmd("EXAMINE NoSuchBox")
    assert re.match(rb"T\d+ NO \[NONEXISTENT\]", tagged), tagged


def test_failed_select_leaves_selected_state(raw):
    raw.ok("SELECT INBOX")
    _, tagged = raw.cmd("SELECT NoSuchBox")
    assert status_of(tagged) == "NO", tagged
    # RFC 3501 6.3.1: a failed SELECT returns to the authenticated state
    _, tagged = raw.cmd("FETCH 1:* FLAGS")
    assert status_of(tagged) == "BAD", tagged


def test_create_and_list(raw):
    raw.ok("CREATE Projects")
    raw.ok('CREATE "With Space"')
    raw.ok("CREATE Projects/Hadron")
    boxes = list_of(raw, "", "*")
    assert {"Projects", "With Space", "Projects/Hadron"} <= set(boxes), boxes
    raw.ok('SELECT "With Space"')
    # % does not match the hierarchy delimiter
    top = list_of(raw, "", "%")
    assert "Projects" in top and "Projects/Hadron" not in top, top
    assert "\\haschildren" in top["Projects"], top
    sub = list_of(raw, "Projects/", "%")
    assert set(sub) == {"Projects/Hadron"}, sub
    assert "\\hasnochildren" in sub["Projects/Hadron"], sub


def test_create_with_missing_parents(raw):
    raw.ok("CREATE a/b/c")
    boxes = list_of(raw, "", "a*")
    assert "a/b/c" in boxes, boxes
    assert "a" in boxes and "a/b" in boxes, "superior names not created: %s" % boxes


def test_create_trailing_delimiter(raw):
    raw.ok("CREATE Folder/")
    boxes = list_of(raw, "", "Folder*")
    assert set(boxes) == {"Folder"}, boxes


def test_create_errors(raw):
    raw.ok("CREATE Dup")
    _, tagged = raw.cmd("CREATE Dup")
    assert status_of(tagged) == "NO", tagged
    _, tagged = raw.cmd("CREATE INBOX")
    assert status_of(tagged) == "NO", tagged
    _, tagged = raw.cmd("CREATE inbox")
    assert status_of(tagged) == "NO", tagged
    _, tagged = raw.cmd("CREATE")
    assert status_of(tagged) == "BAD", tagged


def test_delete(raw):
    raw.ok("CREATE Gone")
    raw.ok("DELETE Gone")
    assert "Gone" not in list_of(raw, "", "*")
    _, tagged = raw.cmd("DELETE Gone")
    assert re.match(rb"T\d+ NO \[NONEXISTENT\]", tagged), tagged
    _, tagged = raw.cmd("DELETE INBOX")
    assert status_of(tagged) == "NO", tagged


def test_delete_with_messages_then_recreate_has_new_uidvalidity(account):
    raw = account.raw()
    raw.ok("CREATE Box")
    raw.cmd_literal("APPEND Box", MSG)
    untagged, _ = raw.ok("STATUS Box (MESSAGES UIDVALIDITY UIDNEXT)")
    m = re.search(rb"UIDVALIDITY (\d+)", untagged[0])
    old_validity = int(m.group(1))
    raw.ok("DELETE Box")
    raw.ok("CREATE Box")
    untagged, _ = raw.ok("STATUS Box (MESSAGES UIDVALIDITY UIDNEXT)")
    assert b"MESSAGES 0" in untagged[0], untagged
    m = re.search(rb"UIDVALIDITY (\d+)", untagged[0])
    # RFC 3501 2.3.1.1: a new mailbox with the same name must not reuse UIDVALIDITY with
    # UIDs that could collide: either a new UIDVALIDITY or UIDNEXT kept beyond the old UIDs.
    if int(m.group(1)) == old_validity:
        assert re.search(rb"UIDNEXT ([2-9]|\d\d+)", untagged[0]), untagged


def test_delete_parent_with_children(raw):
    raw.ok("CREATE P")
    raw.ok("CREATE P/C")
    raw.ok("DELETE P")
    boxes = list_of(raw, "", "*")
    assert "P/C" in boxes, boxes
    # RFC 3501 6.3.4: the parent becomes \Noselect (or vanishes from the list if it had no children)
    if "P" in boxes:
        assert "\\noselect" in boxes["P"], boxes


def test_rename_moves_children(raw):
    raw.ok("CREATE Old")
    raw.ok("CREATE Old/Child")
    raw.ok("CREATE Old/Child/Grand")
    raw.cmd_literal("APPEND Old/Child", MSG)
    raw.ok("RENAME Old New")
    boxes = list_of(raw, "", "*")
    assert {"New", "New/Child", "New/Child/Grand"} <= set(boxes), boxes
    assert not {"Old", "Old/Child", "Old/Child/Grand"} & set(boxes), boxes
    untagged, _ = raw.ok("STATUS New/Child (MESSAGES)")
    assert untagged == [b'* STATUS New/Child (MESSAGES 1)'] or \
        untagged == [b'* STATUS "New/Child" (MESSAGES 1)'], untagged


def test_rename_errors(raw):
    _, tagged = raw.cmd("RENAME Missing Other")
    assert re.match(rb"T\d+ NO \[NONEXISTENT\]", tagged), tagged
    raw.ok("CREATE A1")
    raw.ok("CREATE B1")
    _, tagged = raw.cmd("RENAME A1 B1")
    assert status_of(tagged) == "NO", tagged
    _, tagged = raw.cmd("RENAME A1 INBOX")
    assert status_of(tagged) == "NO", tagged


def test_rename_inbox_moves_messages(account):
    raw = account.raw()
    raw.cmd_literal("APPEND INBOX", MSG)
    raw.cmd_literal("APPEND INBOX", MSG)
    raw.ok("RENAME INBOX OldInbox")
    boxes = list_of(raw, "", "*")
    assert "INBOX" in boxes and "OldInbox" in boxes, boxes
    untagged, _ = raw.ok("STATUS INBOX (MESSAGES)")
    assert b"(MESSAGES 0)" in untagged[0], untagged
    untagged, _ = raw.ok("STATUS OldInbox (MESSAGES)")
    assert b"(MESSAGES 2)" in untagged[0], untagged


def test_subscribe_lsub_unsubscribe(raw):
    raw.ok("CREATE Sub1")
    raw.ok("CREATE Sub1/Deep")
    raw.ok("SUBSCRIBE Sub1/Deep")
    subs = list_of(raw, "", "*", cmd="LSUB")
    assert "Sub1/Deep" in subs, subs
    assert "Sub1" not in subs or "\\noselect" in subs["Sub1"], subs
    # LSUB with % reports an unsubscribed parent of a subscribed child as \Noselect
    top = list_of(raw, "", "Sub1%", cmd="LSUB")
    assert "Sub1" in top and "\\noselect" in top["Sub1"], top
    raw.ok("UNSUBSCRIBE Sub1/Deep")
    subs = list_of(raw, "", "Sub1*", cmd="LSUB")
    assert subs == {}, subs


def test_lsub_after_delete_and_subscribe_missing(raw):
    raw.ok("CREATE Temp")
    raw.ok("SUBSCRIBE Temp")
    raw.ok("DELETE Temp")
    # RFC 3501 6.3.6: subscriptions may outlive the mailbox; LIST must not show it
    assert "Temp" not in list_of(raw, "", "*")
    _, tagged = raw.cmd("UNSUBSCRIBE NeverSubscribed")
    assert status_of(tagged) in ("OK", "NO"), tagged


def status_items(untagged, mailbox):
    assert len(untagged) == 1, untagged
    m = re.match(rb'\* STATUS ("?)' + re.escape(mailbox.encode()) + rb'\1 \((.*)\)$', untagged[0])
    assert m, "unexpected STATUS response %r" % untagged
    vals = m.group(2).split()
    assert len(vals) % 2 == 0, untagged
    return {k.decode().upper(): int(v) for k, v in zip(vals[0::2], vals[1::2])}


def test_status(account):
    raw = account.raw()
    raw.ok("CREATE S")
    raw.cmd_literal("APPEND S", MSG)
    raw.cmd_literal("APPEND S (\\Seen)", MSG)
    raw.cmd_literal("APPEND S", MSG)
    untagged, tagged = raw.cmd("STATUS S (MESSAGES UIDNEXT UNSEEN)")
    assert status_of(tagged) == "OK", tagged
    assert status_items(untagged, "S") == {"MESSAGES": 3, "UIDNEXT": 4, "UNSEEN": 2}, untagged
    untagged, _ = raw.ok("STATUS S (UIDVALIDITY RECENT)")
    items = status_items(untagged, "S")
    assert set(items) == {"UIDVALIDITY", "RECENT"} and items["UIDVALIDITY"] > 0, untagged
    # nobody selected S: all three are recent (RFC 3501 2.3.2)
    assert items["RECENT"] == 3, untagged
    _, tagged = raw.cmd("STATUS Missing (MESSAGES)")
    assert re.match(rb"T\d+ NO \[NONEXISTENT\]", tagged), tagged


def test_status_of_special_characters_quoted(raw):
    raw.ok('CREATE "Has Space"')
    untagged, _ = raw.ok('STATUS "Has Space" (MESSAGES)')
    assert untagged == [b'* STATUS "Has Space" (MESSAGES 0)'], untagged


def test_list_mailbox_names_with_utf7(raw):
    # modified UTF-7 names round-trip unchanged (the server stores what the client sent)
    raw.ok('CREATE "Entw&APw-rfe"')
    assert "Entw&APw-rfe" in list_of(raw, "", "*")
