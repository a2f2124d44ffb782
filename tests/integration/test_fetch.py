"""FETCH: every data item of issue 2, on a plain and a multipart message, compared to the exact
bytes and structures RFC 3501 defines."""

import re

import pytest

import imapwire
from imapwire import fetches, flagset, status_of

PLAIN_HEADER = (b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
                b"From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
                b"Subject: afternoon meeting\r\n"
                b"To: mooch@owatagu.siam.example\r\n"
                b"Cc: Alice <alice@example.org>, bob@example.org\r\n"
                b"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n"
                b"MIME-Version: 1.0\r\n"
                b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
                b"\r\n")
PLAIN_TEXT = b"Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
PLAIN = PLAIN_HEADER + PLAIN_TEXT

MULTI_HEADER = (b"From: a@example.com\r\n"
                b"To: b@example.com\r\n"
                b"Subject: multi\r\n"
                b"MIME-Version: 1.0\r\n"
                b'Content-Type: multipart/mixed; boundary="XyZ"\r\n'
                b"\r\n")
PART1 = b"first part\r\nsecond line\r\n"
PART2 = b"<p>second part</p>\r\n"
MULTI_TEXT = (b"preamble\r\n"
              b"--XyZ\r\n"
              b"Content-Type: text/plain; charset=utf-8\r\n"
              b"\r\n" + PART1 + b"\r\n"
              b"--XyZ\r\n"
              b"Content-Type: text/html; charset=utf-8\r\n"
              b"Content-Transfer-Encoding: quoted-printable\r\n"
              b"\r\n" + PART2 + b"\r\n"
              b"--XyZ--\r\n"
              b"epilogue\r\n")
MULTI = MULTI_HEADER + MULTI_TEXT

BARE = b"Subject: bare\r\n\r\nno mime headers\r\nat all\r\n"

DATE = "17-Jul-1996 02:44:25 -0700"


@pytest.fixture
def box(account):
    """A session with INBOX selected holding PLAIN (1), MULTI (2), BARE (3), all unseen."""
    raw = account.raw()
    for m in (PLAIN, MULTI, BARE):
        _, tagged = raw.cmd_literal('APPEND INBOX () "%s"' % DATE, m)
        assert status_of(tagged) == "OK", tagged
    raw.ok("SELECT INBOX")
    return raw


def fetch1(raw, seq, items):
    untagged, tagged = raw.cmd("FETCH %s %s" % (seq, items))
    assert status_of(tagged) == "OK", (items, tagged)
    got = fetches(untagged)
    assert len(got) == 1 and got[0][0] == int(seq), "FETCH %s %s -> %r" % (seq, items, untagged)
    return got[0][1]


def section(d, prefix):
    """The value of the one key that starts with prefix (section texts may be echoed in any case)."""
    prefix = prefix.encode() if isinstance(prefix, str) else prefix
    keys = [k for k in d if k.startswith(prefix.upper())]
    assert len(keys) == 1, "no single %s in %r" % (prefix, list(d))
    return keys[0], d[keys[0]]


def lower(v):
    if isinstance(v, list):
        return [lower(x) for x in v]
    if isinstance(v, bytes):
        return bytes(v).lower()
    return v


def flags_now(raw, seq):
    return flagset(fetch1(raw, seq, "FLAGS")[b"FLAGS"])


def test_flags_uid_internaldate_size(box):
    d = fetch1(box, 1, "(FLAGS UID INTERNALDATE RFC822.SIZE)")
    assert flagset(d[b"FLAGS"]) == set()
    assert int(d[b"UID"]) >= 1
    assert imapwire.instant(d[b"INTERNALDATE"]) == imapwire.instant(DATE), d
    assert int(d[b"RFC822.SIZE"]) == len(PLAIN), d
    assert int(fetch1(box, 2, "RFC822.SIZE")[b"RFC822.SIZE"]) == len(MULTI)


