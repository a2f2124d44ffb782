"""imapwire: a raw-socket IMAP client and response parser for tests that need to see the wire.

imaplib hides literals, continuation requests and exact response lines; these helpers do not.
"""

import re
import socket
import ssl
import time


class ImapError(Exception):
    pass


class Raw:
    """One IMAP connection driven byte by byte. Responses are kept whole, literals inlined."""

    def __init__(self, host, port, timeout=10.0, use_ssl=False, read_greeting=True,
                 source_address=None):
        sock = socket.create_connection((host, port), timeout=timeout,
                                        source_address=source_address)
        if use_ssl:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.buf = b""
        self.timeout = timeout
        self.tagnum = 0
        self.greeting = self.read_response() if read_greeting else None

    # ---- low level -------------------------------------------------------------------------
    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out waiting for server data; have %r" % self.buf[-300:])
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection; unread %r" % self.buf)
        self.buf += chunk

    def read_line(self, timeout=None):
        """One CRLF-terminated line without the CRLF (literals not interpreted)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, timeout=None):
        """One full response: a line, plus any literals it announces, and the lines after them."""
        out = b""
        while True:
            line = self.read_line(timeout)
            out += line
            m = re.search(rb"\{(\d+)\}$", line)
            if not m:
                return out
            out += b"\r\n" + self.read_exact(int(m.group(1)), timeout)

    def at_eof(self, timeout=3.0):
        """True if the server closes the connection (after any unread data) within timeout."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except ConnectionError:
            return True
        except (socket.timeout, TimeoutError):
            return False
        except OSError:
            return True

    # ---- commands --------------------------------------------------------------------------
    def next_tag(self):
        self.tagnum += 1
        return "T%03d" % self.tagnum

    def collect(self, tag, timeout=None):
        """Reads responses until the tagged one; returns (untagged list, tagged line)."""
        tag = tag.encode() if isinstance(tag, str) else tag
        untagged = []
        while True:
            r = self.read_response(timeout)
            if r.startswith(tag + b" "):
                return untagged, r
            untagged.append(r)

    def cmd(self, text, timeout=None):
        """Sends `TAG text` (no literals) and returns (untagged, tagged line)."""
        tag = self.next_tag()
        self.send("%s %s\r\n" % (tag, text) if isinstance(text, str) else
                  tag.encode() + b" " + text + b"\r\n")
        return self.collect(tag, timeout)

    def ok(self, text, timeout=None):
        untagged, tagged = self.cmd(text, timeout)
        status = tagged.split(b" ", 2)[1] if b" " in tagged else b""
        if status != b"OK":
            raise ImapError("%s -> %r (untagged %r)" % (text, tagged, untagged))
        return untagged, tagged

    def cmd_literal(self, prefix, literal, suffix=b"", timeout=None):
        """Sends `TAG prefix {n}`, waits for '+', then the literal and suffix. Returns as cmd()."""
        tag = self.next_tag()
        if isinstance(prefix, str):
            prefix = prefix.encode()
        self.send(tag.encode() + b" " + prefix + b" {%d}\r\n" % len(literal))
        cont = self.read_response(timeout)
        if not cont.startswith(b"+"):
            # The server refused the literal; that is the tagged answer (or an untagged one).
            if cont.startswith(tag.encode() + b" "):
                return [], cont
            untagged, tagged = self.collect(tag, timeout)
            return [cont] + untagged, tagged
        self.send(literal + suffix + b"\r\n")
        return self.collect(tag, timeout)

    def login(self, user, password):
        return self.ok('LOGIN "%s" "%s"' % (user, password))


# ---- response parsing ----------------------------------------------------------------------

class Atom(bytes):
    """An unquoted token; NIL is returned as None, quoted strings and literals as bytes."""


