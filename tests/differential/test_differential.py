"""Differential suite: the same corpus APPENDed to Dovecot and to Hadron, answers compared byte for byte.

Covers FETCH ENVELOPE / BODY / BODYSTRUCTURE / RFC822.SIZE, every BODY[section] of every part
(part numbers, .MIME, .HEADER, .TEXT, HEADER.FIELDS(.NOT), partials), BINARY / BINARY.SIZE of every
leaf, SEARCH (incl. CHARSET UTF-8 on decoded headers and bodies), SORT and THREAD. Differences
are accepted only when intentional_differences.py explains them (RFC reason) or
known_open_differences.py lists them as still open (a ratchet: a listed difference that no longer
occurs fails the test until its entry is deleted). The run ends with the count of open differences.

Needs the three Hadron binaries built (as tests/integration) and Debian's dovecot-imapd.
"""

import importlib.util
import os
import re
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(os.path.dirname(HERE), "integration")
sys.path.insert(0, HERE)
sys.path.insert(0, INTEGRATION)

import corpus  # noqa: E402
import imapwire  # noqa: E402
import known_open_differences as known_open  # noqa: E402
from dovecot_fixture import DovecotFixture  # noqa: E402
from intentional_differences import Difference, explain  # noqa: E402


def _load_integration_helpers():
    spec = importlib.util.spec_from_file_location("hadron_it_helpers",
                                                  os.path.join(INTEGRATION, "conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


IT = _load_integration_helpers()
MESSAGES = corpus.corpus()
MAX_REPORTED = 40


DISCONNECTED = b"* <connection closed by the server>"


class Pair:
    """One selected connection to each server, in the same state."""

    def __init__(self, dovecot, hadron, dovecot_port):
        self.dovecot = dovecot
        self.hadron = hadron
        self.dovecot_port = dovecot_port

    def both(self, command):
        try:
            d = self.dovecot.cmd(command, timeout=60)
        except ConnectionError:
            # Dovecot drops the connection on some read errors (base64 that ends prematurely);
            # the answer becomes a marker for intentional_differences.py and we reconnect.
            self.dovecot = imapwire.Raw("127.0.0.1", self.dovecot_port, timeout=60)
            self.dovecot.login("user", "pass")
            self.dovecot.ok("SELECT INBOX")
            d = ([DISCONNECTED], b"X BYE")
        return d, self.hadron.cmd(command, timeout=60)


@pytest.fixture(scope="module")
def pair():
    if shutil.which("dovecot") is None:
        pytest.skip("dovecot-imapd is not installed")
    dc = DovecotFixture().start()
    workdir = tempfile.mkdtemp(prefix="hadron-diff-")
    cluster = IT.Cluster(workdir, tls=False)
    try:
        cluster.start()
        cluster.add_account("diff", "diffpass")
        d = imapwire.Raw("127.0.0.1", dc.port, timeout=60)
        d.login("user", "pass")
        h = imapwire.Raw("127.0.0.1", cluster.imap_port, timeout=60)
        h.login("diff", "diffpass")
        for i, (name, raw) in enumerate(MESSAGES):
            date = '"%02d-Mar-2021 %02d:%02d:%02d +0000"' % (1 + i % 28, (i // 60) % 24, i % 60,
                                                          (i * 7) % 60)
            for conn in (d, h):
                _, tagged = conn.cmd_literal("APPEND INBOX () " + date, raw)
                assert imapwire.status_of(tagged) == "OK", (name, tagged)
        d.ok("SELECT INBOX")
        h.ok("SELECT INBOX")
        pair = Pair(d, h, dc.port)
        yield pair
        pair.dovecot.close()
        h.close()
    finally:
        cluster.stop()
        dc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# ---- response handling -----------------------------------------------------------------------

def split_fetch(resp):
    """b'* 3 FETCH (A x B (y))' -> (3, {b'A': b'x', b'B': b'(y)'}) with raw value bytes."""
    m = re.match(rb"\* (\d+) FETCH \(", resp)
    if not m:
        raise ValueError("not a FETCH response: %r" % resp[:100])
    data = resp[m.end():]
    out = {}
    i = 0
    while True:
        while data[i:i + 1] == b" ":
            i += 1
        if data[i:i + 1] == b")" or i >= len(data):
            break
        key, i = imapwire._parse(data, i)
        while data[i:i + 1] == b" ":
            i += 1
        start = i
        if data[i:i + 2] == b"~{":  # literal8 (RFC 3516)
            i += 1
        _, i = imapwire._parse(data, i)
        out[bytes(key).upper()] = data[start:i]
    return int(m.group(1)), out


def fetch_map(untagged):
    res = {}
    for r in untagged:
        if re.match(rb"\* \d+ FETCH ", r):
            seq, items = split_fetch(r)
            res.setdefault(seq, {}).update(items)
    return res


class Report:
    """Collects one test's comparisons. A difference is accepted when intentional_differences.py
    explains it (RFC reason) or, for the test named `test`, known_open_differences.py lists it as
    still open; finish() fails on any other difference and on a listed one that no longer occurs."""

    def __init__(self, test=None):
        self.test = test
        self.unexplained = []
        self.explained = {}
        self.open_seen = set()
        self.compared = 0

    def check(self, kind, message, item, dovecot, hadron, context=None):
        self.compared += 1
        if dovecot == hadron:
            return
        d = Difference(kind, message, item, dovecot, hadron, context or {})
        why = explain(d)
        if why:
            self.explained[why] = self.explained.get(why, 0) + 1
        elif self.test and known_open.lookup(self.test, d) is not None:
            self.open_seen.add((self.test, d.message, d.item))
        else:
            self.unexplained.append(d)

    def check_status(self, message, item, dtag, htag):
        strip = lambda t: t.split(b" ", 1)[1] if b" " in t else t  # noqa: E731
        self.check("status", message, item, strip(dtag), strip(htag))

    def finish(self):
        fixed = []
        if self.test:
            known_open.SEEN.update(self.open_seen)
            known_open.FINISHED.add(self.test)
            fixed = [e for e in known_open.entries_of(self.test) if e not in self.open_seen]
        print("compared %d answers; intentional differences: %r; known open: %d; unexplained: %d" %
              (self.compared, self.explained, len(self.open_seen), len(self.unexplained)))
        msgs = []
        if self.unexplained:
            lines = [str(d) for d in self.unexplained[:MAX_REPORTED]]
            msgs.append("%d unexplained differences (first %d):\n%s" % (
                len(self.unexplained), len(lines), "\n".join(lines)))
        if fixed:
            msgs.append("%d differences listed in known_open_differences.py no longer occur; "
                        "delete their entries:\n%s" % (len(fixed), "\n".join(
                            "    (%r, %r, %r)" % e for e in fixed)))
        if msgs:
            pytest.fail("\n".join(msgs), pytrace=False)


class _OpenDifferencesSummary:
    """Prints the number of open differences at the end of the run (pytest -q hides prints of
    passing tests)."""

    @staticmethod
    def pytest_terminal_summary(terminalreporter):
        judged = [e for t in sorted(known_open.FINISHED) for e in known_open.entries_of(t)]
        terminalreporter.write_line(
            "differential: %d open differences listed in known_open_differences.py; %d still "
            "occur in the tests that ran (%s)" % (len(known_open.OPEN), len(
                [e for e in judged if e in known_open.SEEN]),
                ", ".join(sorted(known_open.FINISHED)) or "none"))


@pytest.fixture(scope="module", autouse=True)
def _open_differences_summary(request):
    name = "hadron-open-differences"
    if request.config.pluginmanager.get_plugin(name) is None:
        request.config.pluginmanager.register(_OpenDifferencesSummary(), name)
    yield


def compare_fetch(pair, report, seqset, items, name_of, context=None):
    (du, dt), (hu, ht) = pair.both("FETCH %s (%s)" % (seqset, items))
    if du == [DISCONNECTED]:
        name = name_of(int(seqset)) if seqset.isdigit() else name_of(None)
        report.check("fetch", name, "FETCH " + items, DISCONNECTED, ht.split(b" ", 1)[1])
        return {}
    report.check_status(name_of(None), "FETCH " + items, dt, ht)
    dm, hm = fetch_map(du), fetch_map(hu)
    for seq in sorted(set(dm) | set(hm)):
        di, hi = dm.get(seq, {}), hm.get(seq, {})
        for key in sorted(set(di) | set(hi)):
            report.check("fetch", name_of(seq), key.decode(errors="replace"),
                         di.get(key, b"<missing>"), hi.get(key, b"<missing>"), context)
    return dm


def _name(seq):
    return MESSAGES[seq - 1][0] if seq else "*"


# ---- part enumeration from a BODYSTRUCTURE ---------------------------------------------------

def parts_of(bs, prefix=""):
    """[(part number, is_multipart, is_message_rfc822)] for every part below the root."""
    out = []
    if isinstance(bs[0], list):  # multipart: children then subtype
        n = 0
        for child in bs:
            if not isinstance(child, list):
                break
            n += 1
            num = "%s%d" % (prefix, n)
            out.append((num, isinstance(child[0], list), _is_rfc822(child)))
            out += _below(child, num)
    else:
        num = prefix + "1"
        out.append((num, False, _is_rfc822(bs)))
        out += _below(bs, num)
    return out


def _is_rfc822(bs):
    return (not isinstance(bs[0], list) and isinstance(bs[0], bytes) and
            bs[0].upper() == b"MESSAGE" and isinstance(bs[1], bytes) and
            bs[1].upper() in (b"RFC822", b"GLOBAL") and len(bs) > 8 and isinstance(bs[8], list))


def _below(bs, num):
    if isinstance(bs[0], list):
        return _multi_children(bs, num)
    if _is_rfc822(bs):
        inner = bs[8]
        if isinstance(inner[0], list):
            return _multi_children(inner, num)
        return [(num + ".1", False, _is_rfc822(inner))] + _below(inner, num + ".1")
    return []


def _multi_children(bs, num):
    out = []
    n = 0
    for child in bs:
        if not isinstance(child, list):
            break
        n += 1
        sub = "%s.%d" % (num, n)
        out.append((sub, isinstance(child[0], list), _is_rfc822(child)))
        out += _below(child, sub)
    return out


def section_items(bs):
    items = ["BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]", "BODY.PEEK[]<7.33>",
             "BODY.PEEK[HEADER.FIELDS (FROM Subject X-None)]",
             "BODY.PEEK[HEADER.FIELDS.NOT (From Received content-type)]", "RFC822.HEADER",
             "RFC822.SIZE"]
    for num, _multi, rfc822 in parts_of(bs):
        items += ["BODY.PEEK[%s]" % num, "BODY.PEEK[%s.MIME]" % num, "BODY.PEEK[%s]<2.10>" % num]
        if rfc822:
            items += ["BODY.PEEK[%s.HEADER]" % num, "BODY.PEEK[%s.TEXT]" % num,
                      "BODY.PEEK[%s.HEADER.FIELDS (SUBJECT date)]" % num,
                      "BODY.PEEK[%s.HEADER.FIELDS.NOT (SUBJECT)]" % num]
    items.append("BODY.PEEK[%d]" % (len(parts_of(bs)) + 9))  # a part that does not exist
    return items


# ---- tests -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def structures(pair):
    report = Report("structure")
    dm = compare_fetch(pair, report, "1:*", "ENVELOPE BODY BODYSTRUCTURE RFC822.SIZE", _name)
    structures = {}
    for seq, items in dm.items():
        structures[seq] = imapwire.parse_values(items[b"BODYSTRUCTURE"])[0]
    return report, structures


def test_corpus_size():
    assert len(MESSAGES) >= 300


def test_structure(structures):
    structures[0].finish()


def test_sections(pair, structures):
    report = Report("sections")
    for seq, bs in sorted(structures[1].items()):
        compare_fetch(pair, report, str(seq), " ".join(section_items(bs)), lambda s, q=seq: _name(q))
    report.finish()


def test_binary(pair, structures):
    report = Report("binary")
    for seq, bs in sorted(structures[1].items()):
        leaves = [num for num, multi, _ in parts_of(bs) if not multi]
        for num in leaves:
            # Dovecot's own BINARY[num] length goes with the BINARY.SIZE comparison (see
            # intentional_differences.py: dovecot-binary-size-not-its-binary).
            context = {}
            for item in ("BINARY.PEEK[%s]" % num, "BINARY.SIZE[%s]" % num,
                         "BINARY.PEEK[%s]<3.17>" % num):
                dm = compare_fetch(pair, report, str(seq), item, lambda s, q=seq: _name(q),
                                   context)
                value = dm.get(seq, {}).get(("BINARY[%s]" % num).encode())
                m = re.match(rb"~?\{(\d+)\}\r\n", value or b"")
                if item.startswith("BINARY.PEEK[") and not item.endswith(">") and m:
                    context = {"dovecot_binary_length": int(m.group(1))}
    report.finish()


SEARCH_KEYS = [
    "ALL", "SUBJECT meeting", "SUBJECT \"re:\"", "FROM example.de", "FROM jürgen",
    "TO bob", "CC team", "BCC example", "HEADER Message-ID example.com", "HEADER X-Empty \"\"",
    "HEADER References root", "BODY needle", "BODY unique", "TEXT haystack", "TEXT subject",
    "BODY café", "BODY straße", "SUBJECT café", "SUBJECT привет", "SUBJECT 日本語", "FROM müller",
    "TO ärger", "BODY ïpsum", "TEXT \"dolor sit\"", "SENTBEFORE 1-Jan-2000",
    "SENTSINCE 1-Jan-2010", "SENTON 14-Mar-1995", "LARGER 3000", "SMALLER 500",
    "OR SUBJECT budget BODY naïve", "NOT BODY lorem", "SUBJECT \"\"", "BODY résumé",
    "TEXT résumé", "HEADER Content-Type multipart", "FROM \"O'Brien\"", "HEADER FROM \"O'Brien\"", "HEADER Subject \"Re:\"", "FROM \"Smith\"",
    "SUBJECT status", "BODY html", "TEXT pgp",
]


def test_preview(pair):
    # RFC 8970 PREVIEW of every corpus message, and the LAZY form (Dovecot answers it in full).
    report = Report("preview")
    compare_fetch(pair, report, "1:*", "PREVIEW", _name)
    compare_fetch(pair, report, "1:*", "PREVIEW (LAZY)", _name)
    report.finish()
    # Neither sets \Seen (\Recent is left out: Dovecot's connection may have been reopened).
    (du, _), (hu, _) = pair.both("FETCH 1:* (FLAGS)")
    seen = lambda m: sorted(q for q, i in m.items() if b"\\Seen" in i[b"FLAGS"])  # noqa: E731
    assert seen(fetch_map(du)) == seen(fetch_map(hu)) == []


def with_literals(key):
    """8-bit search strings go as LITERAL+ literals: atoms and quoted strings are 7-bit
    (RFC 3501 9: ATOM-CHAR and QUOTED-CHAR are CHARs); Dovecot answers BAD to 8-bit atoms."""
    out = []
    for tok in key.encode("utf-8").split(b" "):
        out.append(tok if tok.isascii() else b"{%d+}\r\n%s" % (len(tok), tok))
    return b" ".join(out)


def test_search(pair):
    report = Report("search")
    for key in SEARCH_KEYS:
        for charset in ("", "CHARSET UTF-8 "):
            if charset == "" and not all(ord(c) < 128 for c in key):
                continue
            cmd = "SEARCH " + charset + key
            (du, dt), (hu, ht) = pair.both(b"SEARCH " + charset.encode() + with_literals(key))
            report.check_status("*", cmd, dt, ht)
            report.check("search", "*", cmd, b"\r\n".join(du), b"\r\n".join(hu))
    report.finish()


SORT_CRITERIA = ["ARRIVAL", "DATE", "SUBJECT", "FROM", "TO", "CC", "SIZE", "REVERSE DATE",
                 "REVERSE SUBJECT SIZE", "DISPLAYFROM", "DISPLAYTO", "REVERSE ARRIVAL",
                 "SUBJECT DATE"]


def test_sort(pair):
    report = Report()
    for crit in SORT_CRITERIA + ["REVERSE FROM", "REVERSE DISPLAYTO ARRIVAL", "CC REVERSE SIZE"]:
        for search in ("ALL", "BODY lorem", "UID 40:250 NOT SUBJECT re"):
            cmd = "SORT (%s) UTF-8 %s" % (crit, search)
            (du, dt), (hu, ht) = pair.both(cmd)
            report.check_status("*", cmd, dt, ht)
            report.check("sort", "*", cmd, b"\r\n".join(du), b"\r\n".join(hu))
    for cmd in ("UID SORT (DATE) UTF-8 ALL", "UID SORT (REVERSE SUBJECT) US-ASCII 5:90"):
        (du, dt), (hu, ht) = pair.both(cmd)
        report.check_status("*", cmd, dt, ht)
        report.check("sort", "*", cmd, b"\r\n".join(du), b"\r\n".join(hu))
    report.finish()


def test_thread(pair):
    report = Report()
    for algo in ("ORDEREDSUBJECT", "REFERENCES"):
        for search in ("ALL", "SUBJECT re", "NOT SUBJECT re", "2:300"):
            for verb in ("THREAD", "UID THREAD"):
                cmd = "%s %s UTF-8 %s" % (verb, algo, search)
                (du, dt), (hu, ht) = pair.both(cmd)
                report.check_status("*", cmd, dt, ht)
                report.check("thread", "*", cmd, b"\r\n".join(du), b"\r\n".join(hu))
    report.finish()


# ESEARCH (RFC 4731) and SEARCHRES (RFC 5182) forms, WITHIN (RFC 5032) and the SAVEDATE (RFC 8514)
# keys, on the same corpus. The (TAG "...") correlator names each server's own tag: compared
# without it. MODSEQ output is left out: the two servers number their mod-sequences differently.
ESEARCH_FORMS = ["SEARCH RETURN () %s", "SEARCH RETURN (MIN MAX COUNT ALL) %s",
                 "SEARCH RETURN (COUNT) %s", "SEARCH RETURN (MAX) %s",
                 "UID SEARCH RETURN (ALL) %s", "UID SEARCH RETURN (MIN COUNT) %s",
                 "UID SEARCH RETURN (SAVE MIN) %s", "SEARCH RETURN (SAVE) %s"]
ESEARCH_KEYS = ["ALL", "SUBJECT meeting", "BODY needle", "NOT BODY lorem", "LARGER 3000",
                "OR SUBJECT budget FROM example.de", "SUBJECT no-such-subject-anywhere",
                "2:40,77,90:*", "UID 5:60,300:*"]


def _untag(lines):
    return b"\r\n".join(re.sub(rb'^\* ESEARCH \(TAG "[^"]*"\)', b"* ESEARCH (TAG)", x)
                        for x in lines)


def test_esearch(pair):
    import calendar
    import time
    report = Report()
    for key in ESEARCH_KEYS:
        for form in ESEARCH_FORMS:
            cmd = form % key
            (du, dt), (hu, ht) = pair.both(cmd)
            report.check_status("*", cmd, dt, ht)
            report.check("esearch", "*", cmd, _untag(du), _untag(hu))
            if "SAVE" in form:
                # (no FLAGS: Dovecot's connection may have been reopened, \Recent differs)
                for use in ("FETCH $ (UID)", "UID SEARCH $", "SEARCH $ NOT 3",
                            "UID FETCH $ (RFC822.SIZE)"):
                    (du, dt), (hu, ht) = pair.both(use)
                    report.check_status("*", cmd + " / " + use, dt, ht)
                    report.check("searchres", "*", cmd + " / " + use, _untag(du), _untag(hu))
    # "$" when it is empty (nothing may change) and in SORT/THREAD; RETURN's place in the command.
    for cmd in ("SEARCH RETURN (SAVE) SUBJECT no-such-subject-anywhere", "COPY $ INBOX",
                "UID COPY $ INBOX", "MOVE $ INBOX", "UID MOVE $ INBOX", "UID EXPUNGE $",
                "SORT (SUBJECT) UTF-8 $", "SEARCH RETURN (SAVE) 2:3,90",
                "UID SORT (REVERSE SUBJECT) UTF-8 $", "THREAD ORDEREDSUBJECT UTF-8 $",
                "UID THREAD REFERENCES UTF-8 $ ALL", "SEARCH CHARSET UTF-8 RETURN (ALL) ALL",
                "SEARCH RETURN (ALL) CHARSET UTF-8 ALL", "SEARCH RETURN (SAVE) RETURN (ALL) ALL",
                "SEARCH $:4", "SEARCH $,4"):
        (du, dt), (hu, ht) = pair.both(cmd)
        report.check_status("*", cmd, dt, ht)
        report.check("searchres", "*", cmd, _untag(du), _untag(hu))
    # WITHIN: the corpus's internal dates are 1-28 Mar 2021; split it at 15-Mar-2021 00:00 UTC
    # (no message within minutes of it, so the few milliseconds between the two servers' clocks
    # cannot matter), plus intervals far away on either side.
    split = int(time.time()) - calendar.timegm((2021, 3, 15, 0, 0, 0))
    keys = ["OLDER %d" % split, "YOUNGER %d" % split, "NOT OLDER %d" % split, "OLDER 1",
            "YOUNGER 1", "YOUNGER 4000000000", "OLDER 0",
            # SAVEDATE: every message was saved today, by both servers.
            "SAVEDATESUPPORTED", "SAVEDBEFORE 1-Jan-2020", "SAVEDSINCE 1-Jan-2020",
            "SAVEDON 1-Mar-2021", "NOT SAVEDATESUPPORTED", "SAVEDBEFORE notadate"]
    for key in keys:
        for verb in ("SEARCH", "UID SEARCH RETURN (COUNT MIN)"):
            cmd = "%s %s" % (verb, key)
            (du, dt), (hu, ht) = pair.both(cmd)
            report.check_status("*", cmd, dt, ht)
            report.check("within", "*", cmd, _untag(du), _untag(hu))
    # The save date is the same kind of value on both: a date-time of today, not the INTERNALDATE.
    (du, dt), (hu, ht) = pair.both("FETCH 1:3 (SAVEDATE)")
    report.check_status("*", "FETCH SAVEDATE", dt, ht)
    day = lambda lines: [re.sub(rb'SAVEDATE "([^ ]+) [^"]*"', rb"SAVEDATE \1", x)  # noqa: E731
                         for x in lines]
    report.check("savedate", "*", "FETCH SAVEDATE", b"\r\n".join(day(du)), b"\r\n".join(day(hu)))
    report.finish()