def test_body_peek_full_and_header_text(box):
    assert fetch1(box, 1, "BODY.PEEK[]")[b"BODY[]"] == PLAIN
    assert fetch1(box, 1, "BODY.PEEK[HEADER]")[b"BODY[HEADER]"] == PLAIN_HEADER
    assert fetch1(box, 1, "BODY.PEEK[TEXT]")[b"BODY[TEXT]"] == PLAIN_TEXT
    assert fetch1(box, 2, "BODY.PEEK[HEADER]")[b"BODY[HEADER]"] == MULTI_HEADER
    assert fetch1(box, 2, "BODY.PEEK[TEXT]")[b"BODY[TEXT]"] == MULTI_TEXT
    assert flags_now(box, 1) == set() and flags_now(box, 2) == set(), "PEEK set \\Seen"


def test_partial(box):
    d = fetch1(box, 1, "BODY.PEEK[]<0.10>")
    assert d == {b"BODY[]<0>": PLAIN[:10]}, d
    d = fetch1(box, 1, "BODY.PEEK[TEXT]<6.3>")
    assert d == {b"BODY[TEXT]<6>": PLAIN_TEXT[6:9]}, d
    # a partial running past the end is cut at the end
    d = fetch1(box, 1, "BODY.PEEK[]<%d.100>" % (len(PLAIN) - 5))
    assert d == {b"BODY[]<%d>" % (len(PLAIN) - 5): PLAIN[-5:]}, d
    # starting beyond the end: an empty string
    d = fetch1(box, 1, "BODY.PEEK[]<100000.10>")
    assert d == {b"BODY[]<100000>": b""}, d


def test_body_parts_of_multipart(box):
    assert fetch1(box, 2, "BODY.PEEK[1]")[b"BODY[1]"] == PART1
    assert fetch1(box, 2, "BODY.PEEK[2]")[b"BODY[2]"] == PART2
    # part 1 of a non-multipart message is its body
    assert fetch1(box, 1, "BODY.PEEK[1]")[b"BODY[1]"] == PLAIN_TEXT
    d = fetch1(box, 2, "BODY.PEEK[2]<3.6>")
    assert d == {b"BODY[2]<3>": PART2[3:9]}, d


def test_header_fields(box):
    key, val = section(fetch1(box, 1, "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]"),
                       "BODY[HEADER.FIELDS ")
    assert key == b"BODY[HEADER.FIELDS (SUBJECT FROM)]", key
    # in message order, with the terminating blank line
    assert val == (b"From: Fred Foobar <foobar@Blurdybloop.example>\r\n"
                   b"Subject: afternoon meeting\r\n\r\n"), val
    # case-insensitive field names; a field that is absent yields just the blank line
    _, val = section(fetch1(box, 1, "BODY.PEEK[HEADER.FIELDS (x-not-there)]"),
                     "BODY[HEADER.FIELDS ")
    assert val == b"\r\n", val
    _, val = section(fetch1(box, 1, "BODY.PEEK[HEADER.FIELDS (message-id)]"),
                     "BODY[HEADER.FIELDS ")
    assert val == b"Message-Id: <B27397-0100000@Blurdybloop.example>\r\n\r\n", val


def test_header_fields_not(box):
    key, val = section(
        fetch1(box, 1, "BODY.PEEK[HEADER.FIELDS.NOT (DATE FROM SUBJECT TO CC MESSAGE-ID)]"),
        "BODY[HEADER.FIELDS.NOT ")
    assert key == b"BODY[HEADER.FIELDS.NOT (DATE FROM SUBJECT TO CC MESSAGE-ID)]", key
    assert val == b"MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n", val


def test_rfc822_items(box):
    d = fetch1(box, 1, "RFC822.HEADER")
    assert d[b"RFC822.HEADER"] == PLAIN_HEADER
    assert flags_now(box, 1) == set(), "RFC822.HEADER must not set \\Seen"
    d = fetch1(box, 1, "RFC822.TEXT")
    assert d[b"RFC822.TEXT"] == PLAIN_TEXT
    assert flags_now(box, 1) == {"\\Seen"}, "RFC822.TEXT sets \\Seen"
    d = fetch1(box, 2, "RFC822")
    assert d[b"RFC822"] == MULTI
    assert flags_now(box, 2) == {"\\Seen"}, "RFC822 sets \\Seen"


