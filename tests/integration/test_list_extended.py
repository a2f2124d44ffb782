"""LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819), STATUS=SIZE (RFC 8438), STATUS DELETED
(RFC 9051) and HIGHESTMODSEQ (RFC 7162), SPECIAL-USE and CREATE-SPECIAL-USE (RFC 6154), mailbox
name syntax (RFC 3501 5.1.3) and the IMAP4rev2 (RFC 9051) LIST rules.

The examples are the RFCs' own (RFC 5258 section 5, RFC 5819 section 5, RFC 6154 section 5), on
the RFC 5258 data set; where the RFCs leave room the expectation is Dovecot 2.3's answer
(HADRON_IT_REFERENCE=dovecot runs the tests that do not need Hadron against it).
"""

import re

import pytest

import imapwire
from conftest import requires_hadron
from imapwire import status_of

MSG = b"From: a@example.com\r\nSubject: m\r\n\r\nbody\r\n"

# RFC 5258 section 5: the example hierarchy (Fruit/Peach, subscribed but deleted, in its own test).
RFC_BOXES = ["Fruit", "Fruit/Apple", "Fruit/Banana", "Tofu", "Vegetable", "Vegetable/Broccoli",
             "Vegetable/Corn"]
RFC_SUBSCRIBED = ["Fruit/Banana", "Vegetable", "Vegetable/Broccoli"]


def parse_list(untagged, verb=b"LIST"):
    """[(name, {attrs lowercased}, extended items)] of the LIST responses, in order; checks the
    delimiter, and that each name comes once."""
    out = []
    for u in untagged:
        if not u.startswith(b"* " + verb + b" "):
            continue
        vals = imapwire.parse_values(u[len(verb) + 3:])
        assert len(vals) in (3, 4), u
        assert vals[1] == b"/", u
        name = bytes(vals[2]).decode()
        assert name not in [n for n, _, _ in out], "listed twice: %r" % untagged
        out.append((name, {bytes(a).decode().lower() for a in vals[0]},
                    vals[3] if len(vals) == 4 else None))
    return out


def listed(raw, command, only=None):
    """{name: attrs} of one LIST command (OK required), restricted to `only` names if given."""
    untagged, tagged = raw.cmd(command)
    assert status_of(tagged) == "OK", (command, tagged)
    return {n: a for n, a, _ in parse_list(untagged) if only is None or n in only}


def status_lines(untagged):
    """{mailbox: {item: value}} of the STATUS responses."""
    out = {}
    for u in untagged:
        if u.startswith(b"* STATUS "):
            vals = imapwire.parse_values(u[len(b"* STATUS "):])
            items = [bytes(v).decode().upper() if i % 2 == 0 else int(v)
                     for i, v in enumerate(vals[1])]
            out[bytes(vals[0]).decode()] = dict(zip(items[0::2], items[1::2]))
    return out


@pytest.fixture
def rfc(raw):
    """The RFC 5258 section 5 data set in a fresh account."""
    for name in RFC_BOXES:
        raw.ok('CREATE "%s"' % name)
    for name in RFC_SUBSCRIBED:
        raw.ok('SUBSCRIBE "%s"' % name)
    return raw


def test_capabilities(account):
    requires_hadron(account.cluster)
    raw = account.raw()
    untagged, _ = raw.ok("CAPABILITY")
    caps = set(untagged[0].split()[2:])
    for cap in (b"LIST-EXTENDED", b"LIST-STATUS", b"STATUS=SIZE", b"SPECIAL-USE",
                b"CREATE-SPECIAL-USE", b"CHILDREN"):
        assert cap in caps, untagged


def test_rfc5258_example_list_subscribed(rfc):
    # A02 LIST (SUBSCRIBED) "" "*": only subscribed names, each marked \Subscribed.
    boxes = listed(rfc, 'LIST (SUBSCRIBED) "" "*"', only=RFC_BOXES)
    assert boxes == {n: {"\\subscribed"} for n in RFC_SUBSCRIBED}, boxes


