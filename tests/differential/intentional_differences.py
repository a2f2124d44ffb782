"""Every known, intended difference between Hadron's and Dovecot's answers, with its RFC reason.

test_differential.py compares answers byte for byte; a difference is accepted only when one entry
below explains it. Each entry: an id, the RFC reason, and a predicate over the difference
(`d.kind` is "fetch", "status", "search", "sort" or "thread"; `d.item` the FETCH item or command;
`d.message` the corpus name; `d.dovecot` and `d.hadron` the raw bytes). Keep this list short:
a new entry needs a reason a reviewer can check in the RFC.
"""

import re
from dataclasses import dataclass


@dataclass
class Difference:
    kind: str
    message: str
    item: str
    dovecot: bytes
    hadron: bytes
    context: dict = None  # what the test knew besides the two answers (see its users)

    def __str__(self):
        # Show the neighbourhood of the first differing byte.
        i = 0
        while i < min(len(self.dovecot), len(self.hadron)) and self.dovecot[i] == self.hadron[i]:
            i += 1
        lo = max(0, i - 120)
        return "%s %s %s (at byte %d)\n    dovecot: %r\n    hadron:  %r" % (
            self.kind, self.message, self.item, i, self.dovecot[lo:i + 200],
            self.hadron[lo:i + 200])


def _status_text_only(d):
    # Tagged NO/BAD/OK lines: the human-readable text after the status and response code is free
    # form (RFC 3501 7.1, RFC 9051 7.1: "resp-text ... human-readable text"). The status and the
    # bracketed response code must still match.
    def key(b):
        m = re.match(rb"(OK|NO|BAD)( \[[^\]]*\])?", b)
        return m.group(0) if m else b
    return d.kind == "status" and key(d.dovecot) == key(d.hadron)


def _dovecot_disconnects_on_bad_base64(d):
    # Dovecot 2.3 logs "read(<binary stream>) failed: Base64 data ends prematurely" and closes the
    # connection without a BYE or a tagged answer. RFC 3501 7.1 / RFC 9051 7.1 want a tagged
    # response to every command, and RFC 3516 4.3 fails a BINARY fetch whose data cannot be
    # decoded with NO: Hadron answers NO [PARSE] (as Dovecot does for other undecodable data).
    return d.dovecot == b"* <connection closed by the server>" and d.hadron.startswith(b"NO [PARSE]")


def _dovecot_binary_size_not_its_binary(d):
    # RFC 3516 4.2: BINARY.SIZE is "the decoded size of the section (i.e., the size to expect
    # in response to the corresponding FETCH BINARY request)". For some message/rfc822 parts and
    # the leaves inside them Dovecot 2.3 reports a size that is not the length of its own
    # BINARY[part] answer (seen on gen044/047/061/089/157/167/273 and bad24; the sizes come from
    # Dovecot's cached binary.parts record, index-mail-binary.c; the exact cause is not pinned
    # down). Hadron answers the length of BINARY[part], which the suite compared byte for byte
    # with Dovecot's just before.
    n = (d.context or {}).get("dovecot_binary_length")
    if d.kind != "fetch" or not d.item.startswith("BINARY.SIZE[") or n is None:
        return False
    try:
        return int(d.hadron) == n and int(d.dovecot) != n
    except ValueError:
        return False


INTENTIONAL = [
    ("dovecot-binary-size-not-its-binary", "RFC 3516 4.2: BINARY.SIZE is the size of the "
     "corresponding BINARY answer; Dovecot's differs from the length of its own BINARY[part] "
     "for some message/rfc822 parts, Hadron's equals it.", _dovecot_binary_size_not_its_binary),
    ("dovecot-disconnect-bad-base64", "RFC 3501 7.1, RFC 3516 4.3: every command gets a tagged "
     "answer; Dovecot drops the connection on base64 that ends prematurely, Hadron answers "
     "NO [PARSE].", _dovecot_disconnects_on_bad_base64),
    ("resp-text", "RFC 3501 7.1 / RFC 9051 7.1: the text of a tagged response is human-readable "
     "and not part of the protocol; status and response code are still compared.",
     _status_text_only),
]


def explain(d):
    """The id of the entry that explains d, or None."""
    for ident, _reason, pred in INTENTIONAL:
        if pred(d):
            return ident
    return None
