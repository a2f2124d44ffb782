"""Isolation (issue 6): no path reaches another account's data, and hostile arguments get a clear
answer. Two accounts; the attacker tries names, sets and targets that a careless server would map
onto the victim's mailboxes or onto its own storage paths.
"""

import re

import pytest

import imapwire
from conftest import requires_hadron
from imapwire import status_of

SECRET = b"Subject: secret\r\n\r\nthe victim's secret\r\n"


@pytest.fixture
def two_accounts(cluster):
    requires_hadron(cluster)
    import uuid
    victim = "victim_" + uuid.uuid4().hex[:8]
    attacker = "attacker_" + uuid.uuid4().hex[:8]
    cluster.add_account(victim, "vpw")
    cluster.add_account(attacker, "apw")
    v = cluster.raw(victim, "vpw")
    v.ok("CREATE Private")
    v.cmd_literal("APPEND INBOX", SECRET)
    v.cmd_literal("APPEND Private", SECRET)
    a = cluster.raw(attacker, "apw")
    yield cluster, victim, v, attacker, a
    for c in (v, a):
        try:
            c.close()
        except Exception:
            pass


def all_text(untagged):
    return b"\n".join(untagged)


HOSTILE_NAMES = [
    "../%s/INBOX", "..", "../..", "./INBOX", "INBOX/..", "/%s/INBOX", "~%s/INBOX", "~%s",
    "#user/%s/INBOX", "#shared/%s", "%%", "*", "INBOX/*", "%s/INBOX", "%s", "Private",
    "..%%2f%s", "\\\\..\\\\%s",
]


def names(client):
    untagged, _ = client.ok('LIST "" "*"')
    return sorted(re.findall(rb'"/" "?([^"\r\n]+)"?$', all_text(untagged), re.M))


def test_hostile_mailbox_names_never_reach_the_victim(two_accounts):
    cluster, victim, v, attacker, a = two_accounts
    attacker_before, victim_before = names(a), names(v)
    assert b"Private" in victim_before
    for pattern in HOSTILE_NAMES:
        name = pattern % victim if "%s" in pattern else pattern.replace("%%", "%")
        quoted = '"%s"' % name.replace("\\", "\\\\").replace('"', '\\"')
        for cmd in ["SELECT " + quoted, "EXAMINE " + quoted, "STATUS %s (MESSAGES)" % quoted,
                    "DELETE " + quoted, "RENAME %s Stolen" % quoted,
                    "LIST \"\" " + quoted, "SUBSCRIBE " + quoted]:
            untagged, tagged = a.cmd(cmd)
            assert status_of(tagged) in ("OK", "NO", "BAD"), (cmd, tagged)
            assert b"secret" not in all_text(untagged), (cmd, untagged)
            if cmd.startswith(("SELECT", "EXAMINE")) and status_of(tagged) == "OK":
                # Only ever a mailbox of the attacker's own (created by nothing: empty).
                assert b"* 0 EXISTS" in untagged, (cmd, untagged)
        _, tagged = a.cmd_literal("APPEND " + quoted, b"Subject: planted\r\n\r\nx\r\n")
        assert status_of(tagged) in ("OK", "NO", "BAD"), tagged
    # Wildcards list only the attacker's own mailboxes (nothing above created one).
    assert names(a) == attacker_before
    # The victim's mailboxes and messages are untouched and unplanted.
    untagged, _ = v.ok("SELECT INBOX")
    assert b"* 1 EXISTS" in untagged
    untagged, _ = v.ok("FETCH 1 BODY.PEEK[]")
    assert SECRET in untagged[0]
    untagged, _ = v.ok("STATUS Private (MESSAGES)")
    assert b"MESSAGES 1" in all_text(untagged)
    assert names(v) == victim_before