def test_rfc5258_example_return_children(rfc):
    # A03 LIST () "" "%" RETURN (CHILDREN)
    boxes = listed(rfc, 'LIST () "" "%" RETURN (CHILDREN)', only=RFC_BOXES)
    assert boxes == {"Fruit": {"\\haschildren"}, "Tofu": {"\\hasnochildren"},
                     "Vegetable": {"\\haschildren"}}, boxes


def test_rfc5258_example_remote(rfc):
    # A04 LIST (REMOTE) "" "%" RETURN (CHILDREN): no remote mailboxes here, the same answer.
    boxes = listed(rfc, 'LIST (REMOTE) "" "%" RETURN (CHILDREN)', only=RFC_BOXES)
    assert boxes == {"Fruit": {"\\haschildren"}, "Tofu": {"\\hasnochildren"},
                     "Vegetable": {"\\haschildren"}}, boxes


def test_rfc5258_example_recursivematch(rfc):
    # A06 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%": parents of subscribed names come with
    # CHILDINFO ("SUBSCRIBED"), \Subscribed only where they are subscribed themselves.
    untagged, tagged = rfc.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
    assert status_of(tagged) == "OK", tagged
    got = {n: (a, x) for n, a, x in parse_list(untagged) if n in RFC_BOXES}
    assert set(got) == {"Fruit", "Vegetable"}, untagged
    assert got["Fruit"][0] == set() and got["Vegetable"][0] == {"\\subscribed"}, untagged
    for name in ("Fruit", "Vegetable"):
        ext = got[name][1]
        assert ext is not None and bytes(ext[0]).upper() == b"CHILDINFO", untagged
        assert [bytes(v).upper() for v in ext[1]] == [b"SUBSCRIBED"], untagged
    # Without RECURSIVEMATCH no parent is added and no CHILDINFO is sent.
    untagged, _ = rfc.ok('LIST (SUBSCRIBED) "" "%"')
    got = {n: (a, x) for n, a, x in parse_list(untagged) if n in RFC_BOXES}
    assert got == {"Vegetable": ({"\\subscribed"}, None)}, untagged


def test_rfc5258_recursivematch_with_children(rfc):
    untagged, _ = rfc.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)')
    got = {n: a for n, a, _ in parse_list(untagged) if n in RFC_BOXES}
    assert got == {"Fruit": {"\\haschildren"},
                   "Vegetable": {"\\subscribed", "\\haschildren"}}, untagged


def test_rfc5258_return_subscribed(rfc):
    boxes = listed(rfc, 'LIST "" "*" RETURN (SUBSCRIBED)', only=RFC_BOXES)
    assert set(boxes) == set(RFC_BOXES), boxes
    for name in RFC_BOXES:
        assert boxes[name] == ({"\\subscribed"} if name in RFC_SUBSCRIBED else set()), boxes


def test_rfc5258_multiple_patterns(rfc):
    untagged, tagged = rfc.cmd('LIST "" ("INBOX" "Tofu" "Vegetable/%")')
    assert status_of(tagged) == "OK", tagged
    names = [n for n, _, _ in parse_list(untagged)]
    assert sorted(names) == ["INBOX", "Tofu", "Vegetable/Broccoli", "Vegetable/Corn"], untagged
    # A name matched by two patterns is listed once (parse_list checks it).
    untagged, _ = rfc.ok('LIST "" ("Fruit/%" "Fruit/*" "*Apple")')
    assert sorted(n for n, _, _ in parse_list(untagged)) == ["Fruit/Apple", "Fruit/Banana"]


