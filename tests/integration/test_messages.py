"""Message commands: APPEND (flags, date, APPENDUID), CHECK, CLOSE, UNSELECT, EXPUNGE, STORE,
COPY, MOVE (COPYUID), the UID variants, \\Recent."""

import re

import pytest

import imapwire
from imapwire import fetches, flagset, search_result, status_of


def msg(i, extra=b""):
    return (b"From: sender%d@example.com\r\nTo: rcpt@example.org\r\nSubject: message %d\r\n"
            b"Message-ID: <m%d@example.com>\r\n\r\nBody of message %d.\r\n%s" % (i, i, i, i, extra))


def append(raw, mailbox, data, flags="", date=""):
    prefix = "APPEND %s" % mailbox
    if flags:
        prefix += " (%s)" % flags
    if date:
        prefix += ' "%s"' % date
    untagged, tagged = raw.cmd_literal(prefix, data)
    assert status_of(tagged) == "OK", tagged
    m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", tagged)
    assert m, "APPEND without APPENDUID: %r" % tagged
    return int(m.group(1)), int(m.group(2))


def fill(raw, mailbox, n):
    return [append(raw, mailbox, msg(i))[1] for i in range(1, n + 1)]


def uid_flags(raw, seqset="1:*"):
    """{uid: flags} of the selected mailbox."""
    untagged, _ = raw.ok("UID FETCH %s (UID FLAGS)" % seqset)
    return {int(d[b"UID"]): flagset(d[b"FLAGS"]) for _, d in fetches(untagged)}


def apply_expunges(uids, untagged):
    """Applies '* n EXPUNGE' responses in order to a list of UIDs (sequence = position)."""
    out = list(uids)
    for u in untagged:
        m = re.match(rb"\* (\d+) EXPUNGE$", u)
        if m:
            n = int(m.group(1))
            assert 1 <= n <= len(out), "EXPUNGE %d of %d messages" % (n, len(out))
            del out[n - 1]
    return out


# ---- APPEND ------------------------------------------------------------------------------------

def test_append_uid_sequence_and_validity(raw):
    v1, u1 = append(raw, "INBOX", msg(1))
    v2, u2 = append(raw, "INBOX", msg(2))
    assert v1 == v2 and v1 > 0
    assert u2 > u1 >= 1
    untagged, _ = raw.ok("STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES)")
    assert b"UIDVALIDITY %d" % v1 in untagged[0] and b"UIDNEXT %d" % (u2 + 1) in untagged[0], \
        untagged
    assert b"MESSAGES 2" in untagged[0], untagged


def test_append_with_flags_and_date(raw):
    _, uid = append(raw, "INBOX", msg(1), flags="\\Seen \\Flagged $Label1",
                    date="05-Mar-2021 14:07:09 +0000")
    raw.ok("SELECT INBOX")
    untagged, _ = raw.ok("UID FETCH %d (FLAGS INTERNALDATE RFC822.SIZE)" % uid)
    (_, d), = fetches(untagged)
    assert flagset(d[b"FLAGS"]) == {"\\Seen", "\\Flagged", "$Label1"}, d
    assert imapwire.instant(d[b"INTERNALDATE"]) == imapwire.instant("05-Mar-2021 14:07:09 +0000"), d
    assert int(d[b"RFC822.SIZE"]) == len(msg(1)), d
    # a keyword that exists in the mailbox is listed in FLAGS at the next SELECT
    untagged, _ = raw.ok("SELECT INBOX")
    flags_line = [u for u in untagged if u.startswith(b"* FLAGS")][0]
    assert b"$Label1" in flags_line, flags_line


