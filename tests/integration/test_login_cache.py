"""The statesvc's login cache (issue 8): a repeated LOGIN with the right password is answered
without scrypt; a password change through hadronctl (the MailService SetPassword RPC) makes the
old password fail at once. The cache's hit/miss counters on the statesvc's /metrics show which
path each LOGIN took (counted, not timed)."""

import re
import uuid

import pytest

import imapwire
from conftest import REFERENCE
# `ops`: test_operations' fixture (a statesvc with /metrics and a frontend), shared, not copied.
from test_operations import ops, scrape, value  # noqa: F401 (ops is a fixture)

pytestmark = pytest.mark.skipif(REFERENCE == "dovecot", reason="Hadron statesvc only")

LOOKUPS = "hadron_statesvc_login_cache_lookups_total"


def counts(c):
    s = scrape(c.state_metrics)
    return value(s, LOOKUPS, result="hit"), value(s, LOOKUPS, result="miss")


def login(c, user, pw):
    """The tagged answer of a LOGIN on a fresh connection (raw, so a NO is seen as it is)."""
    r = imapwire.Raw(c.host, c.imap_port)
    try:
        _, tagged = r.cmd('LOGIN "%s" "%s"' % (user, pw))
        return tagged
    finally:
        r.close()


def assert_ok(tagged):
    assert re.match(rb"T\d+ OK", tagged), tagged


def assert_refused(tagged):
    assert re.match(rb"T\d+ NO \[AUTHENTICATIONFAILED\]", tagged), tagged


def test_login_twice_then_password_change(ops):
    name = "lc_" + uuid.uuid4().hex[:8]
    ops.ctl("account", "add", name, "--password", "first")
    hits0, misses0 = counts(ops)
    # imaplib: the first LOGIN runs scrypt (a miss), the second is a cache hit.
    for expected_hits in (0, 1):
        imap = ops.imap(name, "first")
        typ, data = imap.select("INBOX")
        assert typ == "OK", data
        imap.logout()
        hits, misses = counts(ops)
        assert hits - hits0 == expected_hits, (hits, misses)
        assert misses - misses0 == 1, (hits, misses)
    # A wrong password after the cached success: refused, and it went to scrypt (a miss).
    assert_refused(login(ops, name, "First"))
    hits, misses = counts(ops)
    assert (hits - hits0, misses - misses0) == (1, 2)
    assert_ok(login(ops, name, "first"))  # still cached
    assert counts(ops)[0] - hits0 == 2
    # passwd through hadronctl: the old password is refused, the new one works.
    ops.ctl("account", "passwd", name, "--password", "second")
    assert_refused(login(ops, name, "first"))
    assert_ok(login(ops, name, "second"))
    hits, misses = counts(ops)
    assert (hits - hits0, misses - misses0) == (2, 4)
    assert_ok(login(ops, name, "second"))  # the new password is cached now
    assert_refused(login(ops, name, "first"))
    hits, misses = counts(ops)
    assert (hits - hits0, misses - misses0) == (3, 5)
    # del: the account and its entry are gone.
    ops.ctl("account", "del", name)
    assert_refused(login(ops, name, "second"))
    assert counts(ops)[0] - hits0 == 3


def test_login_cache_disabled_by_ttl_zero(ops):
    ops.statesvc.stop()
    ops.statesvc = None
    # Restart the statesvc with --login_cache_ttl_seconds=0 on the same data and ports.
    from conftest import Proc, binary
    ops.statesvc = Proc("statesvc", [binary("statesvc"), "--listen=" + ops.state_addr,
                                     "--data_dir=" + ops.data_dir,
                                     "--metrics_listen=127.0.0.1:%d" % ops.state_metrics,
                                     "--login_cache_ttl_seconds=0"], ops.workdir)
    ops._wait(ops.statesvc, ops.state_port)
    name = "lc0_" + uuid.uuid4().hex[:8]
    ops.ctl("account", "add", name, "--password", "pw")
    for _ in range(3):
        assert_ok(login(ops, name, "pw"))
    assert counts(ops) == (0, 0)
    s = scrape(ops.state_metrics)
    assert value(s, "hadron_statesvc_login_cache_entries") == 0
