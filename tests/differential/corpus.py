"""Deterministic MIME corpus for the differential suite: generated messages plus real-world samples.

corpus() returns a list of (name, raw bytes). The generator combines structures (single part,
multipart/alternative, mixed, related, signed, digest, nested message/rfc822), transfer encodings,
charsets, RFC 2047 headers, RFC 2231 parameters, long lines and malformed cases. The same seed
always gives the same bytes, so a failure is reproducible by name.
"""

import base64
import glob
import os
import quopri
import random

PY_EMAIL_DATA = "/usr/lib/python3.11/test/test_email/data"

NAMES = [("Fred Foobar", "foobar@Blurdybloop.COM"), ("Jürgen Müller", "jm@example.de"),
         ("", "bare@example.org"), ("O'Brien, Pat", "pat@example.ie"), ("李雷", "li@example.cn"),
         ("Zoë \"Z\" Smith", "zoe@example.com"), ("Ärger", "aerger@example.at"),
         ("Bob", "bob@example.net"), ("alice", "Alice@Example.NET")]
SUBJECTS = ["afternoon meeting", "Re: afternoon meeting", "Fwd: Re: [list] Status",
            "RE: re: Fw: budget", "Café déjà vu", "Привет мир", "日本語の件名",
            "  leading spaces", "Re: [PATCH 2/3] mime: fix it (v2)", "", "a\tb tab",
            "very long subject " * 12, "Re: Café déjà vu", "budget", "[list] Status"]
CHARSETS = ["us-ascii", "utf-8", "iso-8859-1", "UTF-8", "windows-1252", "koi8-r", "iso-2022-jp"]
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua café naïve Straße über résumé "
         "needle haystack unique").split()


def _enc_word(text, charset="UTF-8", b=True):
    data = text.encode("utf-8" if charset.upper() == "UTF-8" else "latin-1", "replace")
    if b:
        return "=?%s?B?%s?=" % (charset, base64.b64encode(data).decode())
    q = "".join(chr(c) if (48 <= c < 127 and chr(c) not in "=?_ ") or chr(c).isalnum() and c < 128
                else ("_" if c == 32 else "=%02X" % c) for c in data)
    return "=?%s?Q?%s?=" % (charset, q)


def _header_text(rnd, text):
    """text as the header would carry it: plain ASCII, an encoded word, or raw 8-bit."""
    if all(ord(c) < 128 for c in text):
        return text
    choice = rnd.randrange(4)
    if choice == 0:
        return _enc_word(text, "UTF-8", True)
    if choice == 1:
        return _enc_word(text, "UTF-8", False)
    if choice == 2:
        try:
            text.encode("latin-1")
            return _enc_word(text, "ISO-8859-1", False)
        except UnicodeEncodeError:
            return _enc_word(text, "utf-8", True)
    return text  # raw UTF-8 in a header (malformed but common)


def _addr(rnd, i=None):
    name, mail = NAMES[rnd.randrange(len(NAMES))] if i is None else NAMES[i % len(NAMES)]
    if not name:
        return mail if rnd.random() < 0.5 else "<%s>" % mail
    shown = _header_text(rnd, name)
    if shown == name and any(c in name for c in ",\"'"):
        shown = '"%s"' % name.replace('"', '\\"')
    return "%s <%s>" % (shown, mail)


def _text(rnd, n):
    return " ".join(rnd.choice(WORDS) for _ in range(n))


def _paragraphs(rnd, lines, long_line=False):
    out = []
    for _ in range(lines):
        out.append(_text(rnd, rnd.randrange(1, 14)))
    if long_line:
        out.append(_text(rnd, 400))  # > 998 octets
    return out


def _encode_body(rnd, text, cte, charset):
    pycs = {"us-ascii": "ascii", "UTF-8": "utf-8", "utf-8": "utf-8", "windows-1252": "cp1252",
            "koi8-r": "koi8_r", "iso-2022-jp": "iso2022_jp"}.get(charset, "latin-1")
    data = text.encode(pycs, "replace")
    if cte == "base64":
        b = base64.encodebytes(data).replace(b"\n", b"\r\n")
        return b
    if cte == "quoted-printable":
        return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n") + b"\r\n"
    if cte == "x-uuencode":
        return b"begin 644 f\r\n" + data[:40] + b"\r\nend\r\n"
    return data + b"\r\n"