def test_append_date_with_offset_is_kept_as_instant(raw):
    _, uid = append(raw, "INBOX", msg(1), date=" 1-Jul-2022 23:30:00 -0200")
    raw.ok("SELECT INBOX")
    untagged, _ = raw.ok("UID FETCH %d INTERNALDATE" % uid)
    (_, d), = fetches(untagged)
    # The original zone or the same instant in another zone; the day is space-padded or 2 digits.
    assert re.match(rb"[ 0-3]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}$", d[b"INTERNALDATE"]), d
    assert imapwire.instant(d[b"INTERNALDATE"]) == imapwire.instant(" 1-Jul-2022 23:30:00 -0200"), d


def test_append_errors(raw):
    untagged, tagged = raw.cmd_literal("APPEND NoSuchBox", msg(1))
    assert re.match(rb"T\d+ NO \[TRYCREATE\]", tagged), tagged
    untagged, tagged = raw.cmd_literal('APPEND INBOX "not a date"', msg(1))
    assert status_of(tagged) == "BAD", tagged
    untagged, tagged = raw.cmd_literal("APPEND INBOX (\\NotASystemFlag)", msg(1))
    assert status_of(tagged) == "BAD", tagged
    untagged, _ = raw.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 0" in untagged[0], untagged


def test_append_to_selected_mailbox_reports_exists(raw):
    raw.ok("SELECT INBOX")
    untagged, tagged = raw.cmd_literal("APPEND INBOX", msg(1))
    assert status_of(tagged) == "OK", tagged
    if b"* 1 EXISTS" not in untagged:
        untagged, _ = raw.ok("NOOP")
    assert b"* 1 EXISTS" in untagged, untagged


def test_append_binary_and_8bit_content_round_trips(raw):
    body = bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"")
    data = b"Subject: 8bit\r\nContent-Type: text/plain; charset=latin1\r\n\r\n" + body + b"\r\n"
    _, uid = append(raw, "INBOX", data)
    raw.ok("EXAMINE INBOX")
    untagged, _ = raw.ok("UID FETCH %d BODY.PEEK[]" % uid)
    (_, d), = fetches(untagged)
    assert d[b"BODY[]"] == data


def test_recent_semantics(account):
    a = account.raw()
    fill(a, "INBOX", 2)
    untagged, _ = a.ok("SELECT INBOX")
    assert b"* 2 RECENT" in untagged, untagged
    b = account.raw()
    untagged, _ = b.ok("SELECT INBOX")
    assert b"* 0 RECENT" in untagged, "second session also saw \\Recent: %r" % untagged


# ---- CHECK / CLOSE / UNSELECT / EXPUNGE ------------------------------------------------------

def test_check(raw):
    raw.ok("SELECT INBOX")
    _, tagged = raw.cmd("CHECK")
    assert status_of(tagged) == "OK", tagged


