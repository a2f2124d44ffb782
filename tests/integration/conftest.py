"""Integration fixtures: real hadron-statesvc + hadron-frontend processes on free loopback ports.

Nothing is built here: run `bazel build //statesvc:hadron-statesvc //frontend:hadron-frontend
//tools/hadronctl:hadronctl` first (scripts/test.sh does). HADRON_BIN_DIR overrides where the
binaries are looked up (a folder holding the three of them, as run.sh's $HADRON_HOME/bin).
"""

import imaplib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

import imapwire

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARIES = {
    "statesvc": "statesvc/hadron-statesvc",
    "frontend": "frontend/hadron-frontend",
    "hadronctl": "tools/hadronctl/hadronctl",
}

_bin_cache = {}


def _bazel_bin():
    link = os.path.join(REPO, "bazel-bin")
    if os.path.isdir(link):
        return link
    out = subprocess.run(["bazel", "info", "bazel-bin"], cwd=REPO, capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError("bazel info bazel-bin failed: %s" % out.stderr.strip())
    return out.stdout.strip()


def binary(name):
    """Absolute path of one of the three binaries; fails the test if it has not been built."""
    if name in _bin_cache:
        return _bin_cache[name]
    override = os.environ.get("HADRON_BIN_DIR")
    if override:
        path = os.path.join(override, os.path.basename(BINARIES[name]))
    else:
        path = os.path.join(_bazel_bin(), BINARIES[name])
    if not os.access(path, os.X_OK):
        pytest.fail("%s not built (%s missing); run bazel build first" % (name, path),
                    pytrace=False)
    _bin_cache[name] = path
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def make_cert(directory):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=60)
    return cert, key


SANITIZER_MARKERS = (b"WARNING: ThreadSanitizer", b"ERROR: AddressSanitizer",
                     b"ERROR: LeakSanitizer", b"runtime error: ")


def sanitizer_failure(procs):
    """Collects new sanitizer reports of procs; returns a failure text or ''."""
    out = []
    for p in procs:
        if p is None:
            continue
        rep = p.sanitizer_reports()
        if rep:
            out.append("%s (%s) printed sanitizer reports:\n%s" % (p.name, p.log_path, rep[-20000:]))
    return "\n".join(out)


class Proc:
    """A child process with its output in a log file."""

    def __init__(self, name, argv, log_dir):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(log_dir, "%s-%s.log" % (name, uuid.uuid4().hex[:6]))
        self._log = open(self.log_path, "wb")
        self._scanned = 0
        self.p = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def sanitizer_reports(self):
        """Sanitizer reports (ThreadSanitizer, AddressSanitizer, UBSan) printed since the last
        call, as text; empty when there are none. The log holds the process's stderr."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._scanned)
                data = f.read()
        except OSError:
            return ""
        # Only whole lines: a report being written now is read at the next call.
        end = data.rfind(b"\n") + 1
        data = data[:end]
        self._scanned += end
        if not any(m in data for m in SANITIZER_MARKERS):
            return ""
        return data.decode(errors="replace")

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            try:
                self.p.send_signal(sig)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=10)
        self._log.close()

    def kill9(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=10)


class Cluster:
    """One statesvc and one frontend (plain + TLS listener) on free loopback ports."""

    reference = False

    def __init__(self, workdir, tls=True):
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.state_port = free_port()
        self.imap_port = free_port()
        self.imaps_port = free_port() if tls else None
        self.cert = self.key = None
        if tls:
            self.cert, self.key = make_cert(workdir)
        self.statesvc = None
        self.frontend = None
        self.host = "127.0.0.1"
        self.frontend_args = []  # extra flags, e.g. shorter timeouts

    @property
    def state_addr(self):
        return "127.0.0.1:%d" % self.state_port

    def start_statesvc(self):
        self.statesvc = Proc("statesvc", [binary("statesvc"), "--listen=" + self.state_addr,
                                          "--data_dir=" + self.data_dir], self.workdir)
        self._wait(self.statesvc, self.state_port)

    def start_frontend(self):
        argv = [binary("frontend"), "--listen=127.0.0.1:%d" % self.imap_port,
                "--statesvc=" + self.state_addr]
        if self.imaps_port:
            argv += ["--tls_listen=127.0.0.1:%d" % self.imaps_port, "--tls_cert=" + self.cert,
                     "--tls_key=" + self.key]
        argv += self.frontend_args
        self.frontend = Proc("frontend", argv, self.workdir)
        self._wait(self.frontend, self.imap_port)
        if self.imaps_port:
            self._wait(self.frontend, self.imaps_port)
        # Ready means a greeting, not just an open port.
        r = imapwire.Raw(self.host, self.imap_port)
        r.close()

    def start(self):
        self.start_statesvc()
        self.start_frontend()
        return self

    def _wait(self, proc, port, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError("%s exited with %s during startup:\n%s" %
                                   (proc.name, proc.p.returncode, proc.log_tail()))
            if port_open(port):
                return
            time.sleep(0.05)
        raise RuntimeError("%s did not listen on %d within %ds:\n%s" %
                           (proc.name, port, timeout, proc.log_tail()))

    def stop(self):
        for p in (self.frontend, self.statesvc):
            if p is not None:
                p.stop()

    def procs(self):
        return [self.statesvc, self.frontend]

    def restart_dead(self):
        """Restarts whichever process died; returns [(name, exit code, log tail)] of the dead."""
        dead = []
        if self.statesvc is not None and not self.statesvc.alive():
            dead.append((self.statesvc.name, self.statesvc.p.returncode, self.statesvc.log_tail()))
            self.start_statesvc()
        if self.frontend is not None and not self.frontend.alive():
            dead.append((self.frontend.name, self.frontend.p.returncode, self.frontend.log_tail()))
            self.start_frontend()
        return dead

    def ctl(self, *args, input=None, timeout=30, check=True):
        """Runs hadronctl against this cluster's statesvc."""
        out = subprocess.run([binary("hadronctl"), "--statesvc=" + self.state_addr] + list(args),
                             input=input, capture_output=True, timeout=timeout)
        if check and out.returncode != 0:
            raise RuntimeError("hadronctl %s failed (%d): %s" %
                               (" ".join(args), out.returncode, out.stderr.decode(errors="replace")))
        return out

    def add_account(self, name, password):
        self.ctl("account", "add", name, "--password", password)

    def imap(self, user=None, password=None):
        """An imaplib client, logged in when user is given."""
        c = imaplib.IMAP4(self.host, self.imap_port, timeout=15)
        if user is not None:
            c.login(user, password)
        return c

    def raw(self, user=None, password=None, **kw):
        r = imapwire.Raw(self.host, self.imap_port, **kw)
        if user is not None:
            r.login(user, password)
        return r