def _leaf(rnd, ctype=None, disposition=None):
    ctype = ctype or rnd.choice(["text/plain", "text/plain", "text/html", "text/enriched",
                                 "application/octet-stream", "image/png", "application/pdf",
                                 "TEXT/PLAIN", "text/calendar"])
    hdr = []
    body_text = "\r\n".join(_paragraphs(rnd, rnd.randrange(1, 8), rnd.random() < 0.1))
    if ctype.lower().startswith("text/"):
        cs = rnd.choice(CHARSETS)
        params = "; charset=%s" % (cs if rnd.random() < 0.7 else '"%s"' % cs)
        if rnd.random() < 0.15:
            params += "; format=flowed; delsp=yes"
        if ctype.lower() == "text/html":
            body_text = "<html><body><p>%s</p></body></html>" % body_text
        cte = rnd.choice(["7bit", "8bit", "quoted-printable", "base64", None, "quoted-printable",
                          "BASE64", "binary", "x-unknown"])
    else:
        cs = "latin-1"
        params = ""
        if rnd.random() < 0.6:
            params += '; name="%s"' % rnd.choice(["doc.pdf", "report 2020.pdf", "a;b.bin"])
        if rnd.random() < 0.2:
            params += "; name*=UTF-8''r%C3%A9sum%C3%A9.pdf"
        if rnd.random() < 0.15:
            params += "; name*0*=UTF-8''long%20na; name*1=me.txt"
        body_text = "".join(chr(rnd.randrange(256)) for _ in range(rnd.randrange(0, 300)))
        cte = rnd.choice(["base64", "base64", "quoted-printable", "7bit", "x-uuencode"])
    hdr.append("Content-Type: %s%s" % (ctype, params))
    if cte:
        hdr.append("Content-Transfer-Encoding: %s" % cte)
    body = _encode_body(rnd, body_text, (cte or "7bit").lower(), cs)
    disp = disposition or (rnd.choice(["inline", "attachment", None, None,
                                       'attachment; filename="x.bin"; size=42',
                                       "attachment; filename*=UTF-8''%E2%82%AC.txt",
                                       "INLINE; creation-date=\"Wed, 12 Feb 1997 16:29:51 -0500\""]))
    if disp:
        hdr.append("Content-Disposition: %s" % disp)
    if rnd.random() < 0.15:
        hdr.append("Content-ID: <part%d@example.com>" % rnd.randrange(1000))
    if rnd.random() < 0.1:
        hdr.append("Content-Description: %s" % _header_text(rnd, "Beschreibung für Teil"))
    if rnd.random() < 0.08:
        hdr.append("Content-Language: %s" % rnd.choice(["en", "en, de", "de-AT"]))
    if rnd.random() < 0.05:
        hdr.append("Content-Location: http://example.com/x/y")
    if rnd.random() < 0.05:
        hdr.append("Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==")
    return "\r\n".join(hdr).encode("utf-8") + b"\r\n\r\n" + body


def _multipart(rnd, subtype, parts, extra_params=""):
    boundary = "=_%s_%d" % (subtype[:3], rnd.randrange(10 ** 6))
    if rnd.random() < 0.3:
        ct = 'Content-Type: multipart/%s;\r\n\tboundary="%s"%s' % (subtype, boundary, extra_params)
    else:
        ct = "Content-Type: multipart/%s; boundary=\"%s\"%s" % (subtype, boundary, extra_params)
    out = ct.encode() + b"\r\n\r\n"
    if rnd.random() < 0.5:
        out += b"This is a multi-part message in MIME format.\r\n"
    for p in parts:
        out += b"\r\n--" + boundary.encode() + (b"  " if rnd.random() < 0.05 else b"") + b"\r\n" + p
    out += b"\r\n--" + boundary.encode() + b"--\r\n"
    if rnd.random() < 0.3:
        out += b"epilogue text\r\n"
    return out