def test_nonexistent_parent(rfc):
    rfc.ok("CREATE Seeds/Sunflower")
    rfc.cmd("DELETE Seeds")  # Hadron creates the parent, Dovecot does not: gone either way  # a mailbox with children: its name survives as their parent
    for parent in ("Seeds",):
        # plain LIST (RFC 3501): \Noselect; extended LIST (RFC 5258): \NonExistent
        assert listed(rfc, 'LIST "" "%s"' % parent) == {parent: {"\\noselect", "\\haschildren"}}
        assert listed(rfc, 'LIST () "" "%s"' % parent) == {parent: {"\\nonexistent"}}
        assert listed(rfc, 'LIST () "" "%s" RETURN (CHILDREN)' % parent) == \
            {parent: {"\\nonexistent", "\\haschildren"}}
        # and no STATUS for it (RFC 5819 2)
        untagged, _ = rfc.ok('LIST "" "%s" RETURN (STATUS (MESSAGES))' % parent)
        assert status_lines(untagged) == {}, untagged


def test_unknown_options_are_bad(raw):
    for cmd in ('LIST (FOO) "" %', 'LIST "" % RETURN (FOO)', 'LIST (RECURSIVEMATCH) "" %',
                'LIST "" % RETURN (STATUS (FOO))', 'LIST "" % RETURN (STATUS ())'):
        _, tagged = raw.cmd(cmd)
        assert status_of(tagged) == "BAD", (cmd, tagged)


def test_extended_empty_options_and_empty_pattern(raw):
    # LIST () and RETURN () are extended LISTs with nothing to return beyond the name.
    boxes = listed(raw, 'LIST () "" "%"')
    assert boxes["INBOX"] == set() and boxes["Sent"] == set(), boxes
    assert listed(raw, 'LIST "" "%" RETURN ()') == boxes
    # The delimiter query stays a plain LIST's.
    assert listed(raw, 'LIST "" ""') == {"": {"\\noselect"}}


def test_inbox_first_and_case_insensitive(account):
    requires_hadron(account.cluster)  # the reference's Maildir++ order differs
    raw = account.raw()
    raw.ok("CREATE AAA")
    untagged, _ = raw.ok('LIST "" "*"')
    names = [n for n, _, _ in parse_list(untagged)]
    assert names[0] == "INBOX", names
    assert listed(raw, 'LIST "" "inbox"') .keys() == {"INBOX"}
    assert listed(raw, 'LIST "" "in%"').keys() == {"INBOX"}


def test_lsub_still_works(rfc):
    untagged, tagged = rfc.cmd('LSUB "" "*"')
    assert status_of(tagged) == "OK", tagged
    subs = {n: a for n, a, _ in parse_list(untagged, b"LSUB") if n in RFC_BOXES}
    assert set(subs) == set(RFC_SUBSCRIBED), untagged
    # RFC 3501 6.3.9: "%" stops at Fruit, which is not subscribed: \Noselect.
    untagged, _ = rfc.ok('LSUB "" "%"')
    subs = {n: a for n, a, _ in parse_list(untagged, b"LSUB") if n in RFC_BOXES}
    assert subs == {"Fruit": {"\\noselect"}, "Vegetable": set()}, untagged


# ---- LIST-STATUS (RFC 5819) -----------------------------------------------------------------

def test_rfc5819_example(account):
    raw = account.raw()
    raw.ok("CREATE Fruit")
    raw.cmd_literal("APPEND Fruit", MSG)
    raw.cmd_literal("APPEND Fruit (\\Seen)", MSG)
    raw.ok("CREATE Fruit/Peach")
    # A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN)): each STATUS right after its LIST.
    untagged, tagged = raw.cmd('LIST "" % RETURN (STATUS (MESSAGES UNSEEN))')
    assert status_of(tagged) == "OK", tagged
    for i, u in enumerate(untagged):
        if u.startswith(b"* STATUS "):
            prev = parse_list([untagged[i - 1]])
            name = bytes(imapwire.parse_values(u[len(b"* STATUS "):])[0]).decode()
            assert prev and prev[0][0] == name, untagged
    st = status_lines(untagged)
    assert st["Fruit"] == {"MESSAGES": 2, "UNSEEN": 1}, untagged
    assert st["INBOX"] == {"MESSAGES": 0, "UNSEEN": 0}, untagged
    assert "Fruit/Peach" not in st  # not matched by %
    # A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))
    raw.ok("SUBSCRIBE Fruit/Peach")
    untagged, _ = raw.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))')
    got = {n: (a, x) for n, a, x in parse_list(untagged)}
    assert "Fruit" in got and got["Fruit"][1] is not None, untagged
    # Fruit is listed for its child only: no STATUS for it (the RFC's example, and Dovecot).
    st = status_lines(untagged)
    assert "Fruit" not in st and "Fruit/Peach" not in st, untagged
    # With "*" the child itself is listed, with its STATUS, and Fruit is not (Dovecot).
    untagged, _ = raw.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "Fruit*" RETURN (STATUS (MESSAGES))')
    assert [(n, x) for n, _, x in parse_list(untagged)] == [("Fruit/Peach", None)], untagged
    assert status_lines(untagged) == {"Fruit/Peach": {"MESSAGES": 0}}, untagged


