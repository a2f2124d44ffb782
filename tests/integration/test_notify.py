"""NOTIFY (RFC 5465): events for the selected and for other mailboxes, between commands and in
IDLE, from changes made on another frontend, by the public API's delivery and by this session.

The watching session A is on frontend 1; changes come from session B on frontend 2 (another
process, so they reach A only through the statesvc's Watch stream), from `hadronctl deliver`,
or from A itself. Every test runs on one statesvc and again on the sharded cluster of
scripts/cluster.sh (see the two_frontends fixture). Response shapes follow RFC 5465's examples; where the RFC leaves room, what
Dovecot 2.3 sends (checked with mailbox_list_index = yes): `* LIST () "/" name` for a new
mailbox, `(\\NonExistent)` for a deleted one, `("OLDNAME" (old))` after RENAME, `(\\Subscribed)`
/ `()` for (un)subscribe, STATUS (MESSAGES UIDNEXT UNSEEN [HIGHESTMODSEQ]) after new or expunged
messages and STATUS (UNSEEN [HIGHESTMODSEQ]) after a flag change.
"""

import re
import time

import pytest

from conftest import requires_hadron, two_frontend_cluster

WAIT = 10.0  # seconds a notification may take (it normally takes milliseconds)
QUIET = 1.0  # seconds of silence that show nothing was sent


def msg(i, subject="hello"):
    return ("From: a%d@example.com\r\nTo: b@example.com\r\nSubject: %s %d\r\n"
            "Message-ID: <n%d.%f@example.com>\r\n\r\nbody %d\r\n" % (
                i, subject, i, i, time.time(), i)).encode()


def append(r, box, i, flags=""):
    untagged, tagged = r.cmd_literal("APPEND %s %s" % (box, flags) if flags else "APPEND " + box,
                                     msg(i))
    assert b" OK " in tagged, tagged
    return tagged


def wait_for(r, pattern, timeout=WAIT):
    """Reads untagged responses until one matches `pattern` (bytes regex); returns the match and
    everything read before it."""
    rx = re.compile(pattern)
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no %r within %.0fs; got %r" % (pattern, timeout, seen))
        try:
            line = r.read_response(timeout=left)
        except OSError as e:  # socket.timeout
            raise AssertionError("no %r within %.0fs; got %r (%s)" % (pattern, timeout, seen, e))
        seen.append(line)
        if rx.search(line):
            return line, seen


def quiet(r, t=QUIET):
    """Everything the server sends within t seconds (expected: nothing)."""
    out = []
    deadline = time.monotonic() + t
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        try:
            out.append(r.read_response(timeout=left))
        except OSError:
            return out


# Every test runs twice: one statesvc behind two frontends, and scripts/cluster.sh's sharded
# cluster (2 statesvc shards, 3 frontends), where A and B talk to frontend0 and frontend1
# directly (not through haproxy, so they are surely on two frontends) and the account's
# events reach frontend0 only through its shard's Watch stream (shared_account alternates the
# shards, so both shards are covered).
@pytest.fixture(scope="module", params=["direct", "sharded-2shards-3fe"])
def two_frontends(request):
    yield from two_frontend_cluster(request.param, frontends_direct=True)


@pytest.fixture
def ab(two_frontends, shared_account):
    requires_hadron(two_frontends)
    a = shared_account.raw(fe=0)
    b = shared_account.raw(fe=1)
    return a, b, shared_account


PERSONAL_ALL = ("(personal (MessageNew MessageExpunge FlagChange MailboxName "
                "SubscriptionChange))")


def test_capability_lists_notify_after_login(ab):
    a, _, _ = ab
    untagged, _ = a.ok("CAPABILITY")
    assert b" NOTIFY" in untagged[0]