def test_copy_move_towards_names_of_another_user(two_accounts):
    cluster, victim, v, attacker, a = two_accounts
    a.cmd_literal("APPEND INBOX", b"Subject: mine\r\n\r\nattacker mail\r\n")
    a.ok("SELECT INBOX")
    for target in ["../%s/INBOX" % victim, "~%s/INBOX" % victim, "#user/%s/Private" % victim,
                   "%s/Private" % victim, "/%s" % victim]:
        for cmd in ["COPY 1 \"%s\"" % target, "MOVE 1 \"%s\"" % target]:
            _, tagged = a.cmd(cmd)
            # Either refused, or landed in a mailbox of the attacker's own.
            assert status_of(tagged) in ("NO", "OK", "BAD"), tagged
        a.ok("SELECT INBOX")
    untagged, _ = v.ok("SELECT INBOX")
    assert b"* 1 EXISTS" in untagged
    untagged, _ = v.ok("STATUS Private (MESSAGES)")
    assert b"MESSAGES 1" in all_text(untagged)


def test_absurd_sets_and_names(two_accounts):
    cluster, victim, v, attacker, a = two_accounts
    a.cmd_literal("APPEND INBOX", b"Subject: one\r\n\r\nx\r\n")
    a.ok("SELECT INBOX")
    for cmd in ["FETCH 4294967295 FLAGS", "FETCH 4294967296 FLAGS", "FETCH 0 FLAGS",
                "FETCH 2:4294967295 FLAGS", "STORE 99 +FLAGS (\\Seen)", "COPY 7 INBOX",
                "FETCH 1:* FLAGS", "UID FETCH 4294967295 FLAGS", "UID FETCH 0:* FLAGS",
                "UID STORE 1:4294967295 +FLAGS.SILENT (\\Flagged)", "UID EXPUNGE 4294967295"]:
        untagged, tagged = a.cmd(cmd)
        assert status_of(tagged) in ("OK", "NO", "BAD"), (cmd, tagged)
    # A set of 100,000 ranges, and one far beyond: an answer, not a hang or a crash.
    big = ",".join("%d" % (2 * i + 1) for i in range(100000))
    _, tagged = a.cmd("UID FETCH %s FLAGS" % big, timeout=60)
    assert status_of(tagged) in ("OK", "BAD"), tagged[:200]
    bigger = ",".join("%d" % (2 * i + 1) for i in range(300000))
    _, tagged = a.cmd("UID FETCH %s FLAGS" % bigger, timeout=60)
    assert status_of(tagged) == "BAD", tagged[:200]
    # Mailbox names: 10,000 bytes, NUL, control characters.
    for name in ["x" * 10000, "a\x01b", "tab\tname"]:
        _, tagged = a.cmd('CREATE "%s"' % name)
        assert status_of(tagged) in ("NO", "BAD"), (name[:20], tagged[:200])
    _, tagged = a.cmd_literal("CREATE", b"nul\x00name")
    assert status_of(tagged) in ("NO", "BAD"), tagged
    a.ok("NOOP")  # still connected and serving


def test_sessions_after_password_change_and_account_deletion(two_accounts):
    cluster, victim, v, attacker, a = two_accounts
    v.ok("SELECT INBOX")
    cluster.ctl("account", "passwd", victim, "--password", "newpw")
    # Old password no longer logs in; the new one does.
    r = imapwire.Raw(cluster.host, cluster.imap_port)
    _, tagged = r.cmd('LOGIN "%s" "vpw"' % victim)
    assert status_of(tagged) == "NO"
    r.close()
    cluster.raw(victim, "newpw").close()
    # An existing session goes on, as in Dovecot (a password change does not end sessions).
    v.ok("NOOP")
    # Account deleted: the open session can no longer read or write anything.
    cluster.ctl("account", "del", victim)
    seen = b""
    for cmd in ["FETCH 1 BODY.PEEK[]", "SELECT INBOX", "STATUS Private (MESSAGES)",
                'LIST "" "*"']:
        try:
            untagged, tagged = v.cmd(cmd)
        except Exception:
            break  # the server ended the session: fine
        seen += all_text(untagged)
        assert status_of(tagged) in ("NO", "BAD") or cmd.startswith("LIST"), (cmd, tagged)
    assert b"secret" not in seen
    # And a new login is refused.
    r = imapwire.Raw(cluster.host, cluster.imap_port)
    _, tagged = r.cmd('LOGIN "%s" "newpw"' % victim)
    assert status_of(tagged) == "NO"
    r.close()
