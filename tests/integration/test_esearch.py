"""The SEARCH family beyond RFC 3501: ESEARCH (RFC 4731), SEARCHRES (RFC 5182), WITHIN (RFC 5032),
SAVEDATE (RFC 8514), SEARCH's MODSEQ output (RFC 7162 3.1.5) and IMAP4rev2's ESEARCH (RFC 9051).

Built from the RFCs' own examples where they have them. HADRON_IT_REFERENCE=dovecot runs the
same expectations against Dovecot 2.3.19 (the IMAP4rev2 and hadronctl tests are Hadron-only).
"""

import datetime
import re
import time

import pytest

from conftest import requires_hadron
from imapwire import fetches, instant, search_result, status_of


def tag_of(tagged):
    return tagged.split(b" ", 1)[0].decode()


def esearch(untagged, tagged):
    """The one '* ESEARCH' response of a command, checked for its (TAG "...") correlator, as the
    text after the correlator ("UID MIN 2 COUNT 3", or "" when nothing is returned)."""
    found = [r for r in untagged if r.upper().startswith(b"* ESEARCH")]
    assert len(found) == 1, "expected one * ESEARCH response, got %r" % (untagged,)
    assert not [r for r in untagged if r.upper().startswith(b"* SEARCH")], untagged
    prefix = b'* ESEARCH (TAG "%s")' % tag_of(tagged).encode()
    assert found[0].startswith(prefix), (found[0], prefix)
    return found[0][len(prefix):].strip().decode()


def seqset(numbers):
    """The compact sequence-set form a server must use for ESEARCH ALL (ascending runs)."""
    out, run = [], []
    for n in sorted(numbers):
        if run and n == run[-1] + 1:
            run.append(n)
            continue
        if run:
            out.append(str(run[0]) if len(run) == 1 else "%d:%d" % (run[0], run[-1]))
        run = [n]
    if run:
        out.append(str(run[0]) if len(run) == 1 else "%d:%d" % (run[0], run[-1]))
    return ",".join(out)


def append(raw, flags, date, data, mailbox="INBOX"):
    _, tagged = raw.cmd_literal('APPEND %s (%s) "%s"' % (mailbox, flags, date), data)
    assert status_of(tagged) == "OK", tagged
    m = re.search(rb"APPENDUID \d+ (\d+)", tagged)
    return int(m.group(1)) if m else None


def message(i, sender="someone@example.org"):
    return (b"From: %s\r\nSubject: message %d\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n"
            b"body of message %d\r\n" % (sender.encode(), i, i))


# RFC 4731 / RFC 5182 use "FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"". This mailbox makes it
# match sequence numbers 2, 10 and 11 (the RFC's "ALL 2,10:11"): flagged 2, 5, 10, 11, 12;
# 5 is from Smith; 12 was received before 1-Feb-1994. A first message is expunged so that UIDs
# and sequence numbers differ (UID = seq + 1).
RFC_QUERY = 'FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'
RFC_MATCH = [2, 10, 11]


@pytest.fixture
def rfcbox(account):
    raw = account.raw()
    append(raw, "\\Deleted", "01-Jan-2000 00:00:00 +0000", message(0))
    for i in range(1, 13):
        flags = "\\Flagged" if i in (2, 5, 10, 11, 12) else ""
        date = "10-Jan-1994 10:00:00 +0000" if i == 12 else "%02d-Feb-1994 10:00:00 +0000" % (i + 1)
        sender = "John Smith <smith@example.org>" if i == 5 else "someone%d@example.org" % i
        append(raw, flags, date, message(i, sender))
    raw.ok("SELECT INBOX")
    raw.ok("EXPUNGE")
    uid_of = {}
    for seq, f in fetches(raw.ok("FETCH 1:* (UID)")[0]):
        uid_of[seq] = int(f[b"UID"])
    assert len(uid_of) == 12 and all(uid_of[s] != s for s in uid_of), uid_of
    return raw, uid_of


# ---- ESEARCH (RFC 4731) ----------------------------------------------------------------------

