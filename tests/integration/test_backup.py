"""Backups (issue 7): `hadronctl backup` writes a RocksDB checkpoint of a live statesvc, and the
documented restore (stop, replace the data directory with the checkpoint, start) brings back exactly
what was committed before the checkpoint, in a store that opens cleanly.

docs/operations.md, "Back up and restore", describes the same procedure.
"""

import os
import shutil
import subprocess
import tempfile
import threading
import uuid

import pytest

from conftest import Cluster, Proc, binary


class BackupCluster(Cluster):
    """A cluster whose statesvc writes checkpoints into <workdir>/backups."""

    def __init__(self, workdir):
        super().__init__(workdir, tls=False)
        self.backup_dir = os.path.join(workdir, "backups")

    def start_statesvc(self):
        self.statesvc = Proc("statesvc", [binary("statesvc"), "--listen=" + self.state_addr,
                                          "--data_dir=" + self.data_dir,
                                          "--backup_dir=" + self.backup_dir], self.workdir)
        self._wait(self.statesvc, self.state_port)


@pytest.fixture
def bcluster():
    workdir = tempfile.mkdtemp(prefix="hadron-it-backup-")
    c = BackupCluster(workdir).start()
    yield c
    c.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def message(tag):
    return ("From: backup@example.com\r\nTo: u@example.com\r\nSubject: %s\r\n"
            "Message-ID: <%s@example.com>\r\n\r\nbody of %s\r\n" % (tag, tag, tag)).encode()


def inbox(c, user):
    """{subject: (flags bytes, raw bytes)} of INBOX, and its EXISTS and UIDNEXT."""
    conn = c.imap(user, "pw")
    typ, data = conn.select("INBOX")
    assert typ == "OK", data
    exists = int(data[0])
    typ, data = conn.status("INBOX", "(UIDNEXT)")
    assert typ == "OK"
    out = {}
    if exists:
        typ, data = conn.fetch("1:*", "(FLAGS BODY.PEEK[])")
        assert typ == "OK", data
        for item in data:
            if isinstance(item, tuple):
                raw = item[1]
                subject = [l for l in raw.split(b"\r\n") if l.startswith(b"Subject: ")][0][9:]
                out[subject.decode()] = (item[0], raw)
    conn.logout()
    return out, exists


def backup(c, *args):
    return subprocess.run([binary("hadronctl"), "--statesvc=" + c.state_addr, "backup"] + list(args),
                          capture_output=True, text=True, timeout=120)


def restore(c, checkpoint):
    """The documented procedure: stop, move the data directory aside, copy the checkpoint in,
    start."""
    c.stop()
    aside = c.data_dir + ".before-restore"
    os.rename(c.data_dir, aside)
    shutil.copytree(checkpoint, c.data_dir)
    c.start()
    return aside


def test_backup_then_restore_brings_back_the_checkpoint(bcluster):
    c = bcluster
    c.add_account("carol", "pw")
    conn = c.imap("carol", "pw")
    first = ["before-%d" % i for i in range(5)]
    for i, tag in enumerate(first):
        flags = "(\\Flagged $Important)" if i == 0 else None
        typ, data = conn.append("INBOX", flags, None, message(tag))
        assert typ == "OK", data
    conn.logout()

    out = backup(c, "--dir=nightly/one")
    assert out.returncode == 0, out.stderr
    words = out.stdout.split()
    assert words[0] == "checkpoint", out.stdout
    checkpoint = words[1]
    assert checkpoint == os.path.join(c.backup_dir, "nightly", "one")
    assert os.path.isfile(os.path.join(checkpoint, "CURRENT"))
    assert any(w.startswith("files=") and int(w[6:]) > 0 for w in words), out.stdout

    # More mail after the checkpoint, and a new account: neither is in the backup.
    for tag in ("after-1", "after-2"):
        r = c.ctl("deliver", "carol", input=message(tag))
        assert r.returncode == 0
    c.add_account("dave", "pw")
    live, exists = inbox(c, "carol")
    assert set(live) == set(first) | {"after-1", "after-2"} and exists == 7

    aside = restore(c, checkpoint)
    try:
        restored, exists = inbox(c, "carol")
        assert sorted(restored) == sorted(first)
        assert exists == len(first)
        for tag in first:
            assert restored[tag][1] == message(tag)
        assert b"\\Flagged" in restored["before-0"][0] and b"$Important" in restored["before-0"][0]
        assert b"\\Flagged" not in restored["before-1"][0]
        # dave came after the checkpoint.
        bad = c.ctl("mailbox", "list", "dave", check=False)
        assert bad.returncode != 0
        # The restored store takes writes and a new checkpoint.
        conn = c.imap("carol", "pw")
        typ, data = conn.append("INBOX", None, None, message("after-restore"))
        assert typ == "OK", data
        conn.logout()
        again = backup(c, "--dir=nightly/two")
        assert again.returncode == 0, again.stderr
        # It opened cleanly: the statesvc logged no error while starting and serving.
        log = c.statesvc.log_tail(200)
        assert '"level":"error"' not in log.replace(" ", ""), log
    finally:
        shutil.rmtree(aside, ignore_errors=True)


def test_checkpoint_during_writes_is_consistent(bcluster):
    """Every APPEND acknowledged before the backup call started is in the checkpoint, and the
    restored mailbox is consistent (every message it lists can be fetched whole)."""
    c = bcluster
    c.add_account("erin", "pw")
    stop = threading.Event()
    acked = []
    errors = []

    def writer():
        conn = c.imap("erin", "pw")
        i = 0
        while not stop.is_set():
            tag = "w-%d-%s" % (i, uuid.uuid4().hex[:6])
            typ, data = conn.append("INBOX", None, None, message(tag))
            if typ != "OK":
                errors.append(data)
                break
            acked.append(tag)
            i += 1
        conn.logout()

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(acked) < 20 and t.is_alive():
            stop.wait(0.05)
        before = list(acked)
        out = backup(c, "--dir=busy")
        assert out.returncode == 0, out.stderr
    finally:
        stop.set()
        t.join(timeout=60)
    assert not errors, errors
    checkpoint = out.stdout.split()[1]
    restore(c, checkpoint)
    restored, exists = inbox(c, "erin")
    assert set(before) <= set(restored)
    assert set(restored) <= set(acked)
    assert exists == len(restored)
    for tag, (_, raw) in restored.items():
        assert raw == message(tag)


def test_backup_refusals(bcluster, tmp_path):
    c = bcluster
    out = backup(c, "--dir=../outside")
    assert out.returncode != 0 and "must not contain .." in out.stderr, out.stderr
    out = backup(c, "--dir=" + str(tmp_path / "elsewhere"))
    assert out.returncode != 0 and "inside the backup dir" in out.stderr, out.stderr
    assert not (tmp_path / "elsewhere").exists()
    assert backup(c, "--dir=same").returncode == 0
    out = backup(c, "--dir=same")
    assert out.returncode == 3 and "already exists" in out.stderr, out.stderr
    out = backup(c, "extra-argument")
    assert out.returncode == 2
    # A shard list: a usage error (one checkpoint per shard), never one shard's backup silently.
    before = sorted(os.listdir(c.backup_dir))
    out = subprocess.run([binary("hadronctl"), "--statesvc=%s,127.0.0.1:1" % c.state_addr,
                          "--allow_plaintext", "backup"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert sorted(os.listdir(c.backup_dir)) == before


def test_backup_off_without_backup_dir(cluster):
    out = subprocess.run([binary("hadronctl"), "--statesvc=" + cluster.state_addr, "backup"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "--backup_dir" in out.stderr, out.stderr
