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


# ---- APPEND/COPY/MOVE towards another user's names; bad mUTF-7; NUL (issue 6 audit gaps) -----

LOOKALIKES = ["user/%s/INBOX", "~%s/INBOX", "#users/%s", "../%s", "%s/INBOX"]
PLANT = b"Subject: planted\r\n\r\nplanted by the attacker\r\n"


def counts(client):
    """{mailbox name: MESSAGES} of every mailbox the client's account has."""
    out = {}
    for name in names(client):
        untagged, _ = client.ok('STATUS "%s" (MESSAGES)' % name.decode())
        m = re.search(rb"MESSAGES (\d+)", all_text(untagged))
        out[name] = int(m.group(1))
    return out


def victim_untouched(v, before):
    """The victim's own session sees the same mailboxes and counts, and no planted mail."""
    assert counts(v) == before
    for name in before:
        v.ok('EXAMINE "%s"' % name.decode())
        untagged, _ = v.ok("SEARCH BODY planted")
        assert imapwire.search_result(untagged) == [], name
    v.ok("UNSELECT")


def test_append_copy_move_to_lookalike_names_never_reach_the_other_account(two_accounts):
    cluster, victim, v, attacker, a = two_accounts
    before = counts(v)
    a.cmd_literal("APPEND INBOX", b"Subject: mine\r\n\r\nattacker mail\r\n")
    targets = [t % victim for t in LOOKALIKES]
    # 1. The names do not exist in the attacker's account: every write is refused with a
    #    clear NO, and a refused MOVE keeps the message where it was.
    a.ok("SELECT INBOX")
    for target in targets:
        _, tagged = a.cmd_literal('APPEND "%s"' % target, PLANT)
        assert status_of(tagged) == "NO" and b"[TRYCREATE]" in tagged, (target, tagged)
        for verb in ("COPY", "MOVE", "UID MOVE"):
            _, tagged = a.cmd('%s 1 "%s"' % (verb, target))
            assert status_of(tagged) == "NO" and b"[TRYCREATE]" in tagged, (verb, target, tagged)
    untagged, _ = a.ok("SEARCH ALL")
    assert imapwire.search_result(untagged) == [1]
    assert counts(v) == before
    # 2. The attacker creates them: they are mailboxes of the attacker's own, and the mail lands
    #    there (APPEND, COPY, then MOVE of the copy), never at the victim.
    for target in targets:
        a.ok('CREATE "%s"' % target)
        a.cmd_literal('APPEND "%s"' % target, PLANT)
        a.ok('COPY 1 "%s"' % target)
        a.ok('SELECT "%s"' % target)
        a.ok('MOVE 2 INBOX')
        a.ok("SELECT INBOX")
        a.ok('MOVE 2 "%s"' % target)
    mine = counts(a)
    for target in targets:
        assert mine[target.encode()] == 2, (target, mine)
    victim_untouched(v, before)


BAD_MUTF7 = ["&", "&AGE", "&Jjo!", "&ZeVnLIqe", "&AGE-", "&2D0-", "a&b"]
# Well-formed: "&-" is "&", "&Jjo-" is U+263A, "&ZeVnLIqe-" is 日本語 (RFC 3501 5.1.3).
GOOD_MUTF7 = ["&-x", "&Jjo-", "&ZeVnLIqe-"]


def test_bad_modified_utf7_names(two_accounts):
    cluster, victim, v, attacker, a = two_accounts
    a.ok("CREATE Mine")
    a.cmd_literal("APPEND INBOX", PLANT)
    before = names(a)
    for name in BAD_MUTF7:
        for cmd in ['CREATE "%s"' % name, 'SELECT "%s"' % name, 'EXAMINE "%s"' % name,
                    'RENAME Mine "%s"' % name, 'RENAME "%s" Other' % name,
                    'STATUS "%s" (MESSAGES)' % name, 'DELETE "%s"' % name,
                    'SUBSCRIBE "%s"' % name]:
            _, tagged = a.cmd(cmd)
            assert status_of(tagged) in ("NO", "BAD"), (cmd, tagged)
        _, tagged = a.cmd_literal('APPEND "%s"' % name, PLANT)
        assert status_of(tagged) in ("NO", "BAD"), (name, tagged)
        # A LIST pattern matches no name of this shape: OK and nothing listed, as Dovecot.
        untagged, tagged = a.cmd('LIST "" "%s"' % name)
        assert status_of(tagged) == "OK" and untagged == [], (name, untagged, tagged)
        a.ok("SELECT INBOX")
        _, tagged = a.cmd('COPY 1 "%s"' % name)
        assert status_of(tagged) in ("NO", "BAD"), (name, tagged)
        a.ok("UNSELECT")
    assert names(a) == before
    # The check is not a blanket refusal of '&': well-formed names work and list as sent.
    for name in GOOD_MUTF7:
        a.ok('CREATE "%s"' % name)
        a.cmd_literal('APPEND "%s"' % name, PLANT)
        untagged, _ = a.ok('LIST "" "%s"' % name)
        assert len(untagged) == 1 and untagged[0].endswith(b' "%s"' % name.encode()), untagged
    assert sorted(before + [n.encode() for n in GOOD_MUTF7]) == names(a)


def test_nul_in_literal_mailbox_names(two_accounts):
    """A NUL inside a literal mailbox name: a clear NO/BAD from every command that takes a name,
    never a truncation to the name before the NUL (an existing mailbox) and never a crash."""
    cluster, victim, v, attacker, a = two_accounts
    a.ok("CREATE Mine")
    a.cmd_literal("APPEND Mine", PLANT)
    a.cmd_literal("APPEND INBOX", PLANT)
    before = counts(a)

    def send(prefix, name, suffix=b""):
        """`TAG prefix {n+}CRLF name suffix` in one go (LITERAL+); returns the tagged line."""
        tag = a.next_tag()
        a.send(b"%s %s {%d+}\r\n%s%s\r\n" % (tag.encode(), prefix, len(name), name, suffix))
        return a.collect(tag)[1]

    for name in (b"Mine\x00", b"Mine\x00x", b"\x00", b"INBOX\x00/../Mine"):
        cases = [(b"SELECT", b""), (b"EXAMINE", b""), (b"STATUS", b" (MESSAGES)"),
                 (b"DELETE", b""), (b"SUBSCRIBE", b""), (b"UNSUBSCRIBE", b""),
                 (b"RENAME", b" Renamed"), (b"RENAME Mine", b""), (b"CREATE", b""),
                 (b"APPEND", b" {%d+}\r\n%s" % (len(PLANT), PLANT))]
        for prefix, suffix in cases:
            tagged = send(prefix, name, suffix)
            assert status_of(tagged) in ("NO", "BAD"), (prefix, name, tagged)
        a.ok("SELECT INBOX")
        for verb in (b"COPY 1", b"MOVE 1"):
            tagged = send(verb, name)
            assert status_of(tagged) in ("NO", "BAD"), (verb, name, tagged)
        a.ok("UNSELECT")
    assert counts(a) == before  # nothing renamed, deleted, created or moved
    untagged, _ = a.ok("LSUB \"\" \"*\"")
    assert not any(b"Mine" in u or b"\x00" in u for u in untagged), untagged