def test_rfc4731_examples(rfcbox):
    raw, uid_of = rfcbox
    # Example 1: MIN and COUNT.
    u, t = raw.ok("SEARCH RETURN (MIN COUNT) " + RFC_QUERY)
    assert esearch(u, t) == "MIN 2 COUNT 3"
    # Example 2: RETURN () is ALL, as a sequence set.
    u, t = raw.ok("SEARCH RETURN () " + RFC_QUERY)
    assert esearch(u, t) == "ALL 2,10:11"
    # Example 3: UID SEARCH with MIN and MAX over a range (the UID indicator is present).
    u, t = raw.ok("UID SEARCH RETURN (MIN MAX) 1:5000")
    assert esearch(u, t) == "UID MIN %d MAX %d" % (uid_of[1], uid_of[12])
    # Example 4: UID ALL compresses the UIDs.
    u, t = raw.ok("UID SEARCH RETURN (ALL) " + RFC_QUERY)
    assert esearch(u, t) == "UID ALL " + seqset(uid_of[s] for s in RFC_MATCH)
    # Example 5: no match: MIN/MAX/ALL are left out, the correlator stays.
    u, t = raw.ok("SEARCH RETURN (MIN MAX ALL) SUBJECT no-such-subject")
    assert esearch(u, t) == ""


def test_esearch_count_zero_and_order(rfcbox):
    raw, uid_of = rfcbox
    u, t = raw.ok("SEARCH RETURN (COUNT) SUBJECT no-such-subject")
    assert esearch(u, t) == "COUNT 0"
    # Options come back in one order (MIN MAX ALL COUNT, as Dovecot) whatever order was asked.
    u, t = raw.ok("SEARCH RETURN (COUNT ALL MAX MIN) 2:5")
    assert esearch(u, t) == "MIN 2 MAX 5 ALL 2:5 COUNT 4"
    u, t = raw.ok("UID SEARCH RETURN (COUNT ALL MAX MIN) 2:5")
    assert esearch(u, t) == "UID MIN %d MAX %d ALL %s COUNT 4" % (
        uid_of[2], uid_of[5], seqset(uid_of[s] for s in range(2, 6)))
    # Repeating an option is harmless.
    u, t = raw.ok("SEARCH RETURN (MIN MIN) ALL")
    assert esearch(u, t) == "MIN 1"


def test_esearch_all_compresses_gaps(rfcbox):
    raw, uid_of = rfcbox
    odd = [1, 3, 4, 5, 7, 8, 12]
    u, t = raw.ok("SEARCH RETURN (ALL) " + ",".join(map(str, odd)))
    assert esearch(u, t) == "ALL 1,3:5,7:8,12"
    u, t = raw.ok("UID SEARCH RETURN (ALL) UID " + ",".join(str(uid_of[s]) for s in odd))
    assert esearch(u, t) == "UID ALL " + seqset(uid_of[s] for s in odd)


def test_plain_search_stays_search(rfcbox):
    raw, _ = rfcbox
    u, _ = raw.ok("SEARCH " + RFC_QUERY)
    assert search_result(u) == RFC_MATCH
    assert not [r for r in u if r.startswith(b"* ESEARCH")], u


def test_esearch_errors(rfcbox):
    raw, _ = rfcbox
    for bad in ("SEARCH RETURN (FOO) ALL", "SEARCH RETURN (MIN", "SEARCH RETURN MIN ALL",
                "SEARCH RETURN (MIN)"):
        _, tagged = raw.cmd(bad)
        assert status_of(tagged) == "BAD", (bad, tagged)


# ---- SEARCHRES (RFC 5182) --------------------------------------------------------------------

def fetched_uids(untagged):
    return sorted(int(f[b"UID"]) for _, f in fetches(untagged) if b"UID" in f)


def test_rfc5182_examples(rfcbox):
    raw, uid_of = rfcbox
    # Example 1: SAVE alone answers nothing but OK; FETCH $ then sees the saved messages.
    u, t = raw.ok("SEARCH RETURN (SAVE) " + RFC_QUERY)
    assert not [r for r in u if b"SEARCH" in r], u
    u, _ = raw.ok("FETCH $ (UID INTERNALDATE FLAGS)")
    assert [s for s, _ in fetches(u)] == RFC_MATCH
    # Example 2: "$" inside SEARCH, with more keys: the saved result ANDed with SMALLER.
    u, _ = raw.ok("SEARCH $ SMALLER 4096")
    assert search_result(u) == RFC_MATCH
    u, _ = raw.ok("SEARCH $ NOT 10")
    assert search_result(u) == [2, 11]
    # Example 3: UID SEARCH RETURN (SAVE) then UID FETCH $ / UID COPY $.
    raw.ok("UID SEARCH RETURN (SAVE) UID 3:4")
    u, _ = raw.ok("UID FETCH $ (UID)")
    assert fetched_uids(u) == [3, 4]
    u, t = raw.ok("UID COPY $ Archive")
    assert re.search(rb"COPYUID \d+ 3:4 ", t), t
    # SAVE with MIN and MAX (no ALL/COUNT) saves only those two (RFC 5182 2.4).
    u, t = raw.ok("SEARCH RETURN (SAVE MIN MAX) " + RFC_QUERY)
    assert esearch(u, t) == "MIN 2 MAX 11"
    u, _ = raw.ok("FETCH $ (UID)")
    assert [s for s, _ in fetches(u)] == [2, 11]
    raw.ok("SEARCH RETURN (SAVE MAX) " + RFC_QUERY)
    assert [s for s, _ in fetches(raw.ok("FETCH $ (UID)")[0])] == [11]
    # SAVE with ALL or COUNT saves everything.
    u, t = raw.ok("SEARCH RETURN (SAVE COUNT) " + RFC_QUERY)
    assert esearch(u, t) == "COUNT 3"
    assert [s for s, _ in fetches(raw.ok("FETCH $ (UID)")[0])] == RFC_MATCH
    # "$" refers to the previous result while the new one is computed.
    raw.ok("SEARCH RETURN (SAVE) $ NOT 2")
    assert search_result(raw.ok("SEARCH $")[0]) == [10, 11]