def test_close_expunges_silently(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    raw.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = raw.cmd("CLOSE")
    assert status_of(tagged) == "OK", tagged
    assert not any(b"EXPUNGE" in u for u in untagged), "CLOSE sent %r" % untagged
    _, tagged = raw.cmd("FETCH 1 FLAGS")
    assert status_of(tagged) == "BAD", "FETCH after CLOSE: %r" % tagged
    raw.ok("SELECT INBOX")
    assert sorted(uid_flags(raw)) == [uids[0], uids[2]]


def test_close_in_examine_does_not_expunge(account):
    a = account.raw()
    fill(a, "INBOX", 2)
    a.ok("SELECT INBOX")
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b = account.raw()
    b.ok("EXAMINE INBOX")
    b.ok("CLOSE")
    untagged, _ = b.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 2" in untagged[0], untagged


def test_unselect_does_not_expunge(raw):
    fill(raw, "INBOX", 2)
    raw.ok("SELECT INBOX")
    raw.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = raw.cmd("UNSELECT")
    assert status_of(tagged) == "OK", tagged
    assert untagged == [], untagged
    _, tagged = raw.cmd("FETCH 1 FLAGS")
    assert status_of(tagged) == "BAD", tagged
    untagged, _ = raw.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 2" in untagged[0], untagged


def test_expunge_sequence_numbers(raw):
    uids = fill(raw, "INBOX", 5)
    raw.ok("SELECT INBOX")
    raw.ok("STORE 2,3,5 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = raw.cmd("EXPUNGE")
    assert status_of(tagged) == "OK", tagged
    assert len([u for u in untagged if u.endswith(b" EXPUNGE")]) == 3, untagged
    assert apply_expunges(uids, untagged) == [uids[0], uids[3]], untagged
    untagged, _ = raw.ok("FETCH 1:* UID")
    assert [int(d[b"UID"]) for _, d in fetches(untagged)] == [uids[0], uids[3]]
    # nothing left to expunge
    untagged, _ = raw.ok("EXPUNGE")
    assert untagged == [], untagged


def test_uid_expunge_only_given_uids(raw):
    uids = fill(raw, "INBOX", 4)
    raw.ok("SELECT INBOX")
    raw.ok("STORE 1:4 +FLAGS.SILENT (\\Deleted)")
    untagged, tagged = raw.cmd("UID EXPUNGE %d,%d" % (uids[1], uids[3]))
    assert status_of(tagged) == "OK", tagged
    assert apply_expunges(uids, untagged) == [uids[0], uids[2]], untagged
    assert sorted(uid_flags(raw)) == [uids[0], uids[2]]


# ---- STORE --------------------------------------------------------------------------------------

def test_store_add_remove_replace(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    untagged, _ = raw.ok("STORE 1:2 +FLAGS (\\Flagged $Work)")
    got = {seq: flagset(d[b"FLAGS"]) for seq, d in fetches(untagged)}
    assert got == {1: {"\\Flagged", "$Work"}, 2: {"\\Flagged", "$Work"}}, untagged
    untagged, _ = raw.ok("STORE 2 -FLAGS ($Work)")
    got = {seq: flagset(d[b"FLAGS"]) for seq, d in fetches(untagged)}
    assert got == {2: {"\\Flagged"}}, untagged
    untagged, _ = raw.ok("STORE 3 FLAGS (\\Answered \\Draft)")
    got = {seq: flagset(d[b"FLAGS"]) for seq, d in fetches(untagged)}
    assert got == {3: {"\\Answered", "\\Draft"}}, untagged
    untagged, _ = raw.ok("STORE 3 FLAGS ()")
    got = {seq: flagset(d[b"FLAGS"]) for seq, d in fetches(untagged)}
    assert got == {3: set()}, untagged
    assert uid_flags(raw) == {uids[0]: {"\\Flagged", "$Work"}, uids[1]: {"\\Flagged"},
                              uids[2]: set()}


def test_store_silent(raw):
    uids = fill(raw, "INBOX", 2)
    raw.ok("SELECT INBOX")
    for item in ("+FLAGS.SILENT (\\Seen)", "-FLAGS.SILENT (\\Seen)", "FLAGS.SILENT (\\Deleted)"):
        untagged, _ = raw.ok("STORE 1:2 " + item)
        assert fetches(untagged) == [], "%s answered %r" % (item, untagged)
    assert uid_flags(raw) == {uids[0]: {"\\Deleted"}, uids[1]: {"\\Deleted"}}


def test_store_flag_list_without_parentheses(raw):
    fill(raw, "INBOX", 1)
    raw.ok("SELECT INBOX")
    untagged, _ = raw.ok("STORE 1 +FLAGS \\Seen \\Answered")
    (_, d), = fetches(untagged)
    assert flagset(d[b"FLAGS"]) == {"\\Seen", "\\Answered"}, untagged


def test_uid_store_includes_uid(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    untagged, _ = raw.ok("UID STORE %d +FLAGS (\\Seen)" % uids[1])
    got = fetches(untagged)
    assert len(got) == 1, untagged
    seq, d = got[0]
    assert seq == 2 and int(d[b"UID"]) == uids[1], untagged
    assert flagset(d[b"FLAGS"]) == {"\\Seen"}, untagged
    # a UID range with no matching messages is OK and changes nothing
    untagged, tagged = raw.cmd("UID STORE 9000:9100 +FLAGS (\\Seen)")
    assert status_of(tagged) == "OK" and fetches(untagged) == [], (untagged, tagged)


def test_store_seq_out_of_range_is_bad_or_no(raw):
    fill(raw, "INBOX", 1)
    raw.ok("SELECT INBOX")
    _, tagged = raw.cmd("STORE 5 +FLAGS (\\Seen)")
    assert status_of(tagged) in ("BAD", "NO"), tagged


def test_store_recent_flag_is_rejected(raw):
    fill(raw, "INBOX", 1)
    raw.ok("SELECT INBOX")
    _, tagged = raw.cmd("STORE 1 +FLAGS (\\Recent)")
    assert status_of(tagged) in ("BAD", "NO"), tagged


def test_store_seen_by_another_session_is_reported_at_noop(account):
    a = account.raw()
    fill(a, "INBOX", 2)
    a.ok("SELECT INBOX")
    b = account.raw(select="INBOX")
    b.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    untagged, _ = a.ok("NOOP")
    got = {seq: flagset(d[b"FLAGS"]) for seq, d in fetches(untagged)}
    assert got == {2: {"\\Flagged"}}, untagged


def test_expunge_by_another_session_is_reported_at_noop(account):
    a = account.raw()
    uids = fill(a, "INBOX", 3)
    a.ok("SELECT INBOX")
    b = account.raw(select="INBOX")
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    untagged, _ = a.ok("NOOP")
    assert b"* 1 EXPUNGE" in untagged, untagged
    untagged, _ = a.ok("FETCH 1:* UID")
    assert [int(d[b"UID"]) for _, d in fetches(untagged)] == uids[1:], untagged


def test_no_expunge_during_fetch(account):
    """RFC 3501 7.4.1: no EXPUNGE response while a (non-UID) FETCH runs."""
    a = account.raw()
    fill(a, "INBOX", 3)
    a.ok("SELECT INBOX")
    b = account.raw(select="INBOX")
    b.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    untagged, _ = a.ok("FETCH 1:3 UID")
    assert not any(u.endswith(b"EXPUNGE") for u in untagged), untagged
    untagged, _ = a.ok("NOOP")
    assert b"* 1 EXPUNGE" in untagged, untagged


# ---- COPY / MOVE -------------------------------------------------------------------------------

def test_copy_with_copyuid(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("CREATE Dest")
    raw.ok("SELECT INBOX")
    raw.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
    untagged, tagged = raw.cmd("COPY 2:3 Dest")
    assert status_of(tagged) == "OK", tagged
    m = re.search(rb"\[COPYUID (\d+) (\S+) (\S+)\]", tagged)
    assert m, "COPY without COPYUID: %r" % tagged
    assert m.group(2) in (b"%d:%d" % (uids[1], uids[2]), b"%d,%d" % (uids[1], uids[2])), tagged
    untagged, _ = raw.ok("STATUS Dest (MESSAGES UIDVALIDITY)")
    assert b"MESSAGES 2" in untagged[0] and b"UIDVALIDITY %s" % m.group(1) in untagged[0], untagged
    # source untouched
    assert sorted(uid_flags(raw)) == uids
    raw.ok("EXAMINE Dest")
    untagged, _ = raw.ok("FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    got = fetches(untagged)
    assert [flagset(d[b"FLAGS"]) for _, d in got] == [{"\\Flagged"}, set()], untagged
    subjects = [d[b"BODY[HEADER.FIELDS (SUBJECT)]"] for _, d in got]
    assert subjects == [b"Subject: message 2\r\n\r\n", b"Subject: message 3\r\n\r\n"], untagged


def test_copy_errors(raw):
    fill(raw, "INBOX", 1)
    raw.ok("SELECT INBOX")
    _, tagged = raw.cmd("COPY 1 Missing")
    assert re.match(rb"T\d+ NO \[TRYCREATE\]", tagged), tagged


def test_uid_copy(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    untagged, tagged = raw.cmd("UID COPY %d Trash" % uids[2])
    assert status_of(tagged) == "OK", tagged
    m = re.search(rb"\[COPYUID (\d+) %d (\d+)\]" % uids[2], tagged)
    assert m, tagged
    # a UID set with no existing message copies nothing and is OK
    _, tagged = raw.cmd("UID COPY 9999 Trash")
    assert status_of(tagged) == "OK", tagged
    untagged, _ = raw.ok("STATUS Trash (MESSAGES)")
    assert b"MESSAGES 1" in untagged[0], untagged


def test_move(raw):
    uids = fill(raw, "INBOX", 4)
    raw.ok("SELECT INBOX")
    untagged, tagged = raw.cmd("MOVE 2:3 Archive")
    assert status_of(tagged) == "OK", tagged
    codes = imapwire.untagged_code(untagged, "COPYUID")
    tagged_code = re.search(rb"\[(COPYUID [^\]]*)\]", tagged)
    assert codes or tagged_code, "MOVE without COPYUID: %r %r" % (untagged, tagged)
    code = codes[0] if codes else tagged_code.group(1).decode()
    assert code.split()[2] in ("%d:%d" % (uids[1], uids[2]), "%d,%d" % (uids[1], uids[2])), code
    # RFC 6851: the COPYUID untagged OK comes before the EXPUNGEs
    if codes:
        first_ok = next(i for i, u in enumerate(untagged) if b"COPYUID" in u)
        first_exp = next(i for i, u in enumerate(untagged) if u.endswith(b" EXPUNGE"))
        assert first_ok < first_exp, untagged
    assert apply_expunges(uids, untagged) == [uids[0], uids[3]], untagged
    untagged, _ = raw.ok("STATUS Archive (MESSAGES)")
    assert b"MESSAGES 2" in untagged[0], untagged


def test_uid_move(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    untagged, tagged = raw.cmd("UID MOVE %d Junk" % uids[0])
    assert status_of(tagged) == "OK", tagged
    assert b"* 1 EXPUNGE" in untagged, untagged
    assert sorted(uid_flags(raw)) == uids[1:]
    _, tagged = raw.cmd("UID MOVE %d Missing" % uids[1])
    assert re.match(rb"T\d+ NO \[TRYCREATE\]", tagged), tagged


# ---- UID FETCH / SEARCH ------------------------------------------------------------------------

def test_uid_fetch_star_range(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    # n:* with n above the highest UID still names the last message (RFC 3501 6.4.8)
    untagged, _ = raw.ok("UID FETCH %d:* UID" % (uids[-1] + 100))
    got = fetches(untagged)
    assert [int(d[b"UID"]) for _, d in got] == [uids[-1]], untagged
    assert got[0][0] == 3, untagged
    untagged, _ = raw.ok("UID FETCH 1:* FLAGS")
    got = fetches(untagged)
    assert [int(d[b"UID"]) for _, d in got] == uids, "UID FETCH must include UID: %r" % untagged
    untagged, tagged = raw.cmd("UID FETCH %d FLAGS" % (uids[-1] + 50))
    assert status_of(tagged) == "OK" and fetches(untagged) == [], (untagged, tagged)


def test_uid_search(raw):
    uids = fill(raw, "INBOX", 3)
    raw.ok("SELECT INBOX")
    raw.ok("STORE 2 +FLAGS.SILENT (\\Seen)")
    untagged, _ = raw.ok("UID SEARCH SEEN")
    assert search_result(untagged) == [uids[1]], untagged
    untagged, _ = raw.ok("UID SEARCH UID %d:%d" % (uids[1], uids[2]))
    assert search_result(untagged) == uids[1:], untagged
    untagged, _ = raw.ok("SEARCH UID %d" % uids[2])
    assert search_result(untagged) == [3], untagged