def test_status_for_other_mailbox_changed_on_another_frontend(ab):
    """RFC 5465 5.2/5.3: MessageNew/MessageExpunge in a non-selected mailbox give a STATUS with
    MESSAGES and UIDNEXT, sent while no command is in progress."""
    a, b, _ = ab
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge)) " + PERSONAL_ALL)
    append(b, "Archive", 1)
    line, _ = wait_for(a, rb'^\* STATUS "?Archive"? ')
    assert line == b'* STATUS "Archive" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)', line
    # An expunge made by B: MESSAGES drops, UIDNEXT stays.
    b.ok("SELECT Archive")
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    # The flag change alone (FlagChange): UNSEEN did not change, no CONDSTORE: nothing to say.
    b.ok("EXPUNGE")
    line, _ = wait_for(a, rb'^\* STATUS "?Archive"? \(MESSAGES 0')
    assert line == b'* STATUS "Archive" (MESSAGES 0 UIDNEXT 2 UNSEEN 0)', line
    # The selected mailbox is never reported by STATUS: its changes arrive as EXISTS.
    append(b, "INBOX", 2)
    line, seen = wait_for(a, rb"^\* 1 EXISTS")
    assert not any(s.startswith(b"* STATUS \"INBOX\"") for s in seen), seen
    assert not any(s.startswith(b"* STATUS \"INBOX\"") for s in quiet(a)), "STATUS of INBOX"


def test_flag_change_gives_unseen_and_highestmodseq_with_condstore(ab):
    a, b, _ = ab
    append(b, "Drafts", 1)
    a.ok("ENABLE CONDSTORE")
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    b.ok("SELECT Drafts")
    _, tagged = b.ok("STORE 1 +FLAGS (\\Seen)")
    line, _ = wait_for(a, rb'^\* STATUS "Drafts" ')
    m = re.match(rb'^\* STATUS "Drafts" \(UNSEEN 0 HIGHESTMODSEQ (\d+)\)$', line)
    assert m, line
    st = [u for u in b.ok("STATUS Drafts (HIGHESTMODSEQ)")[0] if u.startswith(b"* STATUS")][0]
    assert st.endswith(b"(HIGHESTMODSEQ %s)" % m.group(1)), (st, line)
    # A keyword: UNSEEN stays, HIGHESTMODSEQ alone moves (CONDSTORE is on).
    b.ok("STORE 1 +FLAGS ($Label1)")
    line, _ = wait_for(a, rb'^\* STATUS "Drafts" ')
    assert re.match(rb'^\* STATUS "Drafts" \(HIGHESTMODSEQ \d+\)$', line), line


def test_delivery_through_the_public_api_reaches_an_idle_client(ab, two_frontends):
    a, _, acc = ab
    a.ok("NOTIFY SET (inboxes (MessageNew MessageExpunge))")
    tag = a.next_tag()
    a.send("%s IDLE\r\n" % tag)
    assert a.read_response().startswith(b"+")
    two_frontends.ctl("deliver", acc.name, input=msg(7))
    line, _ = wait_for(a, rb'^\* STATUS "INBOX" ')
    assert line == b'* STATUS "INBOX" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)', line
    two_frontends.ctl("deliver", acc.name, "--mailbox", "Junk", input=msg(8))
    line, _ = wait_for(a, rb'^\* STATUS "Junk" ')
    assert line == b'* STATUS "Junk" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)', line
    a.send("DONE\r\n")
    _, tagged = a.collect(tag)
    assert b" OK " in tagged


def test_mailbox_name_and_subscription_events_as_list(ab):
    """RFC 5465 5.4 (MailboxName) and 5.5 (SubscriptionChange): LIST responses."""
    a, b, _ = ab
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    b.ok("CREATE Projects")
    line, _ = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST () "/" "Projects"', line
    b.ok("RENAME Projects Work")
    line, _ = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST () "/" "Work" ("OLDNAME" ("Projects"))', line
    b.ok("SUBSCRIBE Work")
    line, _ = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST (\\Subscribed) "/" "Work"', line
    b.ok("UNSUBSCRIBE Work")
    line, _ = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST () "/" "Work"', line
    b.ok("DELETE Work")
    line, _ = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST (\\NonExistent) "/" "Work"', line
    # A rename of a parent renames its children: one LIST with OLDNAME each.
    b.ok("CREATE P/c1")
    wait_for(a, rb'^\* LIST \(\) "/" "P/c1"')
    b.ok("RENAME P Q")
    got = set()
    while len(got) < 2:
        line, _ = wait_for(a, rb"^\* LIST ")
        got.add(line)
    assert got == {b'* LIST () "/" "Q" ("OLDNAME" ("P"))',
                   b'* LIST () "/" "Q/c1" ("OLDNAME" ("P/c1"))'}, got
    assert quiet(a) == []