def test_dollar_is_empty_before_save_and_after_select(rfcbox):
    raw, _ = rfcbox
    u, _ = raw.ok("FETCH $ (UID)")
    assert fetches(u) == []
    assert search_result(raw.ok("SEARCH $")[0]) == []
    assert search_result(raw.ok("UID SEARCH $")[0]) == []
    raw.ok("SEARCH RETURN (SAVE) 1:3")
    assert len(fetches(raw.ok("FETCH $ (UID)")[0])) == 3
    raw.ok("SELECT INBOX")
    assert fetches(raw.ok("FETCH $ (UID)")[0]) == []
    raw.ok("SEARCH RETURN (SAVE) 1:3")
    raw.ok("EXAMINE INBOX")
    assert fetches(raw.ok("FETCH $ (UID)")[0]) == []


def test_failed_search_with_save(rfcbox):
    raw, _ = rfcbox
    raw.ok("SEARCH RETURN (SAVE) 2,4:5")
    # BAD (the command was not understood) leaves "$" alone ...
    _, t = raw.cmd("SEARCH RETURN (SAVE) NO-SUCH-KEY")
    assert status_of(t) == "BAD", t
    assert [s for s, _ in fetches(raw.ok("FETCH $ (UID)")[0])] == [2, 4, 5]
    # ... a NO empties it (RFC 5182 2.1).
    _, t = raw.cmd("SEARCH RETURN (SAVE) CHARSET X-NO-SUCH-CHARSET ALL")
    assert status_of(t) == "NO", t
    assert fetches(raw.ok("FETCH $ (UID)")[0]) == []
    assert search_result(raw.ok("SEARCH $")[0]) == []


def test_dollar_in_store_copy_move_expunge(rfcbox):
    raw, uid_of = rfcbox
    raw.ok("SEARCH RETURN (SAVE) 2,4")
    u, _ = raw.ok("STORE $ +FLAGS (\\Seen)")
    assert sorted(s for s, _ in fetches(u)) == [2, 4]
    assert search_result(raw.ok("SEARCH SEEN")[0]) == [2, 4]
    u, _ = raw.ok("UID STORE $ -FLAGS.SILENT (\\Seen)")
    assert search_result(raw.ok("SEARCH SEEN")[0]) == []
    _, t = raw.ok("COPY $ Archive")
    assert re.search(rb"COPYUID \d+ %d,%d " % (uid_of[2], uid_of[4]), t), t
    # MOVE $: the moved messages leave; "$" then names nothing that is left.
    u, t = raw.ok("MOVE $ Trash")
    assert len([r for r in u if re.match(rb"\* \d+ EXPUNGE", r)]) == 2, u
    assert fetches(raw.ok("FETCH $ (UID)")[0]) == []
    assert search_result(raw.ok("SEARCH ALL")[0]) == list(range(1, 11))
    # UID EXPUNGE $ removes exactly the saved messages that are \Deleted.
    raw.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    raw.ok("SEARCH RETURN (SAVE) 2:3")
    u, _ = raw.ok("UID EXPUNGE $")
    assert len([r for r in u if re.match(rb"\* \d+ EXPUNGE", r)]) == 2, u
    assert search_result(raw.ok("SEARCH DELETED")[0]) == [1]