def _parse(data, i):
    n = len(data)
    while i < n and data[i:i + 1] == b" ":
        i += 1
    if i >= n:
        raise ValueError("unexpected end of data")
    c = data[i:i + 1]
    if c == b"(":
        i += 1
        items = []
        while True:
            while i < n and data[i:i + 1] == b" ":
                i += 1
            if i >= n:
                raise ValueError("unterminated list in %r" % data)
            if data[i:i + 1] == b")":
                return items, i + 1
            v, i = _parse(data, i)
            items.append(v)
    if c == b'"':
        i += 1
        out = bytearray()
        while True:
            if i >= n:
                raise ValueError("unterminated quoted string in %r" % data)
            ch = data[i:i + 1]
            if ch == b"\\":
                out += data[i + 1:i + 2]
                i += 2
                continue
            if ch == b'"':
                return bytes(out), i + 1
            out += ch
            i += 1
    if c == b"{":
        m = re.match(rb"\{(\d+)\+?\}\r\n", data[i:])
        if not m:
            raise ValueError("bad literal at %r" % data[i:i + 20])
        start = i + m.end()
        size = int(m.group(1))
        return data[start:start + size], start + size
    # atom, possibly with a [section] that contains spaces and parentheses, and a <partial>
    start = i
    depth = 0
    while i < n:
        ch = data[i:i + 1]
        if ch == b"[":
            depth += 1
        elif ch == b"]":
            depth -= 1
        elif depth == 0 and ch in (b" ", b"(", b")"):
            break
        i += 1
    tok = data[start:i]
    if tok.upper() == b"NIL":
        return None, i
    return Atom(tok), i


def parse_values(data):
    """Parses a sequence of IMAP values (atoms, strings, literals, lists, NIL)."""
    out = []
    i = 0
    while i < len(data):
        while i < len(data) and data[i:i + 1] == b" ":
            i += 1
        if i >= len(data):
            break
        v, i = _parse(data, i)
        out.append(v)
    return out


def parse_fetch(resp):
    """b'* 3 FETCH (UID 7 FLAGS (\\Seen) ...)' -> (3, {b'UID': b'7', b'FLAGS': [...], ...}).

    Keys are upper-cased; a section key keeps its text after the item name, e.g.
    b'BODY[HEADER.FIELDS (SUBJECT)]' upper-cased.
    """
    m = re.match(rb"\* (\d+) FETCH ", resp)
    if not m:
        raise ValueError("not a FETCH response: %r" % resp[:100])
    vals = parse_values(resp[m.end():])
    if len(vals) != 1 or not isinstance(vals[0], list):
        raise ValueError("bad FETCH payload: %r" % resp)
    lst = vals[0]
    if len(lst) % 2:
        raise ValueError("odd FETCH attribute list: %r" % resp)
    d = {}
    for k, v in zip(lst[0::2], lst[1::2]):
        d[bytes(k).upper()] = v
    return int(m.group(1)), d


def fetches(untagged):
    """All FETCH responses of a command as a list of (seq, dict)."""
    return [parse_fetch(r) for r in untagged if re.match(rb"\* \d+ FETCH ", r)]


def search_result(untagged):
    """The numbers of the (single) '* SEARCH' response."""
    found = [r for r in untagged if r.upper().startswith(b"* SEARCH")]
    assert len(found) == 1, "expected one * SEARCH response, got %r" % (untagged,)
    return sorted(int(x) for x in found[0][8:].split())


def flagset(v):
    """A FLAGS value (list of atoms) as a set of str, without \\Recent."""
    return {bytes(f).decode() for f in v} - {"\\Recent"}


def untagged_code(untagged, name):
    """The response codes [NAME ...] seen in '* OK [...]' responses, as the text inside brackets."""
    out = []
    for r in untagged:
        m = re.match(rb"\* OK \[(" + name.encode() + rb"[^\]]*)\]", r)
        if m:
            out.append(m.group(1).decode())
    return out


def instant(date_time):
    """An IMAP date-time ("17-Jul-1996 02:44:25 -0700") as an aware datetime."""
    import datetime
    if isinstance(date_time, bytes):
        date_time = date_time.decode()
    return datetime.datetime.strptime(date_time.strip(), "%d-%b-%Y %H:%M:%S %z")


def status_of(tagged):
    parts = tagged.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else ""
