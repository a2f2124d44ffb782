"""CONDSTORE and QRESYNC (RFC 7162), and UIDONLY (RFC 9586), over real connections.

Built from the RFC's examples and from what Dovecot 2.3 answers (run the file with
HADRON_IT_REFERENCE=dovecot to check the expectations against it; the UIDONLY tests are
Hadron-only: Dovecot 2.3 does not have it).
"""

import re

import pytest

from conftest import requires_hadron
from imapwire import parse_fetch, status_of


def msg(i):
    return b"From: a@example.com\r\nSubject: m%d\r\n\r\nbody %d\r\n" % (i, i)


def fill(r, n, mailbox="INBOX"):
    for i in range(n):
        r.cmd_literal("APPEND %s" % mailbox, msg(i))


def code(lines, name):
    """The number in `[NAME n]` of the first line that has it, or None."""
    for line in lines:
        m = re.search(rb"\[" + name.encode() + rb" (\d+)\]", line)
        if m:
            return int(m.group(1))
    return None


def fetch_rows(untagged):
    """{seq: parsed dict} of the untagged FETCH responses."""
    out = {}
    for u in untagged:
        m = re.match(rb"\* (\d+) FETCH ", u)
        if m:
            out[int(m.group(1))] = parse_fetch(u)[1]
    return out


def modseq_of(row):
    return int(row[b"MODSEQ"][0])


def vanished(untagged, earlier):
    prefix = b"* VANISHED (EARLIER) " if earlier else b"* VANISHED "
    return [u[len(prefix):].decode() for u in untagged
            if u.startswith(prefix) and (earlier or not u.startswith(b"* VANISHED (EARLIER)"))]


def uidset(text):
    out = set()
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":")
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def select(r, args=""):
    untagged, tagged = r.ok("SELECT INBOX" + args)
    return untagged, tagged


# ---- CONDSTORE ------------------------------------------------------------------------------


def test_enable_and_highestmodseq(account):
    r = account.raw()
    fill(r, 3)
    untagged, _ = select(r)
    assert code(untagged, "HIGHESTMODSEQ") is None  # not before CONDSTORE is on
    untagged, _ = r.ok("ENABLE CONDSTORE")
    assert b"* ENABLED CONDSTORE" in untagged
    untagged, _ = select(r)
    hms = code(untagged, "HIGHESTMODSEQ")
    assert hms is not None and hms > 0
    rows = fetch_rows(r.ok("FETCH 1:* (MODSEQ)")[0])
    assert sorted(rows) == [1, 2, 3]
    assert max(modseq_of(v) for v in rows.values()) <= hms


def test_select_condstore_parameter(account):
    r = account.raw()
    fill(r, 1)
    untagged, _ = r.ok("EXAMINE INBOX (CONDSTORE)")
    assert code(untagged, "HIGHESTMODSEQ") is not None


def test_condstore_enabling_fetch_announces_highestmodseq(account):
    r = account.raw()
    fill(r, 2)
    select(r)
    untagged, _ = r.ok("FETCH 1 (MODSEQ)")
    assert any(u.startswith(b"* OK [HIGHESTMODSEQ ") for u in untagged), untagged
    # Only the first time.
    untagged, _ = r.ok("FETCH 2 (MODSEQ)")
    assert not any(b"HIGHESTMODSEQ" in u for u in untagged)


def test_store_returns_modseq_and_modseq_grows(account):
    r = account.raw()
    fill(r, 3)
    r.ok("ENABLE CONDSTORE")
    untagged, _ = select(r)
    hms = code(untagged, "HIGHESTMODSEQ")
    untagged, _ = r.ok("STORE 2 +FLAGS (\\Seen)")
    row = fetch_rows(untagged)[2]
    assert modseq_of(row) > hms
    assert b"\\Seen" in row[b"FLAGS"]
    # .SILENT still reports the new MODSEQ of what changed (RFC 7162 3.1.3), without FLAGS.
    untagged, _ = r.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    row = fetch_rows(untagged)[1]
    assert b"FLAGS" not in row and modseq_of(row) > hms
    # ... and nothing when nothing changed.
    untagged, _ = r.ok("STORE 1 +FLAGS.SILENT (\\Flagged)")
    assert fetch_rows(untagged) == {}
    # UID STORE names the UID.
    untagged, _ = r.ok("UID STORE 3 +FLAGS (\\Answered)")
    row = fetch_rows(untagged)[3]
    assert int(row[b"UID"]) == 3 and modseq_of(row) > hms


