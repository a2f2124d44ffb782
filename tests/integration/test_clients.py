"""Real clients: curl imap:// and imaps://, and an mbsync round trip of 300 messages."""

import os
import re
import shutil
import subprocess
import textwrap

import pytest

from imapwire import status_of


def curl(*args, timeout=30):
    out = subprocess.run(["curl", "-sS", "--max-time", "20"] + list(args), capture_output=True,
                         timeout=timeout)
    assert out.returncode == 0, "curl %s failed (%d): %s" % (args, out.returncode, out.stderr)
    return out.stdout


def url(cluster, path="", scheme="imap", port=None):
    return "%s://127.0.0.1:%d/%s" % (scheme, port or cluster.imap_port, path)


MSG = (b"From: curl@example.com\r\nTo: demo@example.com\r\nSubject: via curl\r\n\r\n"
       b"Fetched by curl.\r\n")


def test_curl_lists_mailboxes(cluster, account):
    out = curl("--user", "%s:%s" % (account.name, account.password), url(cluster))
    names = set()
    for line in out.splitlines():
        m = re.match(rb'\* LIST \([^)]*\) "/" "?([^"]*)"?$', line)
        assert m, "unexpected line %r in %r" % (line, out)
        names.add(m.group(1).decode())
    assert {"INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive"} <= names, out


def test_curl_fetch_by_uid_and_search(cluster, account):
    raw = account.raw()
    raw.cmd_literal("APPEND INBOX", b"Subject: first\r\n\r\nfirst\r\n")
    _, tagged = raw.cmd_literal("APPEND INBOX", MSG)
    uid = int(re.search(rb"APPENDUID \d+ (\d+)", tagged).group(1))
    user = "%s:%s" % (account.name, account.password)
    assert curl("--user", user, url(cluster, "INBOX;UID=%d" % uid)) == MSG
    out = curl("--user", user, url(cluster, "INBOX?SUBJECT%20curl"))
    assert out.strip() == b"* SEARCH 2", out
    # wrong password: curl reports a login failure (exit 67)
    bad = subprocess.run(["curl", "-sS", "--max-time", "20", "--user", account.name + ":nope",
                          url(cluster)], capture_output=True, timeout=30)
    assert bad.returncode == 67, (bad.returncode, bad.stderr)


def test_curl_upload_appends(cluster, account, tmp_path):
    path = tmp_path / "m.eml"
    path.write_bytes(MSG)
    curl("--user", "%s:%s" % (account.name, account.password), "-T", str(path),
         url(cluster, "Drafts"))
    raw = account.raw()
    untagged, _ = raw.ok("STATUS Drafts (MESSAGES)")
    assert b"MESSAGES 1" in untagged[0], untagged


def test_curl_imaps(cluster, account):
    if not cluster.imaps_port:
        pytest.skip("no TLS listener")
    out = curl("-k", "--user", "%s:%s" % (account.name, account.password),
               url(cluster, scheme="imaps", port=cluster.imaps_port))
    assert b"INBOX" in out, out
    out = curl("-k", "--ssl-reqd", "--user", "%s:%s" % (account.name, account.password),
               url(cluster))
    assert b"INBOX" in out, "STARTTLS via curl: %r" % out


def mbsync_rc(cluster, account, maildir):
    return textwrap.dedent("""\
        IMAPAccount hadron
        Host 127.0.0.1
        Port {port}
        User {user}
        Pass {password}
        SSLType None
        AuthMechs LOGIN
        Timeout 30

        IMAPStore remote
        Account hadron

        MaildirStore local
        Path {maildir}/
        Inbox {maildir}/INBOX
        SubFolders Verbatim

        Channel inbox
        Far :remote:INBOX
        Near :local:INBOX
        Create Near
        Sync All
        Expunge None
        SyncState *
        """).format(port=cluster.imap_port, user=account.name, password=account.password,
                    maildir=maildir)


def maildir_files(path):
    out = {}
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if os.path.isdir(d):
            for f in os.listdir(d):
                out[f] = os.path.join(d, f)
    return out


def run_mbsync(rc):
    out = subprocess.run(["mbsync", "-c", rc, "-V", "inbox"], capture_output=True, timeout=180)
    assert out.returncode == 0, "mbsync failed (%d):\n%s\n%s" % (
        out.returncode, out.stdout.decode(errors="replace")[-3000:],
        out.stderr.decode(errors="replace")[-3000:])
    return out.stdout.decode(errors="replace") + out.stderr.decode(errors="replace")


@pytest.mark.skipif(shutil.which("mbsync") is None, reason="mbsync (isync) not installed")
def test_mbsync_300_messages(cluster, account, tmp_path):
    raw = account.raw()
    for i in range(300):
        m = (b"From: bulk@example.com\r\nTo: %s@example.com\r\nSubject: bulk %03d\r\n"
             b"Message-ID: <bulk%03d@example.com>\r\n\r\nmessage number %03d\r\n" %
             (account.name.encode(), i, i, i))
        _, tagged = raw.cmd_literal("APPEND INBOX", m)
        assert status_of(tagged) == "OK", tagged
    maildir = tmp_path / "mail"
    maildir.mkdir()
    rc = tmp_path / "mbsyncrc"
    rc.write_text(mbsync_rc(cluster, account, str(maildir)))
    run_mbsync(str(rc))
    files = maildir_files(str(maildir / "INBOX"))
    assert len(files) == 300, "mbsync delivered %d of 300 messages" % len(files)
    # mbsync stores LF line ends and may add an X-TUID header; compare what identifies a message.
    got = set()
    for path in files.values():
        with open(path, "rb") as f:
            data = f.read()
        m = re.search(rb"\nmessage number (\d{3})\r?\n$", data)
        assert m and b"Subject: bulk %s" % m.group(1) in data, data
        got.add(int(m.group(1)))
    assert got == set(range(300)), "missing messages: %s" % sorted(set(range(300)) - got)

    # A second sync changes nothing on either side.
    run_mbsync(str(rc))
    assert maildir_files(str(maildir / "INBOX")).keys() == files.keys()
    untagged, _ = raw.ok("STATUS INBOX (MESSAGES UNSEEN)")
    assert b"MESSAGES 300" in untagged[0] and b"UNSEEN 300" in untagged[0], untagged

    # Mark one message seen locally (maildir flag S) and sync: the server gets \Seen.
    name, path = sorted(files.items())[0]
    base = name.split(":2,")[0]
    os.rename(path, str(maildir / "INBOX" / "cur" / (base + ":2,S")))
    run_mbsync(str(rc))
    untagged, _ = raw.ok("STATUS INBOX (MESSAGES UNSEEN)")
    assert b"MESSAGES 300" in untagged[0] and b"UNSEEN 299" in untagged[0], untagged