REFERENCE = os.environ.get("HADRON_IT_REFERENCE", "")  # "dovecot": check the tests themselves

_DOVECOT_CONF = """
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
"""


class ReferenceCluster(Cluster):
    """Dovecot in place of Hadron, to check the tests' own expectations (HADRON_IT_REFERENCE)."""

    reference = True

    def __init__(self):
        import sys
        sys.path.insert(0, os.path.join(REPO, "tests", "differential"))
        from dovecot_fixture import DovecotFixture
        self.dc = DovecotFixture(extra_conf=_DOVECOT_CONF).start()
        self.host = "127.0.0.1"
        self.imap_port = self.dc.port
        self.imaps_port = None
        self.state_port = None
        self.statesvc = self.frontend = None

    def add_account(self, name, password):
        pass

    def ctl(self, *args, **kw):
        pytest.skip("hadronctl is Hadron-only")

    def stop(self):
        self.dc.stop()


def requires_hadron(c):
    if getattr(c, "reference", False):
        pytest.skip("Hadron-only test")


@pytest.fixture(scope="session")
def cluster():
    if REFERENCE == "dovecot":
        c = ReferenceCluster()
        yield c
        c.stop()
        return
    workdir = tempfile.mkdtemp(prefix="hadron-it-")
    c = Cluster(workdir)
    try:
        c.start()
    except BaseException:
        c.stop()
        raise
    yield c
    c.stop()
    failed_logs = [p for p in (c.statesvc, c.frontend) if p is not None and p.p.returncode not in
                   (0, -signal.SIGTERM, None)]
    for p in failed_logs:
        print("\n%s exited with %s; log tail:\n%s" % (p.name, p.p.returncode, p.log_tail()))
    san = sanitizer_failure(c.procs())  # reports printed at exit (e.g. ThreadSanitizer's)
    shutil.rmtree(workdir, ignore_errors=True)
    if san:
        pytest.fail("at shutdown: " + san, pytrace=False)


_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _crash_watch(request):
    """Turns a server crash into an error of the test that caused it, then restarts the server
    so that one crash does not fail every later test."""
    if "cluster" not in request.fixturenames:
        yield
        return
    c = request.getfixturevalue("cluster")
    if c.reference:
        yield
        return
    c.restart_dead()
    yield
    _check_after_test(c)


