"""QUOTA (RFC 9208): one quota root per account ("User quota", as Dovecot names it), resources
STORAGE and MESSAGE, usage kept exactly by the statesvc, limits set through the public API
(hadronctl quota set), enforced on APPEND, COPY and delivery with NO [OVERQUOTA]."""

import re

import pytest

import imapwire
from conftest import requires_hadron

ROOT = b'"User quota"'


def msg(n, pad=0):
    return (b"From: a@example.org\r\nSubject: quota %d\r\n\r\n" % n) + b"x" * pad + b"\r\n"


def append(r, mailbox, data):
    return r.cmd_literal("APPEND %s" % mailbox, data)


def quota_get(cluster, account):
    out = cluster.ctl("quota", "get", account.name).stdout.decode()
    return dict(kv.split("=") for kv in out.split())


def quota_set(cluster, account, *limits):
    out = cluster.ctl("quota", "set", account.name, *limits).stdout.decode()
    return dict(kv.split("=") for kv in out.split())


def sizes(r, mailbox):
    """RFC822.SIZE of every message of `mailbox`, by UID."""
    _, tagged = r.cmd("EXAMINE " + mailbox)
    if b"[NONEXISTENT]" in tagged:
        return {}
    untagged, _ = r.ok("UID FETCH 1:* (RFC822.SIZE)")
    r.ok("CLOSE")
    return {int(d[b"UID"]): int(d[b"RFC822.SIZE"]) for _, d in imapwire.fetches(untagged)}


def total_usage(r, mailboxes=("INBOX", "Archive", "Trash", "Sent", "Drafts", "Junk")):
    total = n = 0
    for m in mailboxes:
        s = sizes(r, m)
        total += sum(s.values())
        n += len(s)
    return total, n


def quota_responses(untagged):
    return [u for u in untagged if u.startswith(b"* QUOTA ")]


def test_capabilities(raw):
    untagged, _ = raw.ok("CAPABILITY")
    caps = untagged[0].split()
    for c in (b"QUOTA", b"QUOTA=RES-STORAGE", b"QUOTA=RES-MESSAGE"):
        assert c in caps, caps
    # SETQUOTA is refused to users (limits come from the operator), so no QUOTASET.
    assert b"QUOTASET" not in caps


def test_default_is_no_limit(cluster, account):
    requires_hadron(cluster)
    q = quota_get(cluster, account)
    assert q == {"storage_used_bytes": "0", "storage_limit_kib": "none", "messages_used": "0",
                 "message_limit": "none"}, q
    r = account.raw()
    # No limit: no quota root (a QUOTA response must list at least one resource).
    untagged, tagged = r.ok("GETQUOTAROOT INBOX")
    assert untagged == [b'* QUOTAROOT "INBOX"'], untagged
    _, tagged = r.cmd('GETQUOTA "User quota"')
    assert tagged.split()[1] == b"NO", tagged
    # Many appends go through.
    for i in range(5):
        _, tagged = append(r, "INBOX", msg(i, 3000))
        assert b" OK " in tagged, tagged


