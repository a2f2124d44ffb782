"""Sharding (issue 7): 2 statesvc shards, 3 frontends and haproxy, started by scripts/cluster.sh.

Accounts live on the shard the ring picks (common/shard/ring.h); frontends and hadronctl route by
it; sessions reach any frontend through haproxy, over IMAP and IMAPS.
"""

import os
import re
import subprocess
import time
import uuid

import pytest

import imapwire
from conftest import binary

# The shard of a fresh account, cycled so that every test touches both shards.


def fresh_account(c, shard, prefix="s"):
    """Creates an account whose name the ring places on `shard`; returns (name, password)."""
    for _ in range(200):
        name = "%s%s" % (prefix, uuid.uuid4().hex[:8])
        if c.shard_of(name) == shard:
            password = "pw-" + uuid.uuid4().hex[:8]
            c.add_account(name, password)
            return name, password
    raise AssertionError("no name for shard %d in 200 tries" % shard)


def message(subject, body="hello"):
    return ("From: a@example.com\r\nTo: b@example.com\r\nSubject: %s\r\n"
            "Message-ID: <%s@example.com>\r\n\r\n%s\r\n" % (subject, uuid.uuid4().hex, body)).encode()


def deliver(c, name, subject, mailbox="INBOX"):
    out = c.ctl("deliver", name, "--mailbox", mailbox, input=message(subject))
    return int(out.stdout.strip())


def ctl_one(c, shard, *args):
    """hadronctl against ONE shard only (no routing): where the data really is."""
    return subprocess.run([binary("hadronctl"), "--statesvc=" + c.shard_addrs[shard]] + list(args),
                          capture_output=True, timeout=30)


def test_accounts_on_both_shards_work_through_haproxy(shard_cluster):
    c = shard_cluster
    for shard in (0, 1):
        name, password = fresh_account(c, shard)
        uid = deliver(c, name, "to shard %d" % shard)
        assert uid == 1
        # The data is on the owner and only there.
        assert ctl_one(c, shard, "mailbox", "list", name).returncode == 0
        other = ctl_one(c, 1 - shard, "mailbox", "list", name)
        assert other.returncode != 0 and b"no account" in other.stderr, other.stderr
        # IMAP through haproxy, a few times (leastconn spreads sessions over the frontends).
        for _ in range(3):
            r = imapwire.Raw(c.host, c.imap_port)
            r.login(name.upper(), password)  # the ring routes case-insensitively, as the store
            untagged, _ = r.ok("SELECT INBOX")
            assert b"* 1 EXISTS" in untagged
            untagged, _ = r.ok("UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert b"to shard %d" % shard in b"".join(untagged)
            r.ok("LOGOUT")
            r.close()
        # IMAPS through haproxy (TLS passes through to the frontends).
        s = imapwire.Raw(c.host, c.imaps_port, use_ssl=True)
        s.login(name, password)
        s.ok("SELECT INBOX")
        s.cmd_literal("APPEND INBOX (\\Flagged)", message("appended over imaps"))
        untagged, _ = s.ok("UID FETCH 1:* (FLAGS)")
        rows = dict((int(d[b"UID"]), d[b"FLAGS"]) for _, d in imapwire.fetches(untagged))
        assert sorted(rows) == [1, 2]
        assert b"\\Flagged" in rows[2]
        s.close()


def test_wrong_password_and_unknown_account_are_refused(shard_cluster):
    c = shard_cluster
    name, password = fresh_account(c, 1)
    r = imapwire.Raw(c.host, c.imap_port)
    typ = r.cmd("LOGIN %s wrong" % name)[1]
    assert b"NO" in typ
    typ = r.cmd("LOGIN nosuch%s x" % uuid.uuid4().hex[:6])[1]
    assert b"NO" in typ
    r.close()


def test_statesvc_refuses_accounts_of_another_shard(shard_cluster):
    c = shard_cluster
    for _ in range(200):
        name = "w" + uuid.uuid4().hex[:8]
        if c.shard_of(name) == 0:
            break
    out = ctl_one(c, 1, "account", "add", name, "--password", "x")
    assert out.returncode != 0
    assert b"belongs to shard 0 of 2" in out.stderr, out.stderr
    assert ctl_one(c, 0, "mailbox", "list", name).returncode != 0  # nothing was created


def test_same_ids_on_two_shards_do_not_mix_on_one_frontend(shard_cluster):
    """Both shards number accounts and mailboxes from 1: a frontend serving accounts of both
    must keep their snapshots and events apart (shard index in the account id)."""
    c = shard_cluster
    a, pa = fresh_account(c, 0, "ida")
    b, pb = fresh_account(c, 1, "idb")
    deliver(c, a, "a1")
    deliver(c, a, "a2")
    deliver(c, b, "b1")
    host, port = c.fe_addrs[0].rsplit(":", 1)
    ra = imapwire.Raw(host, int(port))
    ra.login(a, pa)
    rb = imapwire.Raw(host, int(port))
    rb.login(b, pb)
    ua, _ = ra.ok("SELECT INBOX")
    ub, _ = rb.ok("SELECT INBOX")
    assert b"* 2 EXISTS" in ua and b"* 1 EXISTS" in ub, (ua, ub)
    rb.send(rb.next_tag() + " IDLE\r\n")
    assert rb.read_line().startswith(b"+")
    ra.send(ra.next_tag() + " IDLE\r\n")
    assert ra.read_line().startswith(b"+")
    deliver(c, a, "a3")
    assert ra.read_line(timeout=5) == b"* 3 EXISTS"
    # b's session hears nothing of a's mailbox.
    with pytest.raises(Exception):
        rb.read_line(timeout=1)
    deliver(c, b, "b2")
    assert rb.read_line(timeout=5) == b"* 2 EXISTS"
    ra.close()
    rb.close()


def test_cluster_script_status(shard_cluster):
    out = shard_cluster.script("status")
    assert out.returncode == 0, out.stdout + out.stderr
    for n in ("haproxy", "frontend0", "frontend1", "frontend2", "statesvc0", "statesvc1"):
        assert re.search(r"^%s: running" % n, out.stdout, re.M), out.stdout
