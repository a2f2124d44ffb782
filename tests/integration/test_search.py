"""SEARCH: every RFC 3501 search key, on four messages built so that each key picks a known set."""

import re

import pytest

from imapwire import search_result, status_of

FILLER = b"".join(b"filler line %04d of the long message\r\n" % i for i in range(150))  # ~5.5 KB

MESSAGES = [
    # (raw, flags, internal date)
    (b"From: Alice <alice@a.example>\r\nTo: bob@b.example\r\nCc: carol@c.example\r\n"
     b"Bcc: dave@d.example\r\nSubject: Quarterly report\r\nDate: Mon, 1 Feb 2021 12:00:00 +0000\r\n"
     b"\r\nThe numbers are up.\r\n",
     "\\Seen \\Answered $Important", "10-Feb-2021 12:00:00 +0000"),
    (b"From: bob@b.example\r\nTo: Alice <alice@a.example>\r\nSubject: Lunch\r\n"
     b"X-Custom: hello world\r\nDate: Mon, 15 Mar 2021 12:00:00 +0000\r\n"
     b"\r\nPizza? XyzzyToken\r\n",
     "\\Flagged \\Draft", "20-Mar-2021 12:00:00 +0000"),
    (b"From: carol@c.example\r\nTo: dave@d.example\r\nSubject: Re: Quarterly report\r\n"
     b"Date: Thu, 1 Apr 2021 12:00:00 +0000\r\n\r\n" + FILLER,
     "\\Deleted", "05-Apr-2021 12:00:00 +0000"),
    (b"From: dave@d.example\r\nTo: carol@c.example\r\nSubject: Misc\r\n"
     b"Date: Sat, 1 May 2021 12:00:00 +0000\r\n\r\nnothing to see\r\n",
     "", "10-May-2021 12:00:00 +0000"),
]


@pytest.fixture(scope="module")
def searchbox(cluster):
    """One account with the four messages; returns (raw session with INBOX selected, uids)."""
    import uuid
    name = "search_" + uuid.uuid4().hex[:8]
    password = "pass" if cluster.reference else "pw-search"
    cluster.add_account(name, password)
    raw = cluster.raw(name, password)
    uids = []
    for data, flags, date in MESSAGES:
        _, tagged = raw.cmd_literal('APPEND INBOX (%s) "%s"' % (flags, date), data)
        assert status_of(tagged) == "OK", tagged
        uids.append(int(re.search(rb"APPENDUID \d+ (\d+)", tagged).group(1)))
    raw.ok("SELECT INBOX")
    yield raw, uids
    raw.close()


CASES = [
    ("ALL", [1, 2, 3, 4]),
    ("ANSWERED", [1]), ("UNANSWERED", [2, 3, 4]),
    ("SEEN", [1]), ("UNSEEN", [2, 3, 4]),
    ("FLAGGED", [2]), ("UNFLAGGED", [1, 3, 4]),
    ("DELETED", [3]), ("UNDELETED", [1, 2, 4]),
    ("DRAFT", [2]), ("UNDRAFT", [1, 3, 4]),
    ("KEYWORD $Important", [1]), ("UNKEYWORD $Important", [2, 3, 4]),
    ("KEYWORD $NeverUsed", []), ("UNKEYWORD $NeverUsed", [1, 2, 3, 4]),
    ("FROM alice", [1]), ("FROM ALICE@A.EXAMPLE", [1]), ('FROM "Alice <"', [1]),
    ("TO alice", [2]), ("TO bob", [1]),
    ("CC carol", [1]), ("BCC dave", [1]),
    ("SUBJECT quarterly", [1, 3]), ('SUBJECT "re: quarterly"', [3]), ('SUBJECT ""', [1, 2, 3, 4]),
    ("HEADER X-Custom hello", [2]), ('HEADER x-custom ""', [2]), ("HEADER Subject misc", [4]),
    ("BODY xyzzytoken", [2]), ("BODY quarterly", []), ("BODY \"filler line 0149\"", [3]),
    ("TEXT quarterly", [1, 3]), ("TEXT pizza", [2]),
    ("BEFORE 20-Mar-2021", [1]), ("ON 20-Mar-2021", [2]), ("SINCE 20-Mar-2021", [2, 3, 4]),
    ("ON 21-Mar-2021", []), ("BEFORE 1-Jan-2000", []),
    ("SENTBEFORE 15-Mar-2021", [1]), ("SENTON 15-Mar-2021", [2]), ("SENTSINCE 1-Apr-2021", [3, 4]),
    ("LARGER 4000", [3]), ("SMALLER 4000", [1, 2, 4]),
    ("2:3", [2, 3]), ("*", [4]), ("1,4", [1, 4]), ("3:*", [3, 4]),
    ("NOT SEEN", [2, 3, 4]), ("NOT NOT SEEN", [1]),
    ("OR SEEN FLAGGED", [1, 2]), ("OR OR SEEN FLAGGED DELETED", [1, 2, 3]),
    ("(FLAGGED SUBJECT lunch)", [2]), ("OR (SEEN ANSWERED) DELETED", [1, 3]),
    ("SUBJECT quarterly UNSEEN", [3]), ("UNDELETED SINCE 1-Mar-2021 NOT FROM dave", [2]),
    ("CHARSET UTF-8 SUBJECT lunch", [2]), ("CHARSET US-ASCII FROM bob", [2]),
    ("NOT (OR FROM alice FROM bob)", [3, 4]),
]