def _check_after_test(c):
    """Fails the current test if a server of c crashed or printed a sanitizer report."""
    procs = c.procs()
    dead = c.restart_dead()
    san = sanitizer_failure(procs)
    if dead:
        pytest.fail("server crashed during this test: " + "; ".join(
            "%s exited with %s, log tail:\n%s" % d for d in dead) + ("\n" + san if san else ""),
            pytrace=False)
    if san:
        pytest.fail(san, pytrace=False)


class Account:
    def __init__(self, cluster, name, password):
        self.cluster = cluster
        self.name = name
        self.password = password
        self._clients = []

    def imap(self, select=None):
        c = self.cluster.imap(self.name, self.password)
        self._clients.append(c)
        if select:
            typ, data = c.select(select)
            assert typ == "OK", data
        return c

    def raw(self, select=None, **kw):
        r = self.cluster.raw(self.name, self.password, **kw)
        self._clients.append(r)
        if select:
            r.ok("SELECT " + select)
        return r

    def close(self):
        for c in self._clients:
            try:
                if isinstance(c, imaplib.IMAP4):
                    c.shutdown()
                else:
                    c.close()
            except Exception:
                pass


@pytest.fixture
def account(cluster):
    """A fresh account (unique name) on the session cluster."""
    name = "u%d_%s" % (next(_counter), uuid.uuid4().hex[:8])
    password = "pass" if REFERENCE else "pw-" + uuid.uuid4().hex[:10]
    cluster.add_account(name, password)
    acc = Account(cluster, name, password)
    yield acc
    acc.close()


@pytest.fixture
def imap(account):
    """A logged-in imaplib client of a fresh account (nothing selected)."""
    return account.imap()


@pytest.fixture
def raw(account):
    """A logged-in raw client of a fresh account (nothing selected)."""
    return account.raw()


# ---- several frontends on one statesvc (tests/integration/test_consistency.py) ---------------

class MultiCluster(Cluster):
    """One statesvc and several frontends (plain listeners only) on free loopback ports."""

    def __init__(self, workdir, frontends=2):
        super().__init__(workdir, tls=False)
        self.imap_ports = [free_port() for _ in range(frontends)]
        self.imap_port = self.imap_ports[0]
        self.frontends = [None] * frontends

    def start_frontend(self, i=0):
        port = self.imap_ports[i]
        p = Proc("frontend%d" % (i + 1), [binary("frontend"), "--listen=127.0.0.1:%d" % port,
                                          "--statesvc=" + self.state_addr], self.workdir)
        self.frontends[i] = p
        if i == 0:
            self.frontend = p
        self._wait(p, port)
        imapwire.Raw(self.host, port).close()  # ready means a greeting

    def start(self):
        self.start_statesvc()
        for i in range(len(self.frontends)):
            self.start_frontend(i)
        return self

    def procs(self):
        return [self.statesvc] + list(self.frontends)

    def stop(self):
        for p in list(self.frontends) + [self.statesvc]:
            if p is not None:
                p.stop()

    def restart_dead(self):
        dead = []
        if self.statesvc is not None and not self.statesvc.alive():
            dead.append((self.statesvc.name, self.statesvc.p.returncode, self.statesvc.log_tail()))
            self.start_statesvc()
        for i, p in enumerate(self.frontends):
            if p is not None and not p.alive():
                dead.append((p.name, p.p.returncode, p.log_tail()))
                self.start_frontend(i)
        return dead

    def raw(self, user=None, password=None, fe=0, **kw):
        r = imapwire.Raw(self.host, self.imap_ports[fe], **kw)
        if user is not None:
            r.login(user, password)
        return r


class ReferenceMulti(ReferenceCluster):
    """Dovecot standing in for both frontends (HADRON_IT_REFERENCE=dovecot)."""

    def __init__(self, frontends=2):
        super().__init__()
        self.imap_ports = [self.dc.port] * frontends

    def procs(self):
        return []

    def raw(self, user=None, password=None, fe=0, **kw):
        r = imapwire.Raw(self.host, self.imap_ports[fe], **kw)
        if user is not None:
            r.login(user, password)
        return r


def _start_multi(prefix):
    if REFERENCE == "dovecot":
        return ReferenceMulti(), None
    workdir = tempfile.mkdtemp(prefix=prefix)
    c = MultiCluster(workdir)
    try:
        c.start()
    except BaseException:
        c.stop()
        raise
    return c, workdir