def _entity(rnd, depth):
    """A MIME entity (headers + body) of random structure."""
    if depth > 3:
        return _leaf(rnd)
    r = rnd.random()
    if r < 0.35:
        return _leaf(rnd)
    if r < 0.5:
        return _multipart(rnd, "alternative", [_leaf(rnd, "text/plain"), _leaf(rnd, "text/html")])
    if r < 0.65:
        return _multipart(rnd, "mixed", [_entity(rnd, depth + 1)
                                         for _ in range(rnd.randrange(1, 4))])
    if r < 0.72:
        return _multipart(rnd, "related", [_multipart(rnd, "alternative", [
            _leaf(rnd, "text/plain"), _leaf(rnd, "text/html")]), _leaf(rnd, "image/png", "inline")],
            '; type="multipart/alternative"')
    if r < 0.79:
        sig = (b"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
               b"Content-Description: OpenPGP digital signature\r\n\r\n"
               b"-----BEGIN PGP SIGNATURE-----\r\n\r\niQEzBAEBCAAdFiEE\r\n"
               b"-----END PGP SIGNATURE-----\r\n")
        return _multipart(rnd, "signed", [_entity(rnd, depth + 1), sig],
                          '; micalg=pgp-sha256;\r\n protocol="application/pgp-signature"')
    if r < 0.86:
        inner = _message(rnd, depth + 1, top=False)
        return b"Content-Type: message/rfc822\r\n" + (
            b"Content-Disposition: attachment\r\n" if rnd.random() < 0.5 else b"") + b"\r\n" + inner
    if r < 0.9:
        msgs = [b"\r\n" + _message(rnd, depth + 1, top=False) for _ in range(2)]
        return _multipart(rnd, "digest", msgs)
    return _leaf(rnd)


def _date(rnd):
    day = rnd.randrange(1, 28)
    mon = rnd.choice(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                      "Dec"])
    year = rnd.randrange(1995, 2024)
    zone = rnd.choice(["+0000", "-0800", "+0530", "GMT", "+0100 (CET)", "EST", ""])
    wd = rnd.choice(["Mon, ", "Tue, ", "", "Sun, "])
    return "%s%d %s %d %02d:%02d:%02d %s" % (wd, day, mon, year, rnd.randrange(24),
                                              rnd.randrange(60), rnd.randrange(60), zone)


def _message(rnd, depth=0, top=True, idx=0):
    hdr = []
    if rnd.random() < 0.95:
        hdr.append("Date: %s" % _date(rnd))
    hdr.append("From: %s" % _addr(rnd))
    tos = [_addr(rnd) for _ in range(rnd.randrange(0, 4))]
    if tos:
        if len(tos) > 2 and rnd.random() < 0.5:
            hdr.append("To: %s,\r\n %s" % (", ".join(tos[:2]), ", ".join(tos[2:])))
        else:
            hdr.append("To: %s" % ", ".join(tos))
    if rnd.random() < 0.1:
        hdr.append("To: undisclosed-recipients:;")
    if rnd.random() < 0.3:
        hdr.append("Cc: %s" % _addr(rnd))
    if rnd.random() < 0.1:
        hdr.append("Cc: Team: %s, %s;" % (_addr(rnd), _addr(rnd)))
    if rnd.random() < 0.05:
        hdr.append("Bcc: %s" % _addr(rnd))
    if rnd.random() < 0.1:
        hdr.append("Reply-To: %s" % _addr(rnd))
    if rnd.random() < 0.05:
        hdr.append("Sender: %s" % _addr(rnd))
    subj = SUBJECTS[rnd.randrange(len(SUBJECTS))]
    shown = _header_text(rnd, subj)
    if len(shown) > 70 and " " in shown[40:]:
        cut = shown.index(" ", 40)
        shown = shown[:cut] + "\r\n" + shown[cut:]
    hdr.append("Subject: %s" % shown)
    mid = "<m%d.%d@example.com>" % (idx, rnd.randrange(10 ** 6))
    if rnd.random() < 0.95:
        hdr.append("Message-ID: %s" % mid)
    if rnd.random() < 0.3:
        ref = "<m%d.0@example.com>" % rnd.randrange(max(1, idx))
        hdr.append("In-Reply-To: %s" % ref)
        hdr.append("References: <root@example.com>\r\n %s" % ref)
    if rnd.random() < 0.8:
        hdr.append("MIME-Version: 1.0")
    if rnd.random() < 0.05:
        hdr.append("X-Empty:")
    if rnd.random() < 0.05:
        hdr.append("X-Long: " + "x" * 1200)
    head = "\r\n".join(hdr).encode("utf-8") + b"\r\n"
    return head + _entity(rnd, depth)