@pytest.mark.parametrize("criteria,expected", CASES, ids=[c for c, _ in CASES])
def test_search_key(searchbox, criteria, expected):
    raw, uids = searchbox
    untagged, tagged = raw.cmd("SEARCH " + criteria)
    assert status_of(tagged) == "OK", "SEARCH %s -> %r" % (criteria, tagged)
    assert search_result(untagged) == expected, "SEARCH %s -> %r" % (criteria, untagged)
    untagged, tagged = raw.cmd("UID SEARCH " + criteria)
    assert status_of(tagged) == "OK", tagged
    assert search_result(untagged) == [uids[i - 1] for i in expected], \
        "UID SEARCH %s -> %r" % (criteria, untagged)


def test_search_uid_key(searchbox):
    raw, uids = searchbox
    untagged, _ = raw.ok("SEARCH UID %d" % uids[1])
    assert search_result(untagged) == [2], untagged
    untagged, _ = raw.ok("SEARCH UID %d:* NOT UID %d" % (uids[1], uids[3]))
    assert search_result(untagged) == [2, 3], untagged


def test_search_recent_new_old_are_consistent(searchbox):
    raw, _ = searchbox
    recent = search_result(raw.ok("SEARCH RECENT")[0])
    unseen = search_result(raw.ok("SEARCH UNSEEN")[0])
    assert search_result(raw.ok("SEARCH NEW")[0]) == sorted(set(recent) & set(unseen))
    assert search_result(raw.ok("SEARCH OLD")[0]) == sorted({1, 2, 3, 4} - set(recent))
    # this session was the first to select the mailbox after the APPENDs: all four are recent
    assert recent == [1, 2, 3, 4], recent


def test_search_empty_result_line(searchbox):
    raw, _ = searchbox
    untagged, _ = raw.ok("SEARCH SUBJECT no-such-subject-anywhere")
    assert [u.rstrip() for u in untagged] == [b"* SEARCH"], untagged


def test_search_errors(searchbox):
    raw, _ = searchbox
    _, tagged = raw.cmd("SEARCH CHARSET X-NO-SUCH-CHARSET SUBJECT x")
    assert re.match(rb"T\d+ NO \[BADCHARSET", tagged), tagged
    for bad in ("SEARCH", "SEARCH OR SEEN", "SEARCH (SEEN", "SEARCH BEFORE notadate",
                "SEARCH KEYWORD", "SEARCH HEADER X-Custom"):
        _, tagged = raw.cmd(bad)
        assert status_of(tagged) == "BAD", "%s -> %r" % (bad, tagged)


def test_search_literal_argument(searchbox):
    raw, _ = searchbox
    untagged, tagged = raw.cmd_literal("SEARCH CHARSET UTF-8 SUBJECT", b"Quarterly")
    assert status_of(tagged) == "OK", tagged
    assert search_result(untagged) == [1, 3], untagged