def test_non_peek_body_sets_seen(account, box):
    untagged, tagged = box.cmd("FETCH 1 BODY[]")
    assert status_of(tagged) == "OK", tagged
    got = fetches(untagged)
    body = [d for _, d in got if b"BODY[]" in d]
    assert body and body[0][b"BODY[]"] == PLAIN, untagged
    # RFC 3501 6.4.5: the FLAGS change SHOULD be part of the response; it must at least stick
    assert flags_now(box, 1) == {"\\Seen"}
    fetch1(box, 2, "BODY[TEXT]<0.5>")
    assert flags_now(box, 2) == {"\\Seen"}, "a partial non-PEEK fetch sets \\Seen too"
    fetch1(box, 3, "BODY[HEADER]")
    assert flags_now(box, 3) == {"\\Seen"}
    # another session sees it
    other = account.raw()
    untagged, _ = other.ok("STATUS INBOX (UNSEEN)")
    assert b"UNSEEN 0" in untagged[0], untagged


def test_envelope(box):
    env = fetch1(box, 1, "ENVELOPE")[b"ENVELOPE"]
    fred = [[b"Fred Foobar", None, b"foobar", b"Blurdybloop.example"]]
    assert env == [
        b"Mon, 7 Feb 1994 21:52:25 -0800",
        b"afternoon meeting",
        fred, fred, fred,  # sender and reply-to default to from
        [[None, None, b"mooch", b"owatagu.siam.example"]],
        [[b"Alice", None, b"alice", b"example.org"], [None, None, b"bob", b"example.org"]],
        None,
        None,
        b"<B27397-0100000@Blurdybloop.example>",
    ], env


def test_envelope_of_bare_message(box):
    env = fetch1(box, 3, "ENVELOPE")[b"ENVELOPE"]
    assert env == [None, b"bare", None, None, None, None, None, None, None, None], env


def _text_part(subtype, charset, encoding, size, lines):
    return [b"text", subtype, [b"charset", charset], None, None, encoding, size, lines]


def check_text_part(got, want, extensible):
    got = lower(got)
    assert got[:6] == want[:6], (got, want)
    assert int(got[6]) == want[6] and int(got[7]) == want[7], (got, want)
    if extensible:
        # body-ext-1part: md5, disposition, language, location: all absent here
        assert all(x is None for x in got[8:]), got
    else:
        assert len(got) == 8, "BODY must not carry extension data: %r" % got


def test_bodystructure_plain(box):
    for item, ext in ((b"BODYSTRUCTURE", True), (b"BODY", False)):
        bs = fetch1(box, 1, item.decode())[item]
        check_text_part(bs, _text_part(b"plain", b"us-ascii", b"7bit", len(PLAIN_TEXT), 1), ext)


def test_bodystructure_default_content_type(box):
    bs = fetch1(box, 3, "BODYSTRUCTURE")[b"BODYSTRUCTURE"]
    check_text_part(bs, _text_part(b"plain", b"us-ascii", b"7bit", len(b"no mime headers\r\nat all\r\n"), 2), True)


def test_bodystructure_multipart(box):
    for item, ext in ((b"BODYSTRUCTURE", True), (b"BODY", False)):
        bs = fetch1(box, 2, item.decode())[item]
        assert isinstance(bs, list) and isinstance(bs[0], list) and isinstance(bs[1], list), bs
        check_text_part(bs[0], _text_part(b"plain", b"utf-8", b"7bit", len(PART1), 2), ext)
        check_text_part(bs[1], _text_part(b"html", b"utf-8", b"quoted-printable", len(PART2), 1),
                        ext)
        assert lower(bs[2]) == b"mixed", bs
        rest = bs[3:]
        if not ext:
            assert rest == [], "BODY must not carry extension data: %r" % bs
        elif rest:
            assert lower(rest[0]) == [b"boundary", b"xyz"], bs
            assert all(x is None for x in rest[1:]), bs