def test_list_status_all_items(account):
    requires_hadron(account.cluster)  # Dovecot 2.3 has no STATUS DELETED
    raw = account.raw()
    raw.ok("CREATE Box")
    raw.cmd_literal("APPEND Box (\\Deleted)", MSG)
    raw.cmd_literal("APPEND Box", MSG + b"more\r\n")
    untagged, _ = raw.ok('LIST "" Box RETURN (STATUS (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE'
                         ' DELETED HIGHESTMODSEQ RECENT))')
    st = status_lines(untagged)["Box"]
    direct, _ = raw.ok("STATUS Box (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE DELETED"
                       " HIGHESTMODSEQ RECENT)")
    assert status_lines(direct)["Box"] == st, (untagged, direct)
    assert st["MESSAGES"] == 2 and st["UNSEEN"] == 2 and st["DELETED"] == 1, st
    assert st["SIZE"] == 2 * len(MSG) + len(b"more\r\n"), st
    assert st["RECENT"] == 2 and st["UIDNEXT"] == 3 and st["HIGHESTMODSEQ"] > 0, st


# ---- STATUS (RFC 8438 SIZE, RFC 9051 DELETED, RFC 7162 HIGHESTMODSEQ) -------------------------

def test_status_size_rfc8438_example(account):
    raw = account.raw()
    raw.ok("CREATE blurdybloop")
    sizes = [len(MSG), len(MSG) + 10]
    raw.cmd_literal("APPEND blurdybloop", MSG)
    raw.cmd_literal("APPEND blurdybloop", MSG + b"x" * 8 + b"\r\n")
    # A042 STATUS blurdybloop (UIDNEXT MESSAGES SIZE)
    untagged, _ = raw.ok("STATUS blurdybloop (UIDNEXT MESSAGES SIZE)")
    assert status_lines(untagged) == {"blurdybloop": {"UIDNEXT": 3, "MESSAGES": 2,
                                                      "SIZE": sum(sizes)}}, untagged
    assert len(untagged) == 1, untagged
    # SIZE follows expunges
    if getattr(account.cluster, "reference", False):
        return  # Dovecot 2.3 has no STATUS DELETED
    raw.ok("SELECT blurdybloop")
    raw.ok("STORE 1 +FLAGS (\\Deleted)")
    untagged, _ = raw.ok("STATUS blurdybloop (DELETED SIZE)")
    assert status_lines(untagged)["blurdybloop"] == {"DELETED": 1, "SIZE": sum(sizes)}
    raw.ok("EXPUNGE")
    untagged, _ = raw.ok("STATUS blurdybloop (DELETED SIZE MESSAGES)")
    assert status_lines(untagged)["blurdybloop"] == {"DELETED": 0, "SIZE": sizes[1],
                                                     "MESSAGES": 1}


