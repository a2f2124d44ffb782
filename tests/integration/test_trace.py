"""--trace_protocol logs each command and response, never a credential (issue 6).

LOGIN (quoted and as literals), AUTHENTICATE PLAIN with SASL-IR and AUTHENTICATE LOGIN through
continuations: the trace shows the commands with "***" instead of the secret, and no password
appears in the log in any form (plain or base64). Without the flag there is no trace.
"""

import base64
import tempfile

import pytest

import imapwire
from conftest import Cluster, requires_hadron

SECRETS = ["Pw-quoted-1", "Pw-literal-2", "Pw-sasl-ir-3", "Pw-sasl-cont-4"]


def _forms(secret):
    forms = [secret.encode()]
    for prefix in (b"", b"\0tr\0", b"\0tr2\0", b"\0tr3\0"):
        forms.append(base64.b64encode(prefix + secret.encode()))
    return forms


def _run_logins(c):
    r = imapwire.Raw(c.host, c.imap_port)
    r.ok('LOGIN tr "%s"' % SECRETS[0])
    r.ok("SELECT INBOX")
    r.cmd("LOGOUT")
    r.close()
    r = imapwire.Raw(c.host, c.imap_port)
    tag = r.next_tag()
    r.send(b"%s LOGIN {3}\r\n" % tag.encode())
    assert r.read_response().startswith(b"+")
    r.send(b"tr2 {%d}\r\n" % len(SECRETS[1]))
    assert r.read_response().startswith(b"+")
    r.send(SECRETS[1].encode() + b"\r\n")
    _, tagged = r.collect(tag)
    assert b" OK " in tagged, tagged
    r.close()
    r = imapwire.Raw(c.host, c.imap_port)
    ir = base64.b64encode(b"\0tr3\0" + SECRETS[2].encode()).decode()
    r.ok("AUTHENTICATE PLAIN " + ir)
    r.close()
    r = imapwire.Raw(c.host, c.imap_port)
    tag = r.next_tag()
    r.send(b"%s AUTHENTICATE LOGIN\r\n" % tag.encode())
    assert r.read_response().startswith(b"+")
    r.send(base64.b64encode(b"tr4") + b"\r\n")
    assert r.read_response().startswith(b"+")
    r.send(base64.b64encode(SECRETS[3].encode()) + b"\r\n")
    _, tagged = r.collect(tag)
    assert b" OK " in tagged, tagged
    r.close()


def _cluster(extra):
    c = Cluster(tempfile.mkdtemp(prefix="hadron-it-trace-"), tls=False)
    c.frontend_args = extra
    c.start()
    c.add_account("tr", SECRETS[0])
    c.add_account("tr2", SECRETS[1])
    c.add_account("tr3", SECRETS[2])
    c.add_account("tr4", SECRETS[3])
    return c


def _log(c):
    with open(c.frontend.log_path, "rb") as f:
        return f.read()


def test_trace_redacts_credentials(cluster):
    requires_hadron(cluster)
    c = _cluster(["--trace_protocol"])
    try:
        _run_logins(c)
        log = _log(c)
    finally:
        c.stop()
    assert b"C: T001 LOGIN tr ***" in log, log[-3000:]
    assert b"C: T001 LOGIN tr2 ***" in log
    assert b"C: T001 AUTHENTICATE PLAIN ***" in log
    assert b"C: T001 AUTHENTICATE LOGIN" in log and b"*** (SASL response)" in log
    assert b"C: T002 SELECT INBOX" in log
    assert b"S: T002 OK [READ-WRITE]" in log
    for secret in SECRETS:
        for form in _forms(secret):
            assert form not in log, "%r leaked into the log" % form


def test_no_trace_by_default(cluster):
    requires_hadron(cluster)
    c = _cluster([])
    try:
        _run_logins(c)
        log = _log(c)
    finally:
        c.stop()
    assert b"C: T001" not in log and b"S: " not in log
    for secret in SECRETS:
        for form in _forms(secret):
            assert form not in log