def test_dollar_after_expunge_by_another_session(account, rfcbox):
    raw, uid_of = rfcbox
    raw.ok("SEARCH RETURN (SAVE) 2,4:5")
    other = account.raw(select="INBOX")
    other.ok("STORE 4 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    # FETCH may not announce the expunge: the client's numbers still hold.
    u, t = raw.ok("FETCH $ (UID)")
    assert not [r for r in u if b"EXPUNGE" in r], u
    assert {uid_of[2], uid_of[5]} <= set(fetched_uids(u)) <= {uid_of[2], uid_of[4], uid_of[5]}
    raw.ok("NOOP")  # the EXPUNGE arrives; the expunged message leaves "$"
    u, _ = raw.ok("FETCH $ (UID)")
    assert [(s, int(f[b"UID"])) for s, f in fetches(u)] == [(2, uid_of[2]), (4, uid_of[5])]
    assert search_result(raw.ok("UID SEARCH $")[0]) == [uid_of[2], uid_of[5]]
    assert search_result(raw.ok("SEARCH $")[0]) == [2, 4]
    other.close()


# ---- WITHIN (RFC 5032) -----------------------------------------------------------------------

def imap_date(ts):
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(ts))


def test_within_older_younger(raw):
    now = time.time()
    # Internal dates relative to now; the margins (an hour and more) absorb the test's runtime.
    ages = [3 * 86400, 2 * 3600, 60]
    for i, age in enumerate(ages):
        append(raw, "", imap_date(now - age), message(i))
    raw.ok("SELECT INBOX")
    cases = [("OLDER 86400", [1]), ("YOUNGER 86400", [2, 3]), ("OLDER 3600", [1, 2]),
             ("YOUNGER 3600", [3]), ("YOUNGER 10000000", [1, 2, 3]), ("OLDER 10000000", []),
             ("NOT YOUNGER 3600", [1, 2]), ("OLDER 3600 YOUNGER 86400", [2])]
    for key, expected in cases:
        assert search_result(raw.ok("SEARCH " + key)[0]) == expected, key
    u, t = raw.ok("SEARCH RETURN (COUNT) YOUNGER 86400")
    assert esearch(u, t) == "COUNT 2"
    for bad in ("SEARCH OLDER 0", "SEARCH YOUNGER", "SEARCH YOUNGER -5", "SEARCH OLDER x"):
        _, t = raw.cmd(bad)
        assert status_of(t) == "BAD", (bad, t)


# ---- SAVEDATE (RFC 8514) ---------------------------------------------------------------------

def savedates(untagged):
    return {s: instant(bytes(f[b"SAVEDATE"])) for s, f in fetches(untagged)}


def test_savedate_fetch_and_search(raw):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    append(raw, "", "01-Jan-2001 10:00:00 +0100", message(1))
    raw.ok("SELECT INBOX")
    u, _ = raw.ok("FETCH 1 (SAVEDATE INTERNALDATE)")
    (seq, f), = fetches(u)
    saved = instant(bytes(f[b"SAVEDATE"]))
    after = datetime.datetime.now(datetime.timezone.utc)
    # The save date is when APPEND ran, not the internal date the client gave.
    assert before - datetime.timedelta(seconds=2) <= saved <= after + datetime.timedelta(seconds=2)
    assert instant(bytes(f[b"INTERNALDATE"])).year == 2001
    # UID FETCH names SAVEDATE in the order asked, after UID.
    u, _ = raw.ok("UID FETCH 1:* (SAVEDATE)")
    assert re.match(rb'\* 1 FETCH \(UID \d+ SAVEDATE "[^"]+"\)$', u[0]), u
    today = saved.strftime("%d-%b-%Y")
    tomorrow = (saved + datetime.timedelta(days=1)).strftime("%d-%b-%Y")
    for key, expected in [("SAVEDATESUPPORTED", [1]), ("SAVEDON " + today, [1]),
                          ("SAVEDSINCE " + today, [1]), ("SAVEDBEFORE " + today, []),
                          ("SAVEDBEFORE " + tomorrow, [1]), ("SAVEDSINCE " + tomorrow, []),
                          ("SAVEDON 1-Jan-2001", []), ("ON 1-Jan-2001", [1])]:
        assert search_result(raw.ok("SEARCH " + key)[0]) == expected, key
    _, t = raw.cmd("SEARCH SAVEDON notadate")
    assert status_of(t) == "BAD", t