def test_getquotaroot_rfc_example_shape(cluster, account):
    """RFC 9208 4.2.2: * QUOTAROOT <mailbox> <root> then * QUOTA <root> (<resource usage limit>)."""
    requires_hadron(cluster)
    r = account.raw()
    data = msg(1, 2000)
    append(r, "INBOX", data)
    append(r, "Archive", msg(2, 100))
    used, n = total_usage(r)
    q = quota_set(cluster, account, "STORAGE=512", "MESSAGE=10")
    assert q["storage_used_bytes"] == str(used) and q["messages_used"] == str(n) == "2", q
    untagged, tagged = r.ok("GETQUOTAROOT INBOX")
    assert untagged[0] == b'* QUOTAROOT "INBOX" ' + ROOT, untagged
    assert quota_responses(untagged) == [
        b"* QUOTA " + ROOT + b" (STORAGE %d 512 MESSAGE 2 10)" % (used // 1024)], untagged
    # Any mailbox of the account is under the same root.
    untagged, _ = r.ok("GETQUOTAROOT Archive")
    assert untagged[0] == b'* QUOTAROOT "Archive" ' + ROOT, untagged
    untagged, _ = r.ok('GETQUOTA "User quota"')
    assert untagged == [b"* QUOTA " + ROOT + b" (STORAGE %d 512 MESSAGE 2 10)" % (used // 1024)]
    # Only resources with a limit are listed.
    quota_set(cluster, account, "MESSAGE=7")
    untagged, _ = r.ok('GETQUOTA "User quota"')
    assert untagged == [b"* QUOTA " + ROOT + b" (MESSAGE 2 7)"], untagged
    # Unknown root, unknown mailbox.
    _, tagged = r.cmd('GETQUOTA "nope"')
    assert tagged.split()[1] == b"NO" and b"[NONEXISTENT]" in tagged, tagged
    _, tagged = r.cmd("GETQUOTAROOT NoSuchBox")
    assert tagged.split()[1] == b"NO" and b"[NONEXISTENT]" in tagged, tagged


def test_setquota_is_refused_and_parsed(raw):
    _, tagged = raw.cmd('SETQUOTA "User quota" (STORAGE 512)')
    assert tagged.split()[1] == b"NO", tagged
    _, tagged = raw.cmd('SETQUOTA "User quota" (STORAGE x)')
    assert tagged.split()[1] == b"BAD", tagged
    _, tagged = raw.cmd("SETQUOTA")
    assert tagged.split()[1] == b"BAD", tagged
    _, tagged = raw.cmd("GETQUOTA")
    assert tagged.split()[1] == b"BAD", tagged


def test_quota_commands_need_login(cluster):
    requires_hadron(cluster)
    r = cluster.raw()
    _, tagged = r.cmd('GETQUOTAROOT INBOX')
    assert tagged.split()[1] == b"BAD", tagged
    r.close()


def test_append_over_message_quota(cluster, account):
    requires_hadron(cluster)
    quota_set(cluster, account, "MESSAGE=2")
    r = account.raw()
    for i in range(2):
        _, tagged = append(r, "INBOX", msg(i))
        assert b" OK " in tagged, tagged
    _, tagged = append(r, "INBOX", msg(3))
    assert tagged.split()[1] == b"NO" and b"[OVERQUOTA]" in tagged, tagged
    _, tagged = append(r, "Archive", msg(4))
    assert b"[OVERQUOTA]" in tagged, tagged
    untagged, _ = r.ok("STATUS INBOX (MESSAGES UIDNEXT)")
    assert b"MESSAGES 2" in untagged[0] and b"UIDNEXT 3" in untagged[0], untagged
    untagged, _ = r.ok("STATUS Archive (MESSAGES)")
    assert b"MESSAGES 0" in untagged[0], untagged
    assert quota_get(cluster, account)["messages_used"] == "2"
    # Raising the limit lets mail in again.
    quota_set(cluster, account, "MESSAGE=3")
    _, tagged = append(r, "INBOX", msg(5))
    assert b" OK " in tagged, tagged


def test_append_over_storage_quota_exact_boundary(cluster, account):
    requires_hadron(cluster)
    quota_set(cluster, account, "STORAGE=2")  # 2048 octets
    r = account.raw()
    first = msg(1, 1000)
    _, tagged = append(r, "INBOX", first)
    assert b" OK " in tagged, tagged
    used = sum(sizes(r, "INBOX").values())
    # Exactly filling the quota is allowed; one more octet is not.
    header = b"From: a@example.org\r\nSubject: fill\r\n\r\n"
    fill = header + b"y" * (2048 - used - len(header))
    too_big = header + b"y" * (2048 - used - len(header) + 1)
    _, tagged = append(r, "INBOX", too_big)
    assert b"[OVERQUOTA]" in tagged, tagged
    assert quota_get(cluster, account)["storage_used_bytes"] == str(used)
    _, tagged = append(r, "INBOX", fill)
    assert b" OK " in tagged, tagged
    q = quota_get(cluster, account)
    assert q["storage_used_bytes"] == "2048", q
    untagged, _ = r.ok("GETQUOTAROOT INBOX")
    assert quota_responses(untagged) == [b"* QUOTA " + ROOT + b" (STORAGE 2 2)"], untagged
    _, tagged = append(r, "INBOX", b"\r\n")
    assert b"[OVERQUOTA]" in tagged, tagged


def test_copy_over_quota_refused_move_allowed(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    for i in range(3):
        append(r, "INBOX", msg(i, 100))
    quota_set(cluster, account, "MESSAGE=4")
    r.ok("SELECT INBOX")
    _, tagged = r.cmd("COPY 1:2 Archive")  # 3 + 2 > 4
    assert tagged.split()[1] == b"NO" and b"[OVERQUOTA]" in tagged, tagged
    untagged, _ = r.ok("STATUS Archive (MESSAGES)")
    assert b"MESSAGES 0" in untagged[0], untagged
    assert quota_get(cluster, account)["messages_used"] == "3"
    _, tagged = r.ok("COPY 1 Archive")  # 3 + 1 = 4
    assert quota_get(cluster, account)["messages_used"] == "4"
    # At the limit, MOVE still works: it does not change the usage.
    untagged, _ = r.ok("MOVE 2:3 Trash")
    q = quota_get(cluster, account)
    assert q["messages_used"] == "4", q
    _, tagged = r.cmd("COPY 1 Trash")
    assert b"[OVERQUOTA]" in tagged, tagged
    used, n = total_usage(r)
    q = quota_get(cluster, account)
    assert (q["storage_used_bytes"], q["messages_used"]) == (str(used), str(n)), (q, used, n)


def test_delivery_over_quota_refused(cluster, account):
    requires_hadron(cluster)
    quota_set(cluster, account, "MESSAGE=1")
    cluster.ctl("deliver", account.name, input=msg(1))
    out = cluster.ctl("deliver", account.name, input=msg(2), check=False)
    assert out.returncode != 0, out
    assert b"over quota" in out.stderr, out.stderr
    r = account.raw()
    untagged, _ = r.ok("STATUS INBOX (MESSAGES)")
    assert b"MESSAGES 1" in untagged[0], untagged
    quota_set(cluster, account)  # no limits again
    cluster.ctl("deliver", account.name, input=msg(3))
    assert quota_get(cluster, account)["messages_used"] == "2"


def test_usage_exact_through_every_mutation(cluster, account):
    requires_hadron(cluster)
    r = account.raw()
    for i in range(6):
        append(r, "INBOX", msg(i, 37 * i))
    cluster.ctl("deliver", account.name, "--mailbox", "Archive", input=msg(9, 500))

    def check():
        used, n = total_usage(r, ("INBOX", "Archive", "Trash", "Sub"))
        q = quota_get(cluster, account)
        assert (q["storage_used_bytes"], q["messages_used"]) == (str(used), str(n)), (q, used, n)
        return used, n

    check()
    r.ok("CREATE Sub")
    r.ok("SELECT INBOX")
    r.ok("COPY 1:3 Sub")
    check()
    r.ok("SELECT INBOX")
    r.ok("MOVE 4 Trash")
    check()
    r.ok("SELECT INBOX")
    r.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    r.ok("EXPUNGE")
    check()
    r.ok("SELECT INBOX")
    r.ok("UID EXPUNGE 1:*")  # nothing flagged: no change
    check()
    r.ok("RENAME Sub Sub2")
    r.ok("RENAME Sub2 Sub")
    check()
    r.ok("DELETE Sub")
    used, n = check()
    cluster.ctl("expunge", account.name, "1", "--mailbox", "Archive")
    used2, n2 = check()
    assert n2 == n - 1 and used2 < used
    # Renaming INBOX moves its messages: usage unchanged.
    r.ok("RENAME INBOX Old")
    used3, n3 = total_usage(r, ("INBOX", "Archive", "Trash", "Old"))
    q = quota_get(cluster, account)
    assert (q["storage_used_bytes"], q["messages_used"]) == (str(used3), str(n3)) == (str(used2), str(n2))


def test_status_deleted_storage(cluster, account):
    """RFC 9208 5.1: a server with QUOTA=RES-STORAGE supports STATUS DELETED-STORAGE (what an
    EXPUNGE would free, in units of 1024 octets); RES-MESSAGE needs STATUS DELETED."""
    requires_hadron(cluster)
    r = account.raw()
    for i in range(4):
        append(r, "INBOX", msg(i, 1500))
    untagged, _ = r.ok("STATUS INBOX (DELETED DELETED-STORAGE)")
    assert untagged == [b'* STATUS "INBOX" (DELETED 0 DELETED-STORAGE 0)'], untagged
    r.ok("SELECT INBOX")
    r.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
    s = sizes(r, "INBOX")
    expect = sum(s[u] for u in (1, 2, 3)) // 1024
    untagged, _ = r.ok("STATUS INBOX (DELETED DELETED-STORAGE)")
    assert untagged == [b'* STATUS "INBOX" (DELETED 3 DELETED-STORAGE %d)' % expect], untagged


def test_list_status_deleted_storage(cluster, account):
    """LIST-STATUS (RFC 5819) answers DELETED-STORAGE as STATUS does (RFC 5819 allows every
    STATUS item; RFC 9208 5.1 makes it one). Dovecot 2.3 refuses the item in both commands;
    Hadron has it in STATUS, so LIST-STATUS must not drop it silently."""
    requires_hadron(cluster)
    r = account.raw()
    for i in range(3):
        append(r, "INBOX", msg(i, 1500))
        append(r, "Archive", msg(i, 2100))
    r.ok("SELECT INBOX")
    r.ok("STORE 1:2 +FLAGS.SILENT (\\Deleted)")
    r.ok("SELECT Archive")
    r.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
    r.ok("UNSELECT")  # not CLOSE: that would expunge
    untagged, _ = r.ok('LIST "" "*" RETURN (STATUS (DELETED DELETED-STORAGE))')
    listed = {}
    for u in untagged:
        m = re.match(rb'\* STATUS "?([^"]*)"? \((.*)\)$', u)
        if m:
            listed[m.group(1)] = m.group(2)
    assert set(listed) >= {b"INBOX", b"Archive", b"Trash"}, untagged
    for name in (b"INBOX", b"Archive", b"Trash"):
        st, _ = r.ok(b"STATUS " + name + b" (DELETED DELETED-STORAGE)")
        assert st[0].endswith(b"(" + listed[name] + b")"), (st, listed)
    assert listed[b"INBOX"] == b"DELETED 2 DELETED-STORAGE %d" % (
        sum(sizes(r, "INBOX")[u] for u in (1, 2)) // 1024), listed
    assert listed[b"Trash"] == b"DELETED 0 DELETED-STORAGE 0", listed
    # Alone too (no other item to carry the mailbox's info).
    untagged, _ = r.ok('LIST "" "Archive" RETURN (STATUS (DELETED-STORAGE))')
    assert untagged[-1] == b'* STATUS "Archive" (DELETED-STORAGE %d)' % (
        sizes(r, "Archive")[3] // 1024), untagged
