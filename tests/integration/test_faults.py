"""Storage faults (issue 6): a full disk under the statesvc, and a write error that is not one.

The statesvc's data directory is a small tmpfs. Clients APPEND until the disk is full: the APPEND
that cannot be stored gets a clear `NO [UNAVAILABLE]` (or `NO [SERVERBUG]`), never an OK and never
a dropped connection; the statesvc keeps serving reads (SELECT, FETCH of what was stored); once
the disk has room again and the statesvc restarts, every acknowledged message is there and writes
work again.

Needs root (it mounts a tmpfs); CI runs as root.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import imapwire
from conftest import MultiCluster, Proc, _stop_multi, binary, requires_hadron


class SmallDiskCluster(MultiCluster):
    def __init__(self, workdir, mountpoint):
        super().__init__(workdir, frontends=1)
        self.data_dir = mountpoint

    def start_statesvc(self):
        # A reserve of 6 MiB on a 24 MiB disk: writes stop before RocksDB meets ENOSPC.
        self.statesvc = Proc("statesvc", [binary("statesvc"), "--listen=" + self.state_addr,
                                          "--data_dir=" + self.data_dir,
                                          "--min_free_disk_mb=6"], self.workdir)
        self._wait(self.statesvc, self.state_port)


def _login_after_restart(c, user, password, timeout=30):
    """A logged-in connection once the restarted statesvc answers again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            r = imapwire.Raw(c.host, c.imap_ports[0], timeout=30)
            r.login(user, password)
            return r
        except Exception:
            assert time.monotonic() < deadline, "statesvc did not come back"
            time.sleep(0.3)


def _assert_all_acked_intact(r, acked):
    """Every acknowledged APPEND (uid -> bytes) is in INBOX with exactly its bytes."""
    r.ok("SELECT INBOX")
    untagged, _ = r.ok("UID FETCH 1:* BODY.PEEK[]", timeout=120)
    got = {}
    for u in untagged:
        m = re.match(rb"\* \d+ FETCH \(UID (\d+) BODY\[\] \{(\d+)\}\r\n", u)
        if m:
            got[int(m.group(1))] = u[m.end():m.end() + int(m.group(2))]
    assert set(acked) <= set(got), sorted(set(acked) - set(got))
    assert all(got[u] == d for u, d in acked.items())