MALFORMED = [
    # unclosed multipart
    b"Subject: unclosed\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
    b"Content-Type: text/plain\r\n\r\npart one\r\n--zz\r\n\r\npart two no end\r\n",
    # boundary never found
    b"Subject: nob\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\njust text\r\nmore\r\n",
    # multipart without boundary parameter
    b"Subject: noparam\r\nContent-Type: multipart/mixed\r\n\r\n--zz\r\nContent-Type: text/plain"
    b"\r\n\r\njust text\r\n--zz--\r\n",
    # bare LF everywhere
    b"Subject: lf\nContent-Type: multipart/mixed; boundary=q\n\n--q\nContent-Type: text/plain\n"
    b"\nline a\nline b\n--q--\n",
    # header only, no body, no final CRLF
    b"Subject: header only",
    b"Subject: nob\r\n",
    # empty parts
    b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\n--a\r\nContent-Type: text/plain"
    b"\r\n--a--",
    # 8-bit headers
    b"Subject: caf\xc3\xa9\r\nFrom: J\xc3\xbcrgen <j@x>\r\nContent-Type: text/plain; "
    b"name=\"f\xc3\xa9.txt\"\r\n\r\nb\r\n",
    # latin-1 raw header
    b"Subject: caf\xe9 cr\xe8me\r\nFrom: x@y\r\n\r\nbody\r\n",
    # broken encoded words
    b"Subject: =?utf-8?B?broken?= =?unknown?Q?x?= =?utf-8?Q?a_b?==?utf-8?Q?c?=\r\n\r\nx\r\n",
    # nested boundaries with the same prefix
    b"Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; "
    b"boundary=ab\r\n\r\n--ab\r\n\r\ninner\r\n--ab--\r\n--a\r\n\r\nouter\r\n--a--\r\n",
    # bad base64
    b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"SGVsbG8*gd29y!bGQ\r\n==\r\nAAA\r\n",
    # bad qp
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"a=ZZb=\r\nsoft= \r\nend=4\r\n=C3=A9\r\n",
    # garbage content-type
    b"Content-Type: ;;;\r\n\r\nx\r\n",
    b"Content-Type: text\r\n\r\nx\r\n",
    b"Content-Type: text/plain; charset\r\n\r\nx\r\n",
    b"Content-Type: text/plain; charset=\"unterminated\r\n\r\nx\r\n",
    b"Content-Type: multipart/alternative; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\n",
    # continuation line first
    b" folded first\r\nSubject: s\r\n\r\nx\r\n",
    # header without colon
    b"Subject: s\r\nNo colon here\r\nFrom: a@b\r\n\r\nx\r\n",
    # NUL bytes
    b"Subject: nul\r\n\r\na\x00b\r\n",
    # deep nesting
    b"".join(b"Content-Type: message/rfc822\r\n\r\n" for _ in range(60)) + b"Subject: deep\r\n\r\nx\r\n",
    b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
             for i in range(40)) + b"\r\ninnermost\r\n",
    # CR alone
    b"Subject: cr\r\n\r\nline\rstill\r\n",
    # message/rfc822 with base64 encoding
    b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes(b"Subject: inner\r\n\r\nbody\r\n").replace(b"\n", b"\r\n"),
    # addresses
    b"From: noat, @x, <@route:a@b>\r\nTo: \"long\r\n folded\" <a@b>\r\nCc: Empty:;\r\n"
    b"Reply-To: \"Quote \\\"me\\\"\" <r@x.y>\r\nSender: s@x.y (Comment Name)\r\n\r\nx\r\n",
    b"From: a@b, (comment only), \"\" <c@d>, g: h@i, j@k;, l@m\r\n\r\nx\r\n",
    b"Date: garbage\r\nSubject: bad date\r\n\r\nx\r\n",
    b"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\ntwo types\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n"
    b"--x--\r\n",
]


def generated(count=320, seed=4242):
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        out.append(("gen%03d" % i, _message(rnd, idx=i)))
    for i, m in enumerate(MALFORMED):
        out.append(("bad%02d" % i, m))
    return out


def samples():
    out = []
    for path in sorted(glob.glob(os.path.join(PY_EMAIL_DATA, "msg_*.txt"))):
        with open(path, "rb") as f:
            out.append(("py_" + os.path.basename(path)[:-4], f.read()))
    return out


def corpus():
    return generated() + samples()


if __name__ == "__main__":
    c = corpus()
    print(len(c), "messages,", sum(len(m) for _, m in c), "bytes")