def _stop_multi(c, workdir):
    c.stop()
    if workdir is None:
        return ""
    for p in c.procs():
        if p is not None and p.p.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL, None):
            print("\n%s exited with %s; log tail:\n%s" % (p.name, p.p.returncode, p.log_tail()))
    san = sanitizer_failure(c.procs())
    if not san and not os.environ.get("HADRON_IT_KEEP"):  # HADRON_IT_KEEP=1 keeps the logs
        shutil.rmtree(workdir, ignore_errors=True)
    return san


@pytest.fixture(scope="module")
def two_frontends():
    """One statesvc and two frontends, shared by the tests of a module. Each test is checked for
    crashes and sanitizer reports (the servers' stderr is in their log files)."""
    c, workdir = _start_multi("hadron-it-multi-")
    yield c
    san = _stop_multi(c, workdir)
    if san:
        pytest.fail("at shutdown: " + san, pytrace=False)


@pytest.fixture
def private_two_frontends():
    """A statesvc and two frontends of the test's own, for tests that stop or kill processes."""
    c, workdir = _start_multi("hadron-it-multi-priv-")
    yield c
    san = _stop_multi(c, workdir)
    if san:
        pytest.fail(san, pytrace=False)


@pytest.fixture(autouse=True)
def _multi_watch(request):
    """As _crash_watch, for the two_frontends cluster."""
    if "two_frontends" not in request.fixturenames:
        yield
        return
    c = request.getfixturevalue("two_frontends")
    if c.reference:
        yield
        return
    c.restart_dead()
    yield
    _check_after_test(c)


@pytest.fixture
def shared_account(two_frontends):
    """A fresh account on the two-frontend cluster; .raw(fe=0|1, select=...) opens sessions."""
    n = next(_counter)
    name = "m%d_%s" % (n, uuid.uuid4().hex[:8])
    if hasattr(two_frontends, "shard_of"):  # sharded: alternate the shards, tests cover both
        while two_frontends.shard_of(name) != n % len(two_frontends.shard_addrs):
            name = "m%d_%s" % (n, uuid.uuid4().hex[:8])
    password = "pass" if REFERENCE else "pw-" + uuid.uuid4().hex[:10]
    two_frontends.add_account(name, password)
    acc = Account(two_frontends, name, password)
    yield acc
    acc.close()


# ---- sharding (issue 7): scripts/cluster.sh on free ports ------------------------------------

class ScriptProc(Proc):
    """A process started by scripts/cluster.sh: its pid file and log, for crash and sanitizer
    checks (the script owns the process; stop() is the script's)."""

    def __init__(self, name, home):
        self.name = name
        self.log_path = os.path.join(home, "logs", name + ".log")
        self._scanned = 0
        with open(os.path.join(home, "run", name + ".pid")) as f:
            self.pid = int(f.read().strip())

    def alive(self):
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        try:  # a zombie (our grandchild, not yet reaped by init) is dead too
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().split(") ")[-1][:1] != "Z"
        except OSError:
            return False