def test_savedate_is_renewed_by_copy_and_move(raw):
    append(raw, "", "01-Jan-2001 10:00:00 +0000", message(1))
    append(raw, "", "01-Jan-2001 10:00:00 +0000", message(2))
    raw.ok("SELECT INBOX")
    original = savedates(raw.ok("FETCH 1:2 (SAVEDATE)")[0])
    time.sleep(1.2)  # save dates have one-second resolution
    raw.ok("COPY 1 Archive")
    raw.ok("MOVE 2 Archive")
    raw.ok("SELECT Archive")
    copied = savedates(raw.ok("FETCH 1:2 (SAVEDATE)")[0])
    assert copied[1] > original[1] and copied[2] > original[2], (original, copied)


def test_savedate_of_delivered_message(cluster, account):
    requires_hadron(cluster)
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    cluster.ctl("deliver", account.name, input=message(1))
    raw = account.raw(select="INBOX")
    (saved,) = savedates(raw.ok("FETCH 1 (SAVEDATE)")[0]).values()
    assert saved >= before - datetime.timedelta(seconds=2), (saved, before)


# ---- MODSEQ in SEARCH results (RFC 7162 3.1.5) ------------------------------------------------

def modseqs(raw):
    out = {}
    for r in raw.ok("FETCH 1:* (MODSEQ)")[0]:
        m = re.match(rb"\* (\d+) FETCH \(MODSEQ \((\d+)\)\)$", r)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    assert len(out) == 12, out
    return out


def test_search_modseq_output(rfcbox):
    raw, _ = rfcbox
    raw.ok("STORE 3 +FLAGS (\\Seen)")  # message 3 now has the highest modseq
    ms = modseqs(raw)
    u, _ = raw.ok("SEARCH MODSEQ 1")
    line = [r for r in u if r.startswith(b"* SEARCH")][0]
    assert line == b"* SEARCH %s (MODSEQ %d)" % (
        " ".join(map(str, range(1, 13))).encode(), max(ms.values())), line
    u, _ = raw.ok("SEARCH MODSEQ 1 NOT 3")
    line = [r for r in u if r.startswith(b"* SEARCH")][0]
    top = max(v for s, v in ms.items() if s != 3)
    assert line.endswith(b" (MODSEQ %d)" % top), line
    # Nothing found: no MODSEQ.
    u, _ = raw.ok("SEARCH MODSEQ %d" % (max(ms.values()) + 1000))
    assert [r for r in u if r.startswith(b"* SEARCH")] == [b"* SEARCH"], u
    # ESEARCH: MODSEQ last; with only MIN/MAX it covers just the returned messages.
    u, t = raw.ok("SEARCH RETURN (ALL) MODSEQ 1")
    assert esearch(u, t) == "ALL 1:12 MODSEQ %d" % max(ms.values())
    u, t = raw.ok("SEARCH RETURN (COUNT) MODSEQ 1 1:2")
    assert esearch(u, t) == "COUNT 2 MODSEQ %d" % max(ms[1], ms[2])
    u, t = raw.ok("SEARCH RETURN (MIN) MODSEQ 1")
    assert esearch(u, t) == "MIN 1 MODSEQ %d" % ms[1]
    u, t = raw.ok("SEARCH RETURN (MIN MAX) MODSEQ 1 2:3")
    assert esearch(u, t) == "MIN 2 MAX 3 MODSEQ %d" % max(ms[2], ms[3])
    # Without a MODSEQ key there is no MODSEQ in the answer.
    u, t = raw.ok("SEARCH RETURN (ALL) 1:2")
    assert esearch(u, t) == "ALL 1:2"


# ---- IMAP4rev2 (RFC 9051 6.4.4) ---------------------------------------------------------------

def test_imap4rev2_search_answers_esearch(cluster, rfcbox):
    requires_hadron(cluster)
    raw, uid_of = rfcbox
    u, _ = raw.ok("ENABLE IMAP4rev2")
    assert u == [b"* ENABLED IMAP4rev2"], u
    u, t = raw.ok("SEARCH " + RFC_QUERY)
    assert esearch(u, t) == "ALL 2,10:11"
    u, t = raw.ok("UID SEARCH " + RFC_QUERY)
    assert esearch(u, t) == "UID ALL " + seqset(uid_of[s] for s in RFC_MATCH)
    u, t = raw.ok("SEARCH SUBJECT no-such-subject")
    assert esearch(u, t) == ""
    u, t = raw.ok("UID SEARCH SUBJECT no-such-subject")
    assert esearch(u, t) == "UID"
    u, t = raw.ok("SEARCH RETURN (COUNT) " + RFC_QUERY)
    assert esearch(u, t) == "COUNT 3"
    u, t = raw.ok("SEARCH RETURN (SAVE) " + RFC_QUERY)
    assert not [r for r in u if b"SEARCH" in r], u
