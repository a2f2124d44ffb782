"""Adding a shard (issue 7): accounts with mail on one shard; a second shard joins;
`hadronctl shard rebalance` moves exactly the accounts the ring now places on it, and IMAP clients
see the same mailboxes, UIDVALIDITYs, UIDs, flags, MODSEQs, HIGHESTMODSEQs, dates, SAVEDATEs,
EMAILIDs, THREADIDs, MAILBOXIDs, subscriptions, special use, quota and contents through the
cluster; a QRESYNC client that last synchronized before the move is told what changed since; a
client writing during the move gets OK (the write is kept) or NO [UNAVAILABLE] (nothing written,
it succeeds after the move); the old shard no longer serves a moved account.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

import imapwire
from conftest import (REFERENCE, Proc, ShardCluster, binary, free_port, port_open,
                      sanitizer_failure)

ACCOUNTS = 12


def msg(i, name):
    return ("From: sender%d@example.com\r\nTo: %s@example.com\r\nSubject: message %d of %s\r\n"
            "Message-ID: <%s@example.com>\r\n\r\nbody %d %s\r\n" %
            (i, name, i, name, uuid.uuid4().hex, i, "x" * (i * 37))).encode()


def populate(c, name, password, i):
    """A little of everything: flags, keywords, dates, UID gaps, a subscribed folder, a quota."""
    r = imapwire.Raw(c.host, c.imap_port)
    r.login(name, password)
    r.ok("CREATE Projects/2026")
    r.ok("SUBSCRIBE Projects/2026")
    r.ok("UNSUBSCRIBE Junk")
    for k in range(5 + i % 3):
        r.cmd_literal('APPEND INBOX (\\Seen $Label%d) "0%d-Mar-2024 10:1%d:00 +0200"' % (k % 2, k + 1, k),
                      msg(k, name))
    r.cmd_literal("APPEND Projects/2026 (\\Flagged \\Answered)", msg(99, name))
    r.ok("SELECT INBOX")
    # A reply to the first message: same THREADID, which must survive the move.
    first = r.ok("UID FETCH 1 BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]")[0][0]
    parent = re.search(rb"<[^>]+>", first).group(0)
    reply = (b"From: x@example.com\r\nSubject: Re: message 0\r\nMessage-ID: <r%s@example.com>\r\n"
             b"In-Reply-To: %s\r\n\r\nreply\r\n" % (uuid.uuid4().hex.encode(), parent))
    r.cmd_literal("APPEND INBOX ($Reply)", reply)
    r.ok("STORE 2 +FLAGS (\\Deleted)")
    r.ok("EXPUNGE")  # a UID gap
    r.ok("STORE 1 +FLAGS (\\Flagged $Important)")
    r.ok("STORE 3 -FLAGS (\\Seen)")
    r.ok("LOGOUT")
    r.close()
    c.ctl("quota", "set", name, "STORAGE=%d" % (1000 + i), "MESSAGE=100")


def snapshot(c, name, password):
    """What a client sees: per mailbox UIDVALIDITY, UIDNEXT, (uid, flags, internaldate, sha) list;
    the subscriptions; the quota."""
    r = imapwire.Raw(c.host, c.imap_port)
    r.login(name, password)
    r.ok("ENABLE CONDSTORE")
    out = {}
    untagged, _ = r.ok('LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED)')
    out["list"] = sorted(untagged)  # attributes: special use, \Subscribed, children
    names = sorted(re.search(rb'"/" "?([^"]*)"?$', u).group(1).decode() for u in untagged)
    for mb in names:
        untagged, _ = r.ok('EXAMINE "%s"' % mb)
        # UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, MAILBOXID, PERMANENTFLAGS (the keywords)
        codes = tuple(tuple(imapwire.untagged_code(untagged, item)) for item in
                      ("UIDVALIDITY", "UIDNEXT", "HIGHESTMODSEQ", "MAILBOXID", "PERMANENTFLAGS"))
        assert all(codes[:4]), (mb, untagged)
        rows = []
        if not any(re.match(rb"\* 0 EXISTS", u) for u in untagged):
            fu, _ = r.ok("UID FETCH 1:* (FLAGS INTERNALDATE MODSEQ SAVEDATE EMAILID THREADID "
                         "RFC822.SIZE BODY.PEEK[])")
            for _, d in imapwire.fetches(fu):
                # \Recent belongs to sessions and is not carried over (docs/operations.md).
                flags = sorted(f for f in imapwire.flagset(d[b"FLAGS"]) if f != "\\Recent")
                rows.append((int(d[b"UID"]), tuple(flags),
                             d[b"INTERNALDATE"], repr(d[b"MODSEQ"]), d[b"SAVEDATE"],
                             repr(d[b"EMAILID"]), repr(d[b"THREADID"]), d[b"RFC822.SIZE"],
                             hashlib.sha256(d[b"BODY[]"]).hexdigest()))
        out[mb] = (codes, sorted(rows))
    untagged, _ = r.ok('LSUB "" "*"')
    out["subscribed"] = sorted(untagged)
    untagged, _ = r.ok('GETQUOTAROOT INBOX')
    out["quota"] = sorted(u for u in untagged if u.startswith(b"* QUOTA "))
    r.ok("LOGOUT")
    r.close()
    return out


BIG_MESSAGES = 1500  # the account written to during its move (about 4.5 MB)


def uid_set(text):
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def write_message(token):
    return ("From: w@example.com\r\nSubject: written during the move\r\nMessage-ID: %s\r\n\r\n"
            "body\r\n" % token).encode()


def qresync_prepare(c, name, password):
    """A QRESYNC client synchronizes (RFC 7162 3.2.5) and logs out; the mailbox then changes
    (a flag, an expunge) before the move. Returns what the client remembers."""
    r = imapwire.Raw(c.host, c.imap_port)
    r.login(name, password)
    r.ok("ENABLE QRESYNC")
    untagged, _ = r.ok("SELECT INBOX")
    validity = int(imapwire.untagged_code(untagged, "UIDVALIDITY")[0].split()[1])
    known = int(imapwire.untagged_code(untagged, "HIGHESTMODSEQ")[0].split()[1])
    r.ok("UID STORE 4 +FLAGS ($AfterSync)")
    r.ok("UID STORE 5 +FLAGS (\\Deleted)")
    r.ok("UID EXPUNGE 5")
    r.ok("LOGOUT")
    r.close()
    return validity, known


def qresync_check(c, name, password, remembered, highest_before):
    """After the move the client resynchronizes from what it remembered: same UIDVALIDITY, it is
    told of the expunge (VANISHED (EARLIER)) and of the flag change (MODSEQ above what it knew),
    and HIGHESTMODSEQ did not go back."""
    validity, known = remembered
    r = imapwire.Raw(c.host, c.imap_port)
    r.login(name, password)
    r.ok("ENABLE QRESYNC")
    untagged, _ = r.ok("SELECT INBOX (QRESYNC (%d %d))" % (validity, known))
    assert int(imapwire.untagged_code(untagged, "UIDVALIDITY")[0].split()[1]) == validity
    highest = int(imapwire.untagged_code(untagged, "HIGHESTMODSEQ")[0].split()[1])
    assert highest >= highest_before > known, (highest, highest_before, known)
    vanished = set()
    for u in untagged:
        m = re.match(rb"\* VANISHED \(EARLIER\) ([0-9:,]+)", u)
        if m:
            vanished |= uid_set(m.group(1).decode())
    assert 5 in vanished, untagged
    changed = {int(d[b"UID"]): d for _, d in imapwire.fetches(untagged)}
    assert 4 in changed, untagged
    assert "$AfterSync" in imapwire.flagset(changed[4][b"FLAGS"])
    assert int(changed[4][b"MODSEQ"][0]) > known
    r.ok("LOGOUT")
    r.close()


def test_add_a_shard_and_rebalance(tmp_path):
    if REFERENCE == "dovecot":
        pytest.skip("Hadron-only")
    workdir = tempfile.mkdtemp(prefix="hadron-it-rebalance-")
    c = ShardCluster(workdir, shards=1, frontends=2)
    extra = None
    fe_new = None
    try:
        c.start()
        old_list = c.state_addr
        accounts = []
        for i in range(ACCOUNTS):
            name, password = "rb%d_%s" % (i, uuid.uuid4().hex[:6]), "pw%d" % i
            c.add_account(name, password)
            populate(c, name, password, i)
            accounts.append((name, password))
        remembered = {name: qresync_prepare(c, name, pw) for name, pw in accounts}
        before = {name: snapshot(c, name, pw) for name, pw in accounts}

        # A second shard joins, at the end of the list.
        new_addr = "127.0.0.1:%d" % free_port()
        data1 = os.path.join(workdir, "data", "shard1")
        os.makedirs(data1, exist_ok=True)
        extra = Proc("statesvc-new", [binary("statesvc"), "--listen=" + new_addr,
                                      "--data_dir=" + data1, "--shard_index=1", "--shards=2"],
                     workdir)
        for _ in range(300):
            if port_open(int(new_addr.rsplit(":", 1)[1])):
                break
            assert extra.alive(), extra.log_tail()
            time.sleep(0.1)
        new_list = old_list + "," + new_addr

        def ctl(*args):
            return subprocess.run([binary("hadronctl"), "--statesvc=" + new_list] + list(args),
                                  capture_output=True, text=True, timeout=300)

        def owner(*names):
            out = ctl("shard", "owner", *names)
            assert out.returncode == 0, out.stderr
            return {line.split("\t")[0]: int(line.split("\t")[1])
                    for line in out.stdout.splitlines()}

        owners = owner(*[name for name, _ in accounts])
        moving = sorted(n for n, o in owners.items() if o == 1)
        assert 0 < len(moving) < ACCOUNTS, owners  # 12 accounts: both cases are all but certain

        # A bigger account that moves, imported on the old shard (one mbox), and a client that
        # keeps writing to it through a frontend with the old list while the rebalance runs.
        candidates = ["big%d_%s" % (k, uuid.uuid4().hex[:6]) for k in range(40)]
        big = next(n for n, o in owner(*candidates).items() if o == 1)
        big_pw = "bigpw"
        c.add_account(big, big_pw)
        mbox = os.path.join(workdir, "big.mbox")
        with open(mbox, "w") as f:
            for k in range(BIG_MESSAGES):
                f.write("From sender@example.com Sat Mar  2 10:00:00 2024\n"
                        "From: sender@example.com\nSubject: big %d\nMessage-ID: <big%d@example.com>\n"
                        "\n%s\n\n" % (k, k, ("line %d of a longer body\n" % k) * 100))
        c.ctl("import", "mbox", big, mbox, timeout=300)
        big_uids = BIG_MESSAGES
        writer = imapwire.Raw(c.host, c.imap_port, timeout=30)
        writer.login(big, big_pw)
        writer.ok("SELECT INBOX")
        results = []  # (kind, token, tagged response or exception text)
        stop = threading.Event()

        def write_loop():
            i = 0
            try:
                while not stop.is_set():
                    i += 1
                    if i % 3:
                        token = "$w%d" % i
                        _, tagged = writer.cmd("UID STORE 1 +FLAGS (%s)" % token)
                        results.append(("store", token, tagged))
                    else:
                        token = "<w%d.%s@example.com>" % (i, uuid.uuid4().hex[:8])
                        _, tagged = writer.cmd_literal("APPEND INBOX ()", write_message(token))
                        results.append(("append", token, tagged))
                    time.sleep(0.005)
            except Exception as e:  # the session was closed: after the account left this shard
                results.append(("closed", repr(e), b""))

        dry = ctl("shard", "rebalance", "--from=" + old_list, "--to=" + new_list, "--dry_run")
        assert dry.returncode == 0, dry.stderr
        listed = sorted(line.split("\t")[0] for line in dry.stdout.splitlines() if "\t" in line)
        assert listed == sorted(moving + [big]), dry.stdout
        assert "%d of %d accounts would move" % (len(moving) + 1, ACCOUNTS + 1) in dry.stdout
        # A dry run moves nothing.
        for name in moving:
            r = subprocess.run([binary("hadronctl"), "--statesvc=" + old_list, "mailbox", "list",
                                name], capture_output=True, timeout=30)
            assert r.returncode == 0

        thread = threading.Thread(target=write_loop)
        thread.start()
        try:
            time.sleep(0.3)  # a few writes before the move
            run = ctl("shard", "rebalance", "--from=" + old_list, "--to=" + new_list)
            time.sleep(0.5)  # and after it
        finally:
            stop.set()
            thread.join(60)
            writer.close()
        assert run.returncode == 0, run.stdout + run.stderr
        assert "moved %d accounts" % (len(moving) + 1) in run.stdout, run.stdout
        assert "0 failed" in run.stdout
        print(run.stdout.splitlines()[-1])

        # Each write got OK or a clear NO; the NOs say UNAVAILABLE (locked for the move, or the
        # account has left this shard).
        done = [(k, t, r) for k, t, r in results if k != "closed"]
        ok = [(k, t) for k, t, r in done if imapwire.status_of(r) == "OK"]
        refused = [(k, t, r) for k, t, r in done if imapwire.status_of(r) != "OK"]
        print("writes during the move: %d OK, %d refused, %s" %
              (len(ok), len(refused), "closed" if len(done) < len(results) else "open"))
        assert len(ok) >= 3, results
        for k, t, r in refused:
            assert imapwire.status_of(r) == "NO" and b"[UNAVAILABLE]" in r, r
        assert refused, "no write fell inside the move: %r" % results

        # Each account is on exactly its new owner.
        for name in [n for n, _ in accounts] + [big]:
            on_old = subprocess.run([binary("hadronctl"), "--statesvc=" + old_list, "mailbox",
                                     "list", name], capture_output=True, timeout=30)
            on_new = subprocess.run([binary("hadronctl"), "--statesvc=" + new_addr, "mailbox",
                                     "list", name], capture_output=True, timeout=30)
            moved = name in moving or name == big
            assert (on_old.returncode == 0) == (not moved), name
            assert (on_new.returncode == 0) == moved, name

        # Frontends still on the old list: a moved account's login is refused as unavailable
        # (retry later), not as a wrong password.
        r = imapwire.Raw(c.host, c.imap_port)
        _, tagged = r.cmd('LOGIN "%s" "%s"' % (moving[0], dict(accounts)[moving[0]]))
        assert tagged.split()[1] == b"NO" and b"UNAVAILABLE" in tagged, tagged
        r.close()

        # A frontend started with the new list serves the moved account at once: every write
        # answered OK is there, none answered NO is, and the refused writes now succeed.
        fe_port = free_port()
        fe_new = Proc("frontend-new", [binary("frontend"), "--listen=127.0.0.1:%d" % fe_port,
                                       "--statesvc=" + new_list], workdir)
        for _ in range(300):
            if port_open(fe_port):
                break
            assert fe_new.alive(), fe_new.log_tail()
            time.sleep(0.1)
        r = imapwire.Raw(c.host, fe_port, timeout=30)
        r.login(big, big_pw)
        untagged, _ = r.ok("SELECT INBOX")
        appended = [t for k, t in ok if k == "append"]
        exists = [int(u.split()[1]) for u in untagged if re.match(rb"\* \d+ EXISTS", u)]
        assert exists == [big_uids + len(appended)], untagged
        fu, _ = r.ok("UID FETCH 1 (FLAGS)")
        flags = imapwire.flagset(imapwire.fetches(fu)[0][1][b"FLAGS"])
        for k, t in ok:
            if k == "store":
                assert t in flags, (t, flags)
            else:
                su, _ = r.ok("UID SEARCH HEADER Message-ID %s" % t)
                assert len(imapwire.search_result(su)) == 1, t
        for k, t, _ in refused:
            if k == "store":
                assert t not in flags, t
                r.ok("UID STORE 1 +FLAGS (%s)" % t)
            else:
                su, _ = r.ok("UID SEARCH HEADER Message-ID %s" % t)
                assert imapwire.search_result(su) == [], t
                _, tagged = r.cmd_literal("APPEND INBOX ()", write_message(t))
                assert imapwire.status_of(tagged) == "OK", tagged
        r.ok("LOGOUT")
        r.close()
        fe_new.stop()
        fe_new = None

        # Roll the cluster onto the new list (the new shard's data folder is cluster.sh's).
        extra.stop()
        c.stop()
        c.shard_addrs.append(new_addr)
        c.names.append("statesvc1")
        c.start()
        after = {name: snapshot(c, name, pw) for name, pw in accounts}
        for name, _ in accounts:
            assert after[name] == before[name], name
        for name, pw in accounts:
            highest = int(before[name]["INBOX"][0][2][0].split()[1])
            qresync_check(c, name, pw, remembered[name], highest)
        # The moved accounts take writes on their new shard; UIDs and MAILBOXIDs go on.
        for name in moving:
            pw = dict(accounts)[name]
            r = imapwire.Raw(c.host, c.imap_port)
            r.login(name, pw)
            untagged, _ = r.ok("SELECT INBOX")
            uidnext = int(imapwire.untagged_code(untagged, "UIDNEXT")[0].split()[1])
            _, tagged = r.cmd_literal("APPEND INBOX ()", msg(7, name))
            assert b"APPENDUID" in tagged and (b" %d]" % uidnext) in tagged, tagged
            _, tagged = r.ok("CREATE Later")
            for mb, value in before[name].items():
                if isinstance(value, tuple):  # a mailbox: its MAILBOXID is not reused
                    assert value[0][3][0].encode() not in tagged, (mb, tagged)
            r.close()
    finally:
        for p in (fe_new, extra):
            if p is not None:
                p.stop()
        try:
            c.stop()
        finally:
            san = sanitizer_failure(c.procs() + ([extra] if extra else []))
            if not san:
                shutil.rmtree(workdir, ignore_errors=True)
    assert not san, san