class ShardCluster:
    """scripts/cluster.sh on free loopback ports: `shards` statesvc shards, `frontends`
    frontends and haproxy in front of them. imap_port/imaps_port are haproxy's; imap_ports lists
    haproxy twice, so the two-frontend consistency scenarios run through it unchanged."""

    reference = False

    def __init__(self, workdir, shards=2, frontends=3):
        self.workdir = workdir
        self.host = "127.0.0.1"
        self.shard_addrs = ["127.0.0.1:%d" % free_port() for _ in range(shards)]
        self.fe_addrs = ["127.0.0.1:%d" % free_port() for _ in range(frontends)]
        self.fe_tls_addrs = ["127.0.0.1:%d" % free_port() for _ in range(frontends)]
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.imap_ports = [self.imap_port, self.imap_port]
        self.names = (["haproxy"] + ["frontend%d" % i for i in range(frontends)] +
                      ["statesvc%d" % i for i in range(shards)])
        self._procs = []
        self.bin_dir = os.environ.get("HADRON_BIN_DIR")
        if not self.bin_dir:  # the script wants one folder holding the three binaries
            self.bin_dir = os.path.join(workdir, "bin")
            os.makedirs(self.bin_dir, exist_ok=True)
            for name in BINARIES:
                os.symlink(binary(name), os.path.join(self.bin_dir,
                                                      os.path.basename(BINARIES[name])))
        else:
            for name in BINARIES:
                binary(name)  # fails clearly if missing

    @property
    def state_addr(self):
        return ",".join(self.shard_addrs)

    def env(self):
        e = dict(os.environ)
        e.update({
            "HADRON_CLUSTER_HOME": self.workdir,
            "HADRON_BIN_DIR": self.bin_dir,
            "HADRON_CLUSTER_IMAP": "127.0.0.1:%d" % self.imap_port,
            "HADRON_CLUSTER_IMAPS": "127.0.0.1:%d" % self.imaps_port,
            "HADRON_CLUSTER_STATESVC": self.state_addr,
            "HADRON_CLUSTER_FRONTENDS": ",".join(self.fe_addrs),
            "HADRON_CLUSTER_FRONTENDS_TLS": ",".join(self.fe_tls_addrs),
            "HADRON_CLUSTER_DEMO": "0",
        })
        return e

    def script(self, command, timeout=180):
        out = subprocess.run(["bash", os.path.join(REPO, "scripts", "cluster.sh"), command],
                             env=self.env(), capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0 and command != "status":
            raise RuntimeError("cluster.sh %s failed (%d):\n%s\n%s" %
                               (command, out.returncode, out.stdout, out.stderr))
        return out

    def start(self):
        self.script("start")
        self._procs = [ScriptProc(n, self.workdir) for n in self.names]
        deadline = time.monotonic() + 15
        while True:  # ready means a greeting through haproxy
            try:
                imapwire.Raw(self.host, self.imap_port).close()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self

    def stop(self):
        self.script("stop", timeout=120)

    def procs(self):
        return list(self._procs)

    def restart_dead(self):
        """Reports dead processes (cluster.sh restarts only everything at once)."""
        return [(p.name, "?", p.log_tail()) for p in self._procs if not p.alive()]

    def ctl(self, *args, input=None, timeout=30, check=True):
        out = subprocess.run([binary("hadronctl"), "--statesvc=" + self.state_addr] + list(args),
                             input=input, capture_output=True, timeout=timeout)
        if check and out.returncode != 0:
            raise RuntimeError("hadronctl %s failed (%d): %s" %
                               (" ".join(args), out.returncode, out.stderr.decode(errors="replace")))
        return out

    def shard_of(self, name):
        return int(self.ctl("shard", "owner", name).stdout.decode().split("\t")[1])

    def add_account(self, name, password):
        self.ctl("account", "add", name, "--password", password)

    def imap(self, user=None, password=None):
        c = imaplib.IMAP4(self.host, self.imap_port, timeout=15)
        if user is not None:
            c.login(user, password)
        return c

    def raw(self, user=None, password=None, fe=0, **kw):
        r = imapwire.Raw(self.host, self.imap_ports[fe], **kw)
        if user is not None:
            r.login(user, password)
        return r


def start_shard_cluster(prefix="hadron-it-shard-", **kw):
    workdir = tempfile.mkdtemp(prefix=prefix)
    c = ShardCluster(workdir, **kw)
    try:
        c.start()
    except BaseException:
        try:
            c.stop()
        finally:
            print("cluster.sh start failed; logs in", workdir)
        raise
    return c, workdir


def stop_shard_cluster(c, workdir):
    """Stops the cluster; returns sanitizer reports ('' if none). Keeps the folder if any."""
    c.stop()
    san = sanitizer_failure(c.procs())
    if not san:
        shutil.rmtree(workdir, ignore_errors=True)
    return san


@pytest.fixture(scope="module")
def shard_cluster():
    """2 statesvc shards, 3 frontends and haproxy (scripts/cluster.sh), shared by a module."""
    if REFERENCE == "dovecot":
        pytest.skip("Hadron-only cluster")
    c, workdir = start_shard_cluster()
    yield c
    san = stop_shard_cluster(c, workdir)
    if san:
        pytest.fail("at shutdown: " + san, pytrace=False)


def two_frontend_cluster(param, frontends_direct=False):
    """The body of a module fixture run twice: `param` "direct" is one statesvc behind two
    frontends; anything else is scripts/cluster.sh's sharded cluster (2 statesvc shards, 3
    frontends, haproxy), Hadron only. With `frontends_direct`, imap_ports are frontend0 and
    frontend1 themselves instead of haproxy. Fails the test module if a server reported a
    sanitizer error at shutdown."""
    if param == "direct" or REFERENCE == "dovecot":
        if param != "direct":
            pytest.skip("the sharded cluster is Hadron-only")
        c, workdir = _start_multi("hadron-it-multi-")
        yield c
        san = _stop_multi(c, workdir)
    else:
        c, workdir = start_shard_cluster()
        if frontends_direct:
            c.imap_ports = [int(a.rsplit(":", 1)[1]) for a in c.fe_addrs[:2]]
        yield c
        san = stop_shard_cluster(c, workdir)
    if san:
        pytest.fail("at shutdown: " + san, pytrace=False)