@pytest.fixture
def small_disk(cluster):
    requires_hadron(cluster)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    workdir = tempfile.mkdtemp(prefix="hadron-it-faults-")
    mnt = os.path.join(workdir, "disk")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt], check=True)
    c = SmallDiskCluster(workdir, mnt)
    try:
        c.start()
        yield c
    finally:
        san = _stop_multi(c, None)
        subprocess.run(["umount", "-l", mnt], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
        assert not san, san


def test_full_disk_gives_a_clear_no_and_reads_go_on(small_disk):
    c = small_disk
    c.add_account("full", "fullpw")
    r = imapwire.Raw(c.host, c.imap_ports[0], timeout=30)
    r.login("full", "fullpw")
    acked = {}
    refused = None
    for i in range(200):  # 200 x 256 KiB is twice the disk
        data = (b"Subject: big %d\r\n\r\n" % i) + (b"%07d " % i) * (256 * 1024 // 8) + b"\r\n"
        _, tagged = r.cmd_literal("APPEND INBOX", data, timeout=60)
        m = re.search(rb" OK \[APPENDUID \d+ (\d+)\]", tagged)
        if m:
            acked[int(m.group(1))] = data
            continue
        refused = tagged
        break
    assert refused is not None, "the 24 MiB disk never filled"
    assert re.search(rb" NO \[(UNAVAILABLE|SERVERBUG)\]", refused), refused
    assert len(acked) >= 10, len(acked)
    assert c.statesvc.alive(), "the statesvc died on a full disk:\n" + c.statesvc.log_tail()
    # The session is still usable and reads are served.
    untagged, _ = r.ok("SELECT INBOX")
    assert b"* %d EXISTS" % len(acked) in untagged, untagged
    first = min(acked)
    untagged, _ = r.ok("UID FETCH %d BODY.PEEK[]" % first, timeout=60)
    assert acked[first] in untagged[0]
    # Another write is refused the same way, the connection stays.
    _, tagged = r.cmd("STORE 1 +FLAGS (\\Seen)")
    assert re.search(rb" (OK|NO \[(UNAVAILABLE|SERVERBUG)\])", tagged), tagged
    r.ok("NOOP")
    r.close()
    # Room again, and a restart: all acknowledged messages intact, writes work.
    subprocess.run(["mount", "-o", "remount,size=256m", c.data_dir], check=True)
    c.statesvc.stop()
    c.start_statesvc()
    r = _login_after_restart(c, "full", "fullpw")
    _assert_all_acked_intact(r, acked)
    _, tagged = r.cmd_literal("APPEND INBOX", b"Subject: after\r\n\r\nroom again\r\n")
    assert b"OK [APPENDUID" in tagged, tagged
    r.close()


class WriteErrorCluster(MultiCluster):
    """A statesvc whose files may not grow past a limit (RLIMIT_FSIZE, SIGXFSZ ignored): once
    the write-ahead log reaches it, every write fails with EFBIG, an I/O error that is not a full
    disk. Runs without root."""

    FSIZE = 3 << 20

    def __init__(self, workdir, limited=True):
        super().__init__(workdir, frontends=1)
        self.limited = limited

    def start_statesvc(self):
        argv = [binary("statesvc"), "--listen=" + self.state_addr, "--data_dir=" + self.data_dir]
        if self.limited:
            argv = ["prlimit", "--fsize=%d" % self.FSIZE, "sh", "-c",
                    'trap "" XFSZ; exec "$@"', "sh"] + argv
        self.statesvc = Proc("statesvc", argv, self.workdir)
        self._wait(self.statesvc, self.state_port)


@pytest.fixture
def write_errors(cluster):
    requires_hadron(cluster)
    if shutil.which("prlimit") is None:
        pytest.fail("prlimit (util-linux) is missing")
    workdir = tempfile.mkdtemp(prefix="hadron-it-ioerr-")
    c = WriteErrorCluster(workdir)
    try:
        c.start()
        yield c
    finally:
        san = _stop_multi(c, None)
        shutil.rmtree(workdir, ignore_errors=True)
        assert not san, san


def test_write_error_gives_serverbug_and_reads_go_on(write_errors):
    c = write_errors
    c.add_account("ioerr", "ioerrpw")
    r = imapwire.Raw(c.host, c.imap_ports[0], timeout=30)
    r.login("ioerr", "ioerrpw")
    acked = {}
    refused = None
    for i in range(60):  # 60 x 128 KiB is more than twice the file limit
        data = (b"Subject: io %d\r\n\r\n" % i) + (b"%07d " % i) * (128 * 1024 // 8) + b"\r\n"
        _, tagged = r.cmd_literal("APPEND INBOX", data, timeout=60)
        m = re.search(rb" OK \[APPENDUID \d+ (\d+)\]", tagged)
        if m:
            acked[int(m.group(1))] = data
            continue
        refused = tagged
        break
    assert refused is not None, "no write ever failed"
    print("refused after %d APPENDs: %r" % (len(acked), refused))
    assert re.search(rb" NO \[(SERVERBUG|UNAVAILABLE)\]", refused), refused
    assert len(acked) >= 5, len(acked)
    assert c.statesvc.alive(), "the statesvc died on a write error:\n" + c.statesvc.log_tail()
    # Reads go on: the mailbox and the stored messages are served, the session stays.
    untagged, _ = r.ok("SELECT INBOX")
    assert b"* %d EXISTS" % len(acked) in untagged, untagged
    first = min(acked)
    untagged, _ = r.ok("UID FETCH %d BODY.PEEK[]" % first, timeout=60)
    assert acked[first] in untagged[0]
    _, tagged = r.cmd_literal("APPEND INBOX", b"Subject: again\r\n\r\nstill refused\r\n")
    assert re.search(rb" NO \[(SERVERBUG|UNAVAILABLE)\]", tagged), tagged
    r.ok("NOOP")
    r.close()
    # Without the limit, after a restart: every acknowledged message intact, writes work.
    c.statesvc.stop()
    c.limited = False
    c.start_statesvc()
    r = _login_after_restart(c, "ioerr", "ioerrpw")
    _assert_all_acked_intact(r, acked)
    _, tagged = r.cmd_literal("APPEND INBOX", b"Subject: after\r\n\r\nwrites again\r\n")
    assert b"OK [APPENDUID" in tagged, tagged
    r.close()
