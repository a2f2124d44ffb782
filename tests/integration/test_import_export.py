"""hadronctl import / export (issue 7): a Maildir written by the real Dovecot 2.3 (through IMAP
APPENDs into its Maildir++ store) imports with its flags, keywords, internal dates and folders;
export to Maildir and mbox and import again reproduces every message, flag, keyword and date;
a progress bar appears on a terminal and nowhere else."""

import imaplib
import os
import pty
import re
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from conftest import REPO, binary, requires_hadron

sys.path.insert(0, os.path.join(REPO, "tests", "differential"))

SYSTEM = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"}

# (mailbox, flags, internal date, raw) as APPENDed to Dovecot.
SAMPLES = [
    ("INBOX", ["\\Seen", "$Work"], "01-Feb-2020 10:00:00 +0000",
     b"From: a@example.com\r\nSubject: first\r\n\r\nFrom the start\r\n>From quoted\r\nbody\r\n"),
    ("INBOX", [], "02-Mar-2021 11:30:00 +0000", b"Subject: plain\r\n\r\nno flags\r\n"),
    ("INBOX", ["\\Answered", "\\Flagged", "\\Draft", "Later", "$Work"], "03-Apr-2022 12:00:00 +0000",
     b"Subject: many flags\r\n\r\nx\r\n"),
    ("Sub/Folder", ["\\Deleted", "Later"], "04-May-2019 08:15:00 +0000",
     b"Subject: in a subfolder\r\n\r\nnested\r\n"),
    ("Sub", ["\\Seen"], "05-Jun-2018 23:59:59 +0000", b"Subject: parent\r\n\r\np\r\n"),
]


def account_name():
    return "ie_" + uuid.uuid4().hex[:10]


def snapshot(client, mailbox):
    """[(flags without \\Recent, internal date as epoch, body)] in UID order."""
    typ, data = client.select('"%s"' % mailbox, readonly=True)
    assert typ == "OK", (mailbox, data)
    if data[0] == b"0":
        return []
    typ, data = client.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
    assert typ == "OK", data
    out = []
    for d in data:
        if not isinstance(d, tuple):
            continue
        meta = d[0].decode()
        flags = set(re.search(r"FLAGS \(([^)]*)\)", meta).group(1).split()) - {"\\Recent"}
        date = time.mktime(imaplib.Internaldate2tuple(d[0]))
        out.append((flags, int(date), d[1]))
    return out


def hadron_client(cluster, name, password):
    c = imaplib.IMAP4(cluster.host, cluster.imap_port, timeout=15)
    c.login(name, password)
    return c


def new_account(cluster):
    name = account_name()
    cluster.add_account(name, "pw")
    return name


def fill(cluster, name, samples=SAMPLES):
    c = hadron_client(cluster, name, "pw")
    for box, flags, date, raw in samples:
        if box != "INBOX":
            c.create(box)
        typ, data = c.append(box, "(%s)" % " ".join(flags) if flags else None,
                             '"%s"' % date, raw)
        assert typ == "OK", data
    c.logout()


def mailboxes(samples=SAMPLES):
    return sorted({s[0] for s in samples})


def state(cluster, name, boxes):
    c = hadron_client(cluster, name, "pw")
    try:
        return {b: snapshot(c, b) for b in boxes}
    finally:
        c.logout()


def test_import_dovecot_maildir_keeps_flags_keywords_dates_folders(cluster, tmp_path):
    requires_hadron(cluster)
    from dovecot_fixture import DovecotFixture
    with DovecotFixture() as dc:
        d = dc.connect()
        typ, data = d.list('""', '""')
        sep = re.search(rb'"(.)"', data[0]).group(1).decode()
        for box, flags, date, raw in SAMPLES:
            dbox = box.replace("/", sep)
            d.create(dbox)
            typ, data = d.append(dbox, "(%s)" % " ".join(flags) if flags else None,
                                 '"%s"' % date, raw)
            assert typ == "OK", data
        want = {b: snapshot(d, b.replace("/", sep)) for b in mailboxes()}
        d.logout()
        maildir = os.path.join(dc.dir, "home", "user", "Maildir")
        # The layout is Dovecot's Maildir++: folders as ".Sub.Folder", keywords by letter.
        assert os.path.isdir(os.path.join(maildir, ".Sub.Folder", "cur")), os.listdir(maildir)
        assert os.path.exists(os.path.join(maildir, "dovecot-keywords"))
        name = new_account(cluster)
        out = cluster.ctl("import", "maildir", name, maildir)
    assert b"imported %d message(s), 0 failed" % len(SAMPLES) in out.stdout, out
    assert out.stderr == b"", out.stderr  # no progress bar when stderr is not a terminal
    got = state(cluster, name, mailboxes())
    assert got == want
    # The data itself, not only the agreement with Dovecot.
    inbox = got["INBOX"]
    assert [f for f, _, _ in inbox] == [{"\\Seen", "$Work"}, set(),
                                        {"\\Answered", "\\Flagged", "\\Draft", "Later", "$Work"}]
    assert inbox[0][1] == 1580551200 and inbox[0][2] == SAMPLES[0][3]
    assert got["Sub/Folder"][0][0] == {"\\Deleted", "Later"}