def test_status_highestmodseq_grows(account):
    raw = account.raw()
    raw.ok("CREATE M")
    first = status_lines(raw.ok("STATUS M (HIGHESTMODSEQ)")[0])["M"]["HIGHESTMODSEQ"]
    raw.cmd_literal("APPEND M", MSG)
    second = status_lines(raw.ok("STATUS M (HIGHESTMODSEQ)")[0])["M"]["HIGHESTMODSEQ"]
    raw.ok("SELECT M")
    raw.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    third = status_lines(raw.ok("STATUS M (HIGHESTMODSEQ)")[0])["M"]["HIGHESTMODSEQ"]
    assert 0 < first < second < third, (first, second, third)
    # RFC 7162 3.1: STATUS (HIGHESTMODSEQ) enables CONDSTORE; with a mailbox selected the server
    # then tells its HIGHESTMODSEQ (as Dovecot).
    other = account.raw()
    other.ok("SELECT M")
    untagged, _ = other.ok("STATUS INBOX (HIGHESTMODSEQ)")
    assert any(u.startswith(b"* OK [HIGHESTMODSEQ %d]" % third) for u in untagged), untagged


def test_status_unsupported_items_are_bad(raw):
    _, tagged = raw.cmd("STATUS INBOX (MESSAGES FOO)")
    assert status_of(tagged) == "BAD", tagged


# ---- SPECIAL-USE and CREATE-SPECIAL-USE (RFC 6154) ------------------------------------------

DEFAULT_USES = {"Drafts": "\\drafts", "Sent": "\\sent", "Trash": "\\trash", "Junk": "\\junk",
                "Archive": "\\archive"}


def test_rfc6154_list_special_use(raw):
    # Example 5.1: LIST "" "%" RETURN (SPECIAL-USE)
    boxes = listed(raw, 'LIST "" "%" RETURN (SPECIAL-USE)')
    for name, use in DEFAULT_USES.items():
        assert boxes[name] == {use}, boxes
    assert boxes["INBOX"] == set(), boxes
    # Example 5.2: LIST (SPECIAL-USE) "" "*": only the special-use mailboxes
    boxes = listed(raw, 'LIST (SPECIAL-USE) "" "*"')
    assert boxes == {n: {u} for n, u in DEFAULT_USES.items()}, boxes
    # A plain LIST carries them too; an extended one without SPECIAL-USE does not (Dovecot).
    assert "\\sent" in listed(raw, 'LIST "" Sent')["Sent"]
    assert listed(raw, 'LIST () "" Sent') == {"Sent": set()}


def test_rfc6154_create_special_use(account):
    requires_hadron(account.cluster)  # Dovecot 2.3 ignores USE without mailbox_list_index
    raw = account.raw()
    # Example 5.3: C: t1 CREATE MySpecial (USE (\Drafts \Sent)) -> NO [USEATTR] (one a mailbox)
    _, tagged = raw.cmd("CREATE MySpecial (USE (\\Drafts \\Sent))")
    assert re.match(rb"T\d+ NO \[USEATTR\]", tagged), tagged
    assert listed(raw, 'LIST "" MySpecial') == {}
    raw.ok("CREATE MySpecial (USE (\\Drafts))")
    assert listed(raw, 'LIST "" MySpecial RETURN (SPECIAL-USE)') == {"MySpecial": {"\\drafts"}}
    raw.ok("CREATE Old/Stuff (USE (\\archive))")
    assert listed(raw, 'LIST (SPECIAL-USE) "" "Old/*"') == {"Old/Stuff": {"\\archive"}}
    # unknown and unsupported (virtual) uses
    for use in ("\\Foo", "\\All", "\\Flagged"):
        _, tagged = raw.cmd("CREATE Virt (USE (%s))" % use)
        assert re.match(rb"T\d+ NO \[USEATTR\]", tagged), (use, tagged)
    assert listed(raw, 'LIST "" Virt') == {}
    # the use follows a RENAME, and goes with DELETE
    raw.ok("RENAME MySpecial Renamed")
    assert listed(raw, 'LIST "" Renamed') == {"Renamed": {"\\drafts", "\\hasnochildren"}}
    raw.ok("DELETE Renamed")
    raw.ok("CREATE Renamed")
    assert listed(raw, 'LIST "" Renamed RETURN (SPECIAL-USE)') == {"Renamed": set()}
    # USE () is no special use
    raw.ok("CREATE Plain (USE ())")
    assert listed(raw, 'LIST "" Plain RETURN (SPECIAL-USE)') == {"Plain": set()}