def test_macros(box):
    assert set(fetch1(box, 1, "FAST")) == {b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE"}
    assert set(fetch1(box, 1, "ALL")) == {b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE"}
    d = fetch1(box, 1, "FULL")
    assert set(d) == {b"FLAGS", b"INTERNALDATE", b"RFC822.SIZE", b"ENVELOPE", b"BODY"}
    assert len(d[b"BODY"]) == 8, d[b"BODY"]
    assert flags_now(box, 1) == set(), "macros must not set \\Seen"


def test_fetch_range_and_star(box):
    untagged, _ = box.ok("FETCH 1:* (UID RFC822.SIZE)")
    got = fetches(untagged)
    assert [s for s, _ in got] == [1, 2, 3], untagged
    assert [int(d[b"RFC822.SIZE"]) for _, d in got] == [len(PLAIN), len(MULTI), len(BARE)]
    uids = [int(d[b"UID"]) for _, d in got]
    assert uids == sorted(uids) and len(set(uids)) == 3
    untagged, _ = box.ok("FETCH * UID")
    assert [s for s, _ in fetches(untagged)] == [3], untagged
    untagged, _ = box.ok("FETCH 3,1 UID")
    assert sorted(s for s, _ in fetches(untagged)) == [1, 3], untagged


def test_imaplib_fetch(account, box):
    c = account.imap(select="INBOX")
    typ, data = c.fetch("2", "(BODY.PEEK[1])")
    assert typ == "OK", data
    assert data[0][1] == PART1, data
    typ, data = c.uid("FETCH", "1:*", "(FLAGS)")
    assert typ == "OK" and len(data) == 3, data


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_big_bodies_exact_bytes(cluster, account, tls):
    """Bodies big enough to be written from the fetched message without a copy (frontend FETCH's
    scatter/gather write), several in one FETCH, with partials, NULs (sent as 0x80) and BINARY
    of the same message after BODY[] (which must still see the NULs): every byte as expected."""
    if tls and not cluster.imaps_port:
        pytest.skip("no TLS listener")
    big = b"Subject: big\r\n\r\n" + b"".join(b"line %07d of a big body\r\n" % i
                                              for i in range(12000))
    nul_body = bytearray(b"".join(b"row %06d\r\n" % i for i in range(20000)))
    for at in (0, 7, 100001, len(nul_body) - 3):
        nul_body[at] = 0
    nul = b"Subject: nul\r\n\r\n" + bytes(nul_body)
    small = b"Subject: small\r\n\r\nsmall\r\n"
    r = cluster_raw_tls(cluster, account) if tls else account.raw()
    for m in (big, nul, small):
        _, tagged = r.cmd_literal("APPEND INBOX", m)
        assert status_of(tagged) == "OK", tagged
    r.ok("SELECT INBOX")
    untagged, tagged = r.cmd("FETCH 1:3 (BODY.PEEK[] BODY.PEEK[TEXT]<5000.100000>)")
    assert status_of(tagged) == "OK", tagged
    sent = [m.replace(b"\x00", b"\x80") for m in (big, nul, small)]
    got = [u for u in untagged if re.match(rb"\* \d+ FETCH ", u)]
    assert len(got) == 3, [g[:60] for g in got]
    for seq, (m, g) in enumerate(zip(sent, got), start=1):
        text = m[m.index(b"\r\n\r\n") + 4:][5000:105000]
        want = (b"* %d FETCH (BODY[] {%d}\r\n" % (seq, len(m)) + m +
                b" BODY[TEXT]<5000> {%d}\r\n" % len(text) + text + b")")
        assert g == want, (seq, len(g), len(want), g[:80])
    # BINARY after BODY[] in one FETCH: BODY[]'s NUL replacement leaves the message alone.
    untagged, tagged = r.cmd("FETCH 2 (BODY.PEEK[TEXT] BINARY.PEEK[1])")
    assert status_of(tagged) == "OK", tagged
    body = nul[nul.index(b"\r\n\r\n") + 4:]
    want = (b"* 2 FETCH (BODY[TEXT] {%d}\r\n" % len(body) + body.replace(b"\x00", b"\x80") +
            b" BINARY[1] ~{%d}\r\n" % len(body) + body + b")")
    got = [u for u in untagged if u.startswith(b"* 2 FETCH ")]
    assert got == [want], [g[:80] for g in got]
    r.close()


def cluster_raw_tls(cluster, account):
    r = imapwire.Raw(cluster.host, cluster.imaps_port, use_ssl=True)
    r.login(account.name, account.password)
    return r