def test_filters_subtree_mailboxes_subscribed(ab):
    """RFC 5465 6: only the mailboxes a filter names are reported."""
    a, b, _ = ab
    b.ok("CREATE Lists/a")
    b.ok("CREATE misc")
    b.ok("CREATE other")
    b.ok("SUBSCRIBE Sent")
    a.ok("NOTIFY SET (subtree Lists (MessageNew MessageExpunge)) "
         "(mailboxes (misc \"INBOX\") (MessageNew MessageExpunge)) "
         "(subscribed (MessageNew MessageExpunge))")
    for box in ("other", "Lists/a", "misc", "Sent", "inbox"):
        append(b, box, 1)
    names = []
    while len(names) < 4:
        line, _ = wait_for(a, rb"^\* STATUS ")
        names.append(re.match(rb'^\* STATUS "([^"]+)"', line).group(1))
    assert sorted(names) == [b"INBOX", b"Lists/a", b"Sent", b"misc"], names
    assert quiet(a) == [], "STATUS for a mailbox no filter names"


def test_notify_set_status_sends_status_of_every_watched_mailbox(ab):
    """RFC 5465 3.1: NOTIFY SET STATUS first sends the STATUS of each watched mailbox (not the
    selected one)."""
    a, b, _ = ab
    append(b, "Sent", 1)
    a.ok("SELECT INBOX")
    untagged, tagged = a.ok("NOTIFY SET STATUS (selected (MessageNew MessageExpunge)) "
                            "(mailboxes (Sent Trash INBOX) (MessageNew MessageExpunge))")
    status = sorted(u for u in untagged if u.startswith(b"* STATUS"))
    assert len(status) == 2, untagged
    assert re.match(rb'^\* STATUS "Sent" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 1\)$',
                    status[0]), status
    assert re.match(rb'^\* STATUS "Trash" \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)$',
                    status[1]), status


def test_selected_sends_expunge_without_a_command(ab):
    """RFC 5465 5.3: with SELECTED, EXPUNGE goes out while no command is in progress."""
    a, b, _ = ab
    for i in range(3):
        append(b, "INBOX", i)
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew MessageExpunge FlagChange))")
    b.ok("SELECT INBOX")
    b.ok("STORE 2 +FLAGS (\\Deleted)")
    line, _ = wait_for(a, rb"^\* 2 FETCH ")
    assert b"\\Deleted" in line
    b.ok("EXPUNGE")
    wait_for(a, rb"^\* 2 EXPUNGE$")
    append(b, "INBOX", 9)
    wait_for(a, rb"^\* 3 EXISTS$")


def test_selected_delayed_holds_expunge_until_a_command_allows_it(ab):
    """RFC 5465 5.1: SELECTED-DELAYED sends EXISTS and FETCH between commands, EXPUNGE only with
    a command that allows it (not FETCH, STORE, SEARCH)."""
    a, b, _ = ab
    for i in range(3):
        append(b, "INBOX", i)
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected-delayed (MessageNew MessageExpunge))")
    b.ok("SELECT INBOX")
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    append(b, "INBOX", 9)
    wait_for(a, rb"^\* 4 EXISTS$")  # the new message: 3 old ones still count
    assert not any(b"EXPUNGE" in x for x in quiet(a)), "EXPUNGE without a command"
    untagged, _ = a.ok("FETCH 1 (UID)")
    assert not any(b"EXPUNGE" in x for x in untagged), untagged
    untagged, _ = a.ok("NOOP")
    assert b"* 1 EXPUNGE" in untagged, untagged


def test_without_selected_filter_nothing_comes_between_commands(ab):
    a, b, _ = ab
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (personal (MailboxName))")
    append(b, "INBOX", 1)
    assert quiet(a) == [], "selected-mailbox event without SELECTED"
    untagged, _ = a.ok("NOOP")
    assert b"* 1 EXISTS" in untagged, untagged