def test_hand_made_maildir_new_and_info_letters(cluster, tmp_path):
    requires_hadron(cluster)
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp", ".A.B/cur", ".A.B/new", ".A.B/tmp"):
        (root / sub).mkdir(parents=True)
    (root / "dovecot-keywords").write_text("0 $Label1\n1 Todo\n")
    (root / ".A.B" / "dovecot-keywords").write_text("0 Other\n")
    files = {
        "cur/1500000000.M1P1.host,S=20:2,DFRSTab": b"Subject: all\n\nx\n",
        "new/1500000100.M2P1.host": b"Subject: new\n\ny\n",
        ".A.B/cur/1500000200.M3P1.host:2,Sa": b"Subject: nested\n\nz\n",
    }
    for i, (rel, content) in enumerate(files.items()):
        p = root / rel
        p.write_bytes(content)
        os.utime(p, (1400000000 + i, 1400000000 + i))
    name = new_account(cluster)
    cluster.ctl("import", "maildir", name, str(root))
    got = state(cluster, name, ["INBOX", "A/B"])
    assert got["INBOX"] == [
        ({"\\Draft", "\\Flagged", "\\Answered", "\\Seen", "\\Deleted", "$Label1", "Todo"},
         1400000000, b"Subject: all\r\n\r\nx\r\n"),
        (set(), 1400000001, b"Subject: new\r\n\r\ny\r\n"),
    ]
    assert got["A/B"] == [({"\\Seen", "Other"}, 1400000002, b"Subject: nested\r\n\r\nz\r\n")]
    # Not a Maildir: a clear error.
    out = cluster.ctl("import", "maildir", name, str(tmp_path / "nope"), check=False)
    assert out.returncode != 0 and b"not a Maildir" in out.stderr


@pytest.mark.parametrize("fmt", ["maildir", "mbox"])
def test_export_then_import_round_trip(cluster, tmp_path, fmt):
    requires_hadron(cluster)
    src = new_account(cluster)
    fill(cluster, src)
    want = state(cluster, src, mailboxes())
    out_dir = tmp_path / "export"
    out = cluster.ctl("export", fmt, src, str(out_dir))
    assert b"exported %d message(s)" % len(SAMPLES) in out.stdout, out
    if fmt == "maildir":
        assert (out_dir / ".Sub.Folder" / "cur").is_dir()
        names = os.listdir(out_dir / "cur")
        assert any(n.endswith(":2,S") or re.search(r":2,S[a-z]+$", n) for n in names), names
        assert (out_dir / "dovecot-keywords").read_text().strip()
    else:
        assert (out_dir / "Sub" / "Folder.mbox").is_file()
        text = (out_dir / "INBOX.mbox").read_bytes()
        assert text.startswith(b"From MAILER-DAEMON ")
        assert b"\n>From the start\n>>From quoted\n" in text  # mboxrd escaping
    dst = new_account(cluster)
    cluster.ctl("import", fmt, dst, str(out_dir))
    assert state(cluster, dst, mailboxes()) == want


def test_mbox_single_mailbox_stdin_round_trip(cluster):
    requires_hadron(cluster)
    src = new_account(cluster)
    fill(cluster, src)
    mbox = cluster.ctl("export", "mbox", src, "-", "--mailbox", "INBOX").stdout
    assert mbox.count(b"\nFrom MAILER-DAEMON ") + mbox.startswith(b"From MAILER-DAEMON ") == 3
    dst = new_account(cluster)
    cluster.ctl("mailbox", "create", dst, "Restored")
    out = cluster.ctl("import", "mbox", dst, "-", "--mailbox", "Restored", input=mbox)
    assert b"imported 3 message(s), 0 failed" in out.stdout
    assert state(cluster, dst, ["Restored"])["Restored"] == state(cluster, src, ["INBOX"])["INBOX"]


def test_import_reports_bad_messages_and_unknown_account(cluster, tmp_path):
    requires_hadron(cluster)
    out = cluster.ctl("import", "mbox", "no_such_" + uuid.uuid4().hex[:6], "-",
                      input=b"From x Mon Jan  1 00:00:00 2024\nSubject: a\n\nb\n", check=False)
    assert out.returncode != 0 and out.stderr.strip()
    name = new_account(cluster)
    cluster.ctl("quota", "set", name, "MESSAGE=1")
    box = b"".join(b"From x Mon Jan  1 00:00:0%d 2024\nSubject: %d\n\nb\n\n" % (i, i) for i in range(3))
    out = cluster.ctl("import", "mbox", name, "-", input=box, check=False)
    assert out.returncode != 0
    assert b"imported 1 message(s), 2 failed" in out.stdout, out
    assert b"over quota" in out.stderr, out.stderr


def test_progress_bar_only_on_a_terminal(cluster, tmp_path):
    requires_hadron(cluster)
    name = new_account(cluster)
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for i in range(5):
        (root / "cur" / ("15000000%02d.M%dP1.host:2,S" % (i, i))).write_bytes(b"Subject: %d\n\nx\n" % i)
    master, slave = pty.openpty()
    p = subprocess.run([binary("hadronctl"), "--statesvc=" + cluster.state_addr, "import", "maildir",
                        name, str(root)], stdout=subprocess.PIPE, stderr=slave, timeout=60)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert p.returncode == 0, err
    assert b"importing [" in err and b"5/5 (100%)" in err, err
    assert b"importing" not in p.stdout