def test_store_unchangedsince_rfc_examples(account):
    r = account.raw()
    fill(r, 5)
    r.ok("ENABLE CONDSTORE")
    untagged, _ = select(r)
    base = code(untagged, "HIGHESTMODSEQ")
    # All pass: the modseqs are all <= base.
    untagged, tagged = r.ok("STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Deleted)" % base)
    assert b"MODIFIED" not in tagged
    rows = fetch_rows(untagged)
    assert sorted(rows) == [1, 2] and all(modseq_of(v) > base for v in rows.values())
    # Message 2 changed since `base`: it fails, 3 passes.
    untagged, tagged = r.ok("STORE 2:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % base)
    assert re.search(rb"OK \[MODIFIED 2\]", tagged), tagged
    assert sorted(fetch_rows(untagged)) == [3]
    flags = fetch_rows(r.ok("FETCH 2 (FLAGS)")[0])[2][b"FLAGS"]
    assert b"\\Seen" not in flags
    # UID STORE reports UIDs.
    untagged, tagged = r.ok("UID STORE 1:5 (UNCHANGEDSINCE %d) -FLAGS (\\Deleted)" % base)
    assert re.search(rb"OK \[MODIFIED 1:3\]", tagged), tagged
    # UNCHANGEDSINCE 0 fails for every existing message.
    untagged, tagged = r.ok("STORE 4:5 (UNCHANGEDSINCE 0) +FLAGS (\\Draft)")
    assert re.search(rb"OK \[MODIFIED 4:5\]", tagged), tagged
    assert fetch_rows(untagged) == {}


def test_fetch_changedsince(account):
    r = account.raw()
    fill(r, 4)
    r.ok("ENABLE CONDSTORE")
    untagged, _ = select(r)
    base = code(untagged, "HIGHESTMODSEQ")
    r.ok("STORE 2,4 +FLAGS (\\Flagged)")
    rows = fetch_rows(r.ok("FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % base)[0])
    assert sorted(rows) == [2, 4]
    assert all(b"MODSEQ" in v for v in rows.values())  # implied by CHANGEDSINCE
    rows = fetch_rows(r.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % base)[0])
    assert sorted(int(v[b"UID"]) for v in rows.values()) == [2, 4]
    # VANISHED needs QRESYNC.
    _, tagged = r.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
    assert status_of(tagged) == "BAD"


def test_flag_change_from_other_session_carries_modseq(account):
    a = account.raw()
    fill(a, 3)
    a.ok("ENABLE CONDSTORE")
    select(a)
    b = account.raw(select="INBOX")
    _, _ = b.ok("STORE 2 +FLAGS.SILENT (\\Answered)")
    untagged, _ = a.ok("NOOP")
    rows = fetch_rows(untagged)
    assert list(rows) == [2]
    assert b"MODSEQ" in rows[2] and b"\\Answered" in rows[2][b"FLAGS"]
    assert b"UID" not in rows[2]  # CONDSTORE alone: no UID (as Dovecot)


# ---- QRESYNC --------------------------------------------------------------------------------


def test_qresync_needs_enable(account):
    r = account.raw()
    fill(r, 1)
    untagged, _ = select(r)
    uv = code(untagged, "UIDVALIDITY")
    _, tagged = r.cmd("SELECT INBOX (QRESYNC (%d 1))" % uv)
    assert status_of(tagged) == "BAD"


def test_qresync_vanished_instead_of_expunge(account):
    a = account.raw()
    fill(a, 6)
    untagged, _ = a.ok("ENABLE QRESYNC")
    assert b"* ENABLED QRESYNC" in untagged
    select(a)
    b = account.raw(select="INBOX")
    b.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
    b.ok("EXPUNGE")
    b.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
    untagged, tagged = a.ok("NOOP")
    assert not any(re.match(rb"\* \d+ EXPUNGE", u) for u in untagged), untagged
    assert [uidset(v) for v in vanished(untagged, False)] == [{2, 4}]
    rows = fetch_rows(untagged)
    assert list(rows) == [1] and int(rows[1][b"UID"]) == 1 and b"MODSEQ" in rows[1]
    # Our own EXPUNGE too.
    a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
    untagged, _ = a.ok("EXPUNGE")
    assert [uidset(v) for v in vanished(untagged, False)] == [{1}]
    assert not any(b"EXPUNGE" in u for u in untagged)


def test_qresync_select_reports_what_changed(account):
    r = account.raw()
    fill(r, 10)
    r.ok("ENABLE QRESYNC")
    untagged, _ = select(r)
    uv = code(untagged, "UIDVALIDITY")
    known = code(untagged, "HIGHESTMODSEQ")
    r.ok("UNSELECT")
    other = account.raw(select="INBOX")
    other.ok("STORE 3 +FLAGS.SILENT (\\Flagged)")
    other.ok("STORE 2,4,5 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    other.close()
    # RFC 7162 3.2.5.1 example shape: VANISHED (EARLIER), then FETCH (UID FLAGS MODSEQ).
    # known-uids may not use "*" (RFC 7162 4, "*" is not allowed).
    _, tagged = r.cmd("SELECT INBOX (QRESYNC (%d %d 1:*))" % (uv, known))
    assert status_of(tagged) == "BAD"
    for args in ["(QRESYNC (%d %d))", "(QRESYNC (%d %d 1:100))",
                 "(QRESYNC (%d %d 1:100 (1:3 1:3)))"]:
        untagged, _ = r.ok("SELECT INBOX " + args % (uv, known))
        v = vanished(untagged, True)
        assert len(v) == 1 and uidset(v[0]) == {2, 4, 5}, (args, untagged)
        assert untagged.index([u for u in untagged if u.startswith(b"* VANISHED")][0]) < \
            min(i for i, u in enumerate(untagged) if b" FETCH " in u)
        rows = fetch_rows(untagged)
        assert [int(x[b"UID"]) for x in rows.values()] == [3], untagged
        assert b"\\Flagged" in rows[2][b"FLAGS"] and modseq_of(rows[2]) > known
    # Known UIDs limit the report.
    untagged, _ = r.ok("SELECT INBOX (QRESYNC (%d %d 5:100))" % (uv, known))
    assert [uidset(v) for v in vanished(untagged, True)] == [{5}]
    assert fetch_rows(untagged) == {}
    # Up to date: nothing to report.
    untagged, _ = r.ok("SELECT INBOX (QRESYNC (%d %d))" % (uv, code(untagged, "HIGHESTMODSEQ")))
    assert vanished(untagged, True) == [] and fetch_rows(untagged) == {}
    # Another UIDVALIDITY: a plain SELECT.
    untagged, _ = r.ok("SELECT INBOX (QRESYNC (%d %d))" % (uv + 1, known))
    assert vanished(untagged, True) == [] and fetch_rows(untagged) == {}


def test_uid_fetch_vanished_with_star_beyond_highest_uid(account):
    r = account.raw()
    fill(r, 5)
    r.ok("ENABLE QRESYNC")
    untagged, _ = select(r)
    known = code(untagged, "HIGHESTMODSEQ")
    other = account.raw(select="INBOX")
    other.ok("STORE 1,5 +FLAGS.SILENT (\\Deleted)")
    other.ok("EXPUNGE")
    r.ok("NOOP")
    for rng in ["1:*", "1:1000", "*:1", "3:4294967295"]:
        untagged, _ = r.ok("UID FETCH %s (FLAGS) (CHANGEDSINCE %d VANISHED)" % (rng, known))
        v = vanished(untagged, True)
        want = {1, 5} if rng != "3:4294967295" else {5}
        assert len(v) == 1 and uidset(v[0]) == want, (rng, untagged)


def test_qresync_after_expunge_on_other_frontend(shared_account):
    a = shared_account.raw(fe=0)
    fill(a, 8)
    a.ok("ENABLE QRESYNC")
    untagged, _ = a.ok("SELECT INBOX")
    uv = code(untagged, "UIDVALIDITY")
    known = code(untagged, "HIGHESTMODSEQ")
    a.ok("UNSELECT")
    b = shared_account.raw(fe=1, select="INBOX")
    b.ok("UID STORE 2,7 +FLAGS.SILENT (\\Deleted)")
    b.ok("UID EXPUNGE 2,7")
    b.ok("UID STORE 8 +FLAGS.SILENT (\\Seen)")
    untagged, _ = a.ok("SELECT INBOX (QRESYNC (%d %d 1:8))" % (uv, known))
    assert [uidset(v) for v in vanished(untagged, True)] == [{2, 7}]
    assert [int(x[b"UID"]) for x in fetch_rows(untagged).values()] == [8]
    assert re.search(rb"\* 6 EXISTS", b"\n".join(untagged))


def test_condstore_interop_with_imaplib(account):
    """imaplib as a client of CONDSTORE: parses the MODSEQ FETCH responses."""
    c = account.imap()
    for i in range(2):
        c.append("INBOX", None, None, msg(i))
    c.enable("CONDSTORE")
    c.select("INBOX")
    typ, data = c.fetch("1:2", "(MODSEQ)")
    assert typ == "OK" and all(b"MODSEQ" in d for d in data)


# ---- UIDONLY (RFC 9586) ---------------------------------------------------------------------


def test_uidonly_rfc_examples(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    fill(r, 4)
    untagged, _ = r.ok("ENABLE UIDONLY")
    assert b"* ENABLED UIDONLY" in untagged
    untagged, _ = select(r)
    assert not any(b"[UNSEEN" in u for u in untagged)
    for cmd in ["FETCH 1 (FLAGS)", "STORE 1 +FLAGS (\\Seen)", "SEARCH ALL", "COPY 1 INBOX",
                "MOVE 1 INBOX", "UID SEARCH 1:2", "UID SEARCH OR 1 UID 2"]:
        _, tagged = r.cmd(cmd)
        assert status_of(tagged) == "BAD" and b"[UIDREQUIRED]" in tagged, (cmd, tagged)
    untagged, _ = r.ok("UID FETCH 2:3 (FLAGS UID)")
    assert [re.sub(rb" ?\\Recent", b"", u) for u in untagged] == [
        b"* 2 UIDFETCH (FLAGS ())", b"* 3 UIDFETCH (FLAGS ())"], untagged
    untagged, _ = r.ok("UID STORE 3 +FLAGS (\\Seen)")
    assert [re.sub(rb" ?\\Recent", b"", u) for u in untagged] == [
        b"* 3 UIDFETCH (FLAGS (\\Seen))"], untagged
    other = account.raw(select="INBOX")
    other.ok("STORE 1 +FLAGS (\\Flagged)")
    other.ok("STORE 2 +FLAGS (\\Deleted)")
    other.ok("EXPUNGE")
    untagged, _ = r.ok("NOOP")
    untagged = [re.sub(rb" ?\\Recent", b"", u) for u in untagged]
    assert b"* VANISHED 2" in untagged and b"* 1 UIDFETCH (FLAGS (\\Flagged))" in untagged, untagged
    assert not any(b" FETCH " in u or b"EXPUNGE" in u for u in untagged)


def test_uidonly_with_100000_messages(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    fill(r, 1)
    r.ok("SELECT INBOX")
    n = 1
    while n < 100000:  # COPY doubles the mailbox in one state-service batch each time
        r.ok("UID COPY 1:* INBOX", timeout=120)
        r.ok("NOOP")
        n *= 2
    r.ok("UNSELECT")
    r.ok("ENABLE UIDONLY")
    r.ok("ENABLE QRESYNC")
    untagged, _ = r.ok("SELECT INBOX", timeout=60)
    exists = int([u for u in untagged if u.endswith(b" EXISTS")][0].split()[1])
    assert exists == n >= 100000
    r.send(b"f1 UID FETCH 1:* (FLAGS)\r\n")
    count = 0
    while True:
        line = r.read_line(timeout=120)
        if line.startswith(b"f1 "):
            assert b"OK" in line
            break
        assert re.match(rb"\* \d+ UIDFETCH \(FLAGS \(\)\)$", line), line
        count += 1
    assert count == n
    r.ok("UID STORE 50000:50009 +FLAGS.SILENT (\\Deleted)")
    untagged, _ = r.ok("UID EXPUNGE 50000:50009")
    assert [uidset(v) for v in vanished(untagged, False)] == [set(range(50000, 50010))]
    untagged, _ = r.ok("UID SEARCH UID 49990:50020")
    line = [u for u in untagged if u.startswith(b"* SEARCH")][0]
    assert len(line.split()) - 2 == 21