def test_notify_none_stops_events(ab):
    a, b, _ = ab
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    b.ok("CREATE before")
    wait_for(a, rb'^\* LIST \(\) "/" "before"')
    a.ok("NOTIFY NONE")
    b.ok("CREATE after")
    append(b, "before", 1)
    assert quiet(a) == []
    # A new NOTIFY SET replaces the old one (only SubscriptionChange now).
    a.ok("NOTIFY SET (personal (SubscriptionChange))")
    b.ok("CREATE third")
    b.ok("SUBSCRIBE third")
    line, seen = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST (\\Subscribed) "/" "third"', (line, seen)


def test_own_changes_are_reported_too(ab):
    a, _, _ = ab
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    untagged, _ = a.ok("CREATE mine")
    if not any(u == b'* LIST () "/" "mine"' for u in untagged):
        line, _ = wait_for(a, rb"^\* LIST ")
        assert line == b'* LIST () "/" "mine"', line
    append(a, "mine", 1)
    wait_for(a, rb'^\* STATUS "mine" \(MESSAGES 1 UIDNEXT 2 UNSEEN 1\)')


ERROR_CASES = [
    # Syntax (RFC 5465 8): BAD.
    ("NOTIFY", b"BAD"),
    ("NOTIFY SET", b"BAD"),
    ("NOTIFY SET STATUS", b"BAD"),
    ("NOTIFY NONE STATUS", b"BAD"),
    ("NOTIFY SET (bogus (MessageNew MessageExpunge))", b"BAD"),
    ("NOTIFY SET (personal ())", b"BAD"),
    ("NOTIFY SET (subtree (MessageNew MessageExpunge))", b"BAD"),
    ("NOTIFY SET (personal (MessageNew MessageExpunge)", b"BAD"),
    # RFC 5465 5: MessageNew and MessageExpunge together; FlagChange needs both.
    ("NOTIFY SET (personal (MessageNew))", b"BAD"),
    ("NOTIFY SET (selected (MessageExpunge))", b"BAD"),
    ("NOTIFY SET (personal (FlagChange MailboxName))", b"BAD"),
    # RFC 5465 6.1: one selected filter, message events only; fetch-att only there.
    ("NOTIFY SET (selected NONE) (selected-delayed NONE)", b"BAD"),
    ("NOTIFY SET (selected (MessageNew MessageExpunge MailboxName))", b"BAD"),
    ("NOTIFY SET (personal (MessageNew (UID) MessageExpunge))", b"BAD"),
    # RFC 5465 3.1: unsupported events: NO [BADEVENT (every supported event)].
    ("NOTIFY SET (personal (MessageNew MessageExpunge AnnotationChange))", b"NO"),
    ("NOTIFY SET (inboxes (MailboxMetadataChange))", b"NO"),
    ("NOTIFY SET (personal (SomethingNew))", b"NO"),
    # Valid forms.
    ("NOTIFY SET (selected NONE)", b"OK"),
    ("NOTIFY SET (personal NONE)", b"OK"),
    ("NOTIFY NONE", b"OK"),
    ("notify set status (SELECTED-DELAYED (messagenew (uid flags) messageexpunge)) "
     "(SUBTREE (\"Lists\" INBOX) (MessageNew MessageExpunge FlagChange))", b"OK"),
]


def test_notify_errors(ab):
    """One session through every case: each answer, and the session goes on after it."""
    a, _, _ = ab
    for command, answer in ERROR_CASES:
        _, tagged = a.cmd(command)
        assert tagged.split(b" ")[1] == answer, (command, tagged)
        if answer == b"NO":
            assert (b"NO [BADEVENT (MessageNew MessageExpunge FlagChange MailboxName "
                    b"SubscriptionChange)]") in tagged, (command, tagged)
        a.ok("NOOP")


def test_failed_notify_keeps_the_previous_setting(ab):
    a, b, _ = ab
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    _, tagged = a.cmd("NOTIFY SET (personal (AnnotationChange MessageNew MessageExpunge))")
    assert b" NO " in tagged
    b.ok("CREATE stillthere")
    wait_for(a, rb'^\* LIST \(\) "/" "stillthere"')