def test_special_use_recursivematch(account):
    # RFC 5258's RECURSIVEMATCH applies to any selection option; Dovecot 2.3 ignores it with
    # SPECIAL-USE.
    requires_hadron(account.cluster)
    raw = account.raw()
    raw.ok("CREATE Projects/Sent (USE (\\Sent))")
    untagged, _ = raw.ok('LIST (SPECIAL-USE RECURSIVEMATCH) "" "%"')
    got = {n: (a, x) for n, a, x in parse_list(untagged)}
    assert got["Projects"][0] == set(), untagged
    assert [bytes(v).upper() for v in got["Projects"][1][1]] == [b"SPECIAL-USE"], untagged
    assert got["Sent"] == ({"\\sent"}, None), untagged


# ---- mailbox names (RFC 3501 5.1.3) ---------------------------------------------------------

def test_invalid_modified_utf7_names(account):
    raw = account.raw()
    raw.ok('CREATE "Ok&AOk-"')
    raw.ok('CREATE "Amp&-Sand"')
    for name in ("Bad&Name", "Bad&AGE-", "Bad&AOk", "caf\xe9"):
        wire = b'"' + name.encode("latin-1") + b'"'
        for cmd in (b"CREATE " + wire, b"SELECT " + wire, b"STATUS " + wire + b" (MESSAGES)",
                    b"RENAME Ok&AOk- " + wire, b"SUBSCRIBE " + wire, b"DELETE " + wire):
            _, tagged = raw.cmd(cmd)
            assert status_of(tagged) == "NO", (cmd, tagged)
            if not getattr(account.cluster, "reference", False):
                assert b"[CANNOT]" in tagged, (cmd, tagged)
    boxes = listed(raw, 'LIST "" "*"')
    assert "Ok&AOk-" in boxes and "Amp&-Sand" in boxes, boxes
    assert not [n for n in boxes if n.startswith("Bad")], boxes


# ---- IMAP4rev2 (RFC 9051) -------------------------------------------------------------------

def enable_rev2(raw):
    """ENABLE IMAP4rev2; True if the server enabled it (advertised and answered ENABLED)."""
    caps, _ = raw.ok("CAPABILITY")
    untagged, _ = raw.ok("ENABLE IMAP4rev2")
    enabled = any(u.upper().startswith(b"* ENABLED") and b"IMAP4REV2" in u.upper()
                  for u in untagged)
    assert enabled == (b"IMAP4rev2" in caps[0].split()), (caps, untagged)
    return enabled


def test_rev2_list_rules(account):
    requires_hadron(account.cluster)
    raw = account.raw()
    raw.ok("CREATE Seeds/Sunflower")
    raw.ok("DELETE Seeds")
    raw.ok("CREATE Pods")
    rev2 = enable_rev2(raw)
    plain = listed(raw, 'LIST "" "%"')
    if rev2:
        # RFC 9051 6.3.9: \NonExistent (implying \Noselect), children always reported.
        assert plain["Seeds"] == {"\\nonexistent", "\\haschildren"}, plain
        assert listed(raw, 'LIST () "" Pods') == {"Pods": {"\\hasnochildren"}}
        _, tagged = raw.cmd("STATUS Pods (RECENT)")
        assert status_of(tagged) == "BAD", tagged  # RFC 9051 has no STATUS RECENT
        untagged, _ = raw.ok('CREATE "inbox/Sub"')
        assert [(n, x) for n, _, x in parse_list(untagged)] == \
            [("INBOX/Sub", [b"OLDNAME", [b"inbox/Sub"]])], untagged
    else:
        assert plain["Seeds"] == {"\\noselect", "\\haschildren"}, plain
        assert listed(raw, 'LIST () "" Pods') == {"Pods": set()}
        raw.ok("STATUS Pods (RECENT)")
        untagged, _ = raw.ok('CREATE "inbox/Sub"')
        assert untagged == [], untagged