def test_notify_needs_login(two_frontends):
    requires_hadron(two_frontends)
    r = two_frontends.raw()
    _, tagged = r.cmd("NOTIFY NONE")
    assert b" BAD " in tagged
    r.close()


def test_message_new_with_fetch_attributes(ab):
    """RFC 5465 5.2 (and the example of 3.1, as corrected by erratum 2318): the EXISTS for a new
    message in the selected mailbox is followed by the requested fetch data."""
    a, b, _ = ab
    append(b, "INBOX", 1)
    a.ok("SELECT INBOX")
    a.ok("NOTIFY SET (selected (MessageNew (uid body.peek[header.fields (from to subject)]) "
         "MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))")
    append(b, "INBOX", 2)
    wait_for(a, rb"^\* 2 EXISTS$")
    line, _ = wait_for(a, rb"^\* 2 FETCH ")
    assert line.startswith(b"* 2 FETCH (UID 2 BODY[HEADER.FIELDS (FROM TO SUBJECT)] {"), line
    assert b"Subject: hello 2\r\n" in line and b"Message-ID" not in line, line
    # PEEK: the message stays unseen.
    untagged, _ = a.ok("FETCH 2 (FLAGS)")
    assert b"\\Seen" not in untagged[0], untagged
    # Nothing more for the same message.
    assert quiet(a) == []


def test_utf8_accept_names_in_notifications(ab):
    """RFC 6855 3 with RFC 5465: once UTF8=ACCEPT is on, the names in NOTIFY's LIST and STATUS
    responses are UTF-8 (a literal, as Dovecot 2.3 sends them) and a MAILBOXES filter takes a
    UTF-8 name; B, a legacy session, names the same mailbox in modified UTF-7."""
    a, b, _ = ab
    utf8 = "Entw\u00fcrfe".encode()
    lit = b"{%d}\r\n%s" % (len(utf8), utf8)
    a.ok("ENABLE UTF8=ACCEPT")
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    b.ok('CREATE "Entw&APw-rfe"')
    line, _ = wait_for(a, rb"^\* LIST ")
    assert line == b'* LIST () "/" ' + lit, line
    append(b, '"Entw&APw-rfe"', 1)
    line, _ = wait_for(a, rb"^\* STATUS ")
    assert line == b"* STATUS " + lit + b" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)", line
    # Only the mailbox named (in UTF-8) is watched now.
    a.ok("NOTIFY SET (mailboxes \"Entw\u00fcrfe\" (MessageNew MessageExpunge))")
    append(b, "Sent", 1)
    append(b, '"Entw&APw-rfe"', 2)
    line, seen = wait_for(a, rb"^\* STATUS ")
    assert line == b"* STATUS " + lit + b" (MESSAGES 2 UIDNEXT 3 UNSEEN 2)", (line, seen)
    assert quiet(a) == []


def test_notify_goes_on_after_a_statesvc_restart(private_two_frontends):
    """The account subscription is re-sent when the frontend's Watch stream reconnects; the
    statesvc's event right after it makes the session re-read the account, so a change made
    while the stream was down or just after is still reported."""
    c = private_two_frontends
    requires_hadron(c)
    name, password = "nr_%d" % int(time.time() * 1000), "pw-restart"
    c.add_account(name, password)
    a = c.raw(name, password, fe=0)
    a.ok("NOTIFY SET " + PERSONAL_ALL)
    c.statesvc.kill9()
    c.start_statesvc()  # same port, same data dir
    deadline = time.monotonic() + 60
    while True:  # frontend1 serves again once its channel reconnected
        try:
            b = c.raw(name, password, fe=1)
            b.ok("CREATE afterrestart")
            break
        except Exception:
            assert time.monotonic() < deadline, "the cluster did not come back"
            time.sleep(0.2)
    line, _ = wait_for(a, rb"^\* LIST ", timeout=30)
    assert line == b'* LIST () "/" "afterrestart"', line
    append(b, "afterrestart", 1)
    line, _ = wait_for(a, rb'^\* STATUS "afterrestart"', timeout=30)
    assert line == b'* STATUS "afterrestart" (MESSAGES 1 UIDNEXT 2 UNSEEN 1)', line
    a.ok("NOOP")  # the session itself lived through it
