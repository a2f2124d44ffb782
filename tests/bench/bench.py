"""The benchmark suite of issue 8: Hadron against a private Dovecot, same workloads, one run.

Run through tests/bench/run.sh (it builds the binaries). Starts a Hadron cluster (one statesvc, two
frontends, private data dir, free loopback ports) and a private Dovecot 2.3 (Maildir, default fsync
settings) and runs tests/bench/loadgen's workloads against both, then prints a table of the ratios.
--smoke: tiny sizes, no timing claims; exits non-zero if any workload reports an error.
--full: the issue's sizes (as far as the machine allows) and docs/benchmarks.md + PNG plots.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
sys.path.insert(0, os.path.join(REPO, "tests", "differential"))

import conftest  # noqa: E402  (Proc, free_port, binaries)
import imapwire  # noqa: E402
from dovecot_fixture import DovecotFixture  # noqa: E402

PASSWORD = "pass"
# Dovecot runs one imap process per IDLE connection (~5 MiB RSS each): by default it gets as many
# sessions as Hadron reached, but no more than this (--dovecot_idle overrides).
DOVECOT_IDLE_CAP = 500

# Workload parameters: smoke (seconds, for scripts/test.sh) and full (docs/benchmarks.md).
SMOKE = {
    "append": ["--clients=8", "--messages=10", "--size=4096"],
    "mixed": ["--clients=10", "--duration=3", "--mailboxes=2", "--seed=60", "--size=2048"],
    "select": ["--sizes=300,1000", "--repeats=2", "--sessions=3"],
    "fetchbody": ["--messages=3", "--size=1048576", "--rounds=1"],
    "idle": ["--connections=16", "--rounds=2", "--setup_threads=8"],
}
FULL = {
    "append": ["--clients=8", "--messages=250", "--size=4096"],
    "mixed": ["--clients=12", "--duration=30", "--mailboxes=2", "--seed=300", "--size=4096"],
    "select": ["--sizes=100000,1000000", "--repeats=3", "--sessions=20"],
    "fetchbody": ["--messages=16", "--size=1048576", "--rounds=4"],
    # Hadron's LOGIN is scrypt (N=2^15, ~0.1 s of a core), but the statesvc's login cache answers
    # every LOGIN after the first of the bench account without it. Setup still stops after
    # setup_seconds and the memory per connection is measured over what was established.
    "idle": ["--connections=%d", "--rounds=3", "--setup_threads=16", "--setup_seconds=150",
             "--exists_timeout=30"],
}

DOVECOT_EXTRA = """
protocol imap {
  mail_max_userip_connections = 200000
}
default_process_limit = 200000
default_client_limit = 200000
default_vsz_limit = 0
service imap {
  process_limit = 200000
}
service imap-login {
  process_limit = 200000
  client_limit = 200000
}
service anvil {
  client_limit = 400000
}
"""


def loadgen_bin():
    return os.path.join(conftest._bazel_bin(), "tests/bench/loadgen")


class Hadron:
    label = "hadron"

    def __init__(self, workdir):
        self.workdir = workdir
        self.data = os.path.join(workdir, "data")
        os.makedirs(self.data)
        self.state_port = conftest.free_port()
        self.ports = [conftest.free_port(), conftest.free_port()]
        self.statesvc = None
        self.frontends = []

    def start(self):
        addr = "127.0.0.1:%d" % self.state_port
        self.statesvc = conftest.Proc("statesvc", [conftest.binary("statesvc"), "--listen=" + addr,
                                                   "--data_dir=" + self.data], self.workdir)
        wait_port(self.statesvc, self.state_port)
        for p in self.ports:
            fe = conftest.Proc("frontend", [conftest.binary("frontend"),
                                            "--listen=127.0.0.1:%d" % p, "--statesvc=" + addr,
                                            # One account, one address, many connections.
                                            "--max_connections_per_address=1000000",
                                            "--max_sessions_per_account=1000000"],
                               self.workdir)
            self.frontends.append(fe)
            wait_port(fe, p)
            imapwire.Raw("127.0.0.1", p).close()
        return self

    def add_user(self, name):
        subprocess.run([conftest.binary("hadronctl"), "--statesvc=127.0.0.1:%d" % self.state_port,
                        "account", "add", name, "--password", PASSWORD],
                       check=True, capture_output=True, timeout=60)

    def server_pids(self, frontends=1):
        return [self.statesvc.p.pid] + [f.p.pid for f in self.frontends[:frontends]]

    def frontend_pids(self, n=1):
        return [f.p.pid for f in self.frontends[:n]]

    def alive(self):
        return all(p.alive() for p in [self.statesvc] + self.frontends)

    def logs(self):
        return "\n".join("%s: %s" % (p.name, p.log_tail(10))
                         for p in [self.statesvc] + self.frontends)

    def stop(self):
        for p in self.frontends + [self.statesvc]:
            if p:
                p.stop()


class Dovecot:
    label = "dovecot"

    def __init__(self, workdir):
        self.fx = DovecotFixture(extra_conf=DOVECOT_EXTRA)

    def start(self):
        self.fx.start()
        self.ports = [self.fx.port, self.fx.port]
        return self

    def add_user(self, name):
        pass  # static passdb: any user, password "pass"

    def prepopulate(self, user, mailbox, n, size=2048):
        """Writes a Maildir folder of n messages (hard links of one file, as a delivery or
        doveadm import would leave them): UID COPY doubling in Dovecot manages ~350 messages/s
        here (100,000 took 294 s), too slow for 1,000,000. Dovecot indexes it at the first
        SELECT, which loadgen does (and times) before measuring."""
        import pwd
        root = os.path.join(self.fx.dir, "home", user, "Maildir", "." + mailbox)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(root, sub), exist_ok=True)
        body = ("From: Bench Sender <sender@example.org>\nTo: receiver@example.org\n"
                "Subject: benchmark message\nDate: Sat, 28 Nov 2026 10:00:00 +0000\n"
                "Message-ID: <bench-dovecot@example.org>\n\n")
        line = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor\n"
        while len(body) + len(line) < size:
            body += line
        data = body.encode()
        vsize = len(data) + data.count(b"\n")
        pw = pwd.getpwnam("dovecot") if os.getuid() == 0 else None
        src = os.path.join(root, "tmp", "source")
        cur = os.path.join(root, "cur")
        for i in range(n):
            if i % 60000 == 0:  # ext4 allows 65,000 links to a file
                if i:
                    os.unlink(src)
                with open(src, "wb") as f:
                    f.write(data)
                if pw:
                    os.chown(src, pw.pw_uid, pw.pw_gid)
            os.link(src, os.path.join(cur, "1764000000.M%dP1.bench,S=%d,W=%d:2," % (
                i, len(data), vsize)))
        os.unlink(src)
        if pw:
            for dirpath, dirnames, _ in os.walk(os.path.join(self.fx.dir, "home", user)):
                os.chown(dirpath, pw.pw_uid, pw.pw_gid)

    def server_pids(self, frontends=1):
        return [self.fx.proc.pid]  # the master; loadgen adds every descendant

    def frontend_pids(self, n=1):
        return [self.fx.proc.pid]

    def alive(self):
        return self.fx.proc is not None and self.fx.proc.poll() is None

    def logs(self):
        return self.fx._log()

    def stop(self):
        self.fx.stop()


def wait_port(proc, port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not proc.alive():
            raise RuntimeError("%s exited: %s" % (proc.name, proc.log_tail()))
        if conftest.port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError("%s did not listen on %d" % (proc.name, port))


def run_workload(server, workload, args, frontends=1):
    user = "bench-" + workload
    server.add_user(user)
    if workload == "select" and hasattr(server, "prepopulate"):
        sizes = [a.split("=", 1)[1] for a in args if a.startswith("--sizes=")][-1]
        t0 = time.time()
        for n in sizes.split(","):
            server.prepopulate(user, "big" + n, int(n))
        print("bench: dovecot Maildir folders of %s messages written in %.1f s" % (
            sizes, time.time() - t0), flush=True)
    nfe = frontends
    ports = server.ports[:nfe]
    argv = [loadgen_bin(), "--workload=" + workload, "--label=" + server.label,
            "--port=" + ",".join(map(str, ports)), "--user=" + user, "--password=" + PASSWORD,
            "--server_pids=" + ",".join(map(str, server.server_pids(nfe))),
            "--frontend_pids=" + ",".join(map(str, server.frontend_pids(nfe)))] + args
    t0 = time.time()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    results = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            results.append(json.loads(line))
    ok = p.returncode == 0 and server.alive()
    print("bench: %-8s %-10s %5.1fs %s" % (server.label, workload, time.time() - t0,
                                            "ok" if ok else "FAILED"), flush=True)
    if not ok:
        sys.stderr.write(p.stderr[-4000:])
        if not server.alive():
            sys.stderr.write("server stopped: %s\n" % server.logs())
    return ok, results, " ".join(["loadgen"] + argv[1:2] + args)


class Profiler:
    """perf record of the Hadron processes while one workload runs (--profile DIR).

    Sampling only (no call graphs: the opt build keeps no frame pointers), 499 Hz per CPU, so
    the profile costs the servers little; the report is self time by process, library and symbol.
    """

    def __init__(self, outdir, workload, server):
        self.outdir = outdir
        self.workload = workload
        self.data = os.path.join(outdir, "%s.perf.data" % workload)
        pids = ",".join(map(str, server.server_pids(len(server.frontends))))
        self.proc = subprocess.Popen(["perf", "record", "-F", "499", "-p", pids, "-o", self.data],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def finish(self):
        import signal
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out = os.path.join(self.outdir, "%s.txt" % self.workload)
        rep = subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--no-children",
                              "--sort", "comm,dso,symbol", "--percent-limit", "0.7"],
                             capture_output=True, text=True, timeout=600)
        by_dso = subprocess.run(["perf", "report", "-i", self.data, "--stdio", "--no-children",
                                 "--sort", "comm,dso", "--percent-limit", "1"],
                                capture_output=True, text=True, timeout=600)
        def lines(text):
            # perf pads every row to the terminal width and adds empty columns: keep the figures.
            import re
            rows = [re.sub(r"\s+-\s+-\s*$", "", l).rstrip() for l in text.splitlines()]
            keep = ("# Samples", "# Event count")
            return "\n".join(r for r in rows
                             if r and (not r.startswith("#") or r.startswith(keep)))

        with open(out, "w") as f:
            f.write("# perf record -F 499 of the Hadron processes during the %s workload\n"
                    % self.workload)
            f.write("# self time; statesvc and frontend threads are named by their binary\n\n")
            f.write("## by process and library\n\n")
            f.write(lines(by_dso.stdout))
            f.write("\n\n## by symbol\n\n")
            f.write(lines(rep.stdout))
            f.write("\n")
        os.unlink(self.data)
        print("bench: profile of %s in %s" % (self.workload, out), flush=True)


def find(results, server, workload, op):
    for r in results:
        if r["server"] == server and r["workload"] == workload and r["op"] == op:
            return r
    return None


# (workload, op, field, unit, higher_is_better)
def rows_for(results):
    rows = []
    ops = []
    for r in results:
        key = (r["workload"], r["op"])
        if key not in ops and r["op"] not in ("populate", "APPEND round"):
            ops.append(key)
    for wl, op in ops:
        h = find(results, "hadron", wl, op) or {}
        d = find(results, "dovecot", wl, op) or {}
        for field, unit, higher in (
                ("ops_per_s", "ops/s", True), ("mb_per_s", "MB/s", True),
                ("messages_per_s", "msg/s", True),
                ("p50_ms", "ms", False), ("p90_ms", "ms", False), ("p99_ms", "ms", False),
                ("kb_per_session", "KiB RSS", False), ("pss_kb_per_session", "KiB PSS", False),
                ("kb_per_connection", "KiB RSS", False), ("pss_kb_per_connection", "KiB PSS", False),
                ("connections", "conns", True), ("missed", "sessions without EXISTS", None),
                ("late_views", "sessions needing >1 NOOP after the last change", None),
                ("late_max_ms", "ms until the last view caught up", None),
                ("rss_kb", "KiB RSS total", False),
                ("no", "tagged NO", None)):
            if field not in h and field not in d:
                continue
            if field == "ops_per_s" and wl in ("select",):
                continue
            if field == "ops_per_s" and op in ("APPEND->EXISTS",):
                continue
            rows.append((wl, op, field, unit, higher, h.get(field), d.get(field)))
    return rows


def ratio(h, d, higher):
    if h is None or d is None or higher is None:
        return None
    try:
        if higher:
            return h / d if d else None
        return d / h if h else None
    except ZeroDivisionError:
        return None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


def table(results):
    out = ["| workload | operation | metric | Hadron | Dovecot | Hadron advantage |",
           "|---|---|---|---|---|---|"]
    for wl, op, field, unit, higher, h, d in rows_for(results):
        r = ratio(h, d, higher)
        out.append("| %s | %s | %s (%s) | %s | %s | %s |" % (
            wl, op, field, unit, fmt(h), fmt(d), ("%.2f×" % r) if r is not None else "-"))
    return "\n".join(out)


def plots(results, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("bench: matplotlib missing (python3-matplotlib): no plots", file=sys.stderr)
        return []
    made = []
    groups = [
        ("throughput", "operations per second (higher is better)", "ops_per_s",
         lambda r: r["workload"] in ("append", "mixed")),
        ("latency", "p99 latency in ms (lower is better)", "p99_ms",
         lambda r: r["workload"] in ("append", "mixed", "select", "idle", "fetchbody")),
        ("memory", "KiB per additional session / IDLE connection (RSS, lower is better)",
         "kb_per_session", lambda r: "memory" in r["op"]),
    ]
    for name, title, field, pred in groups:
        ops = []
        for r in results:
            f = field
            if name == "memory" and "kb_per_connection" in r:
                f = "kb_per_connection"
            if pred(r) and f in r and (r["workload"], r["op"]) not in [o[:2] for o in ops]:
                ops.append((r["workload"], r["op"], f))
        if not ops:
            continue
        labels = ["%s\n%s" % (w, o) for w, o, _ in ops]
        hv = [(find(results, "hadron", w, o) or {}).get(f, 0) for w, o, f in ops]
        dv = [(find(results, "dovecot", w, o) or {}).get(f, 0) for w, o, f in ops]
        fig, ax = plt.subplots(figsize=(max(6, 1.3 * len(ops)), 4.5))
        x = range(len(ops))
        ax.bar([i - 0.2 for i in x], hv, 0.4, label="Hadron")
        ax.bar([i + 0.2 for i in x], dv, 0.4, label="Dovecot 2.3.19")
        ax.set_xticks(list(x))
        ax.set_xticklabels(labels, fontsize=7)
        ax.set_title(title)
        if name != "throughput":
            ax.set_yscale("log")
        ax.legend()
        fig.tight_layout()
        path = os.path.join(outdir, "bench-%s.png" % name)
        fig.savefig(path, dpi=90)
        plt.close(fig)
        made.append(path)
    return made


def machine_notes():
    notes = []
    try:
        with open("/proc/cpuinfo") as f:
            models = [l.split(":", 1)[1].strip() for l in f if l.startswith("model name")]
        notes.append("CPU: %d × %s" % (len(models), models[0] if models else "?"))
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            notes.append("RAM: " + f.readline().split(":", 1)[1].strip())
    except OSError:
        pass
    notes.append("kernel %s, %s" % (platform.release(), platform.platform()))
    notes.append("load average at the start: %.2f %.2f %.2f" % os.getloadavg())
    notes.append("descriptors per process (RLIMIT_NOFILE): %d" %
                 resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    try:
        dv = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
        notes.append("Dovecot " + dv + " (Debian dovecot-imapd, Maildir, default fsync settings)")
    except OSError:
        pass
    return notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default="", help="comma-separated workloads")
    ap.add_argument("--idle", type=int, default=10000, help="IDLE connections (full mode)")
    ap.add_argument("--dovecot_idle", type=int, default=0,
                    help="IDLE connections for Dovecot (default: as many as Hadron reached, at "
                         "most %d: one imap process each)" % DOVECOT_IDLE_CAP)
    ap.add_argument("--idle_frontends", type=int, default=2, choices=(1, 2),
                    help="Hadron frontends the IDLE sessions are spread over (issue 8: 50,000 on "
                         "one frontend for the memory, 10,000 over two for APPEND->EXISTS)")
    ap.add_argument("--param", action="append", default=[],
                    help="WORKLOAD=--flag=value: extra loadgen flag (overrides), repeatable")
    ap.add_argument("--servers", default="hadron,dovecot")
    ap.add_argument("--reuse", default="",
                    help="results JSON of an earlier run: kept for the workloads not run now")
    ap.add_argument("--write_docs", action="store_true", help="write docs/benchmarks.md + PNGs")
    ap.add_argument("--profile", default="",
                    help="DIR: perf-record the Hadron processes during each workload, "
                         "reports in DIR/<workload>.txt")
    args = ap.parse_args()
    params = SMOKE if args.smoke else FULL
    if args.profile:
        import shutil
        if not shutil.which("perf"):
            print("bench: --profile needs perf (apt-get install linux-perf)", file=sys.stderr)
            return 2
    workloads = ["append", "mixed", "select", "fetchbody", "idle"]
    if args.only:
        workloads = [w for w in workloads if w in args.only.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 400000), max(hard, 400000)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    notes = machine_notes()
    if args.smoke:
        # The checks must be able to fail: loadgen against a scripted server that lies.
        import checks_selftest
        if checks_selftest.main(loadgen_bin()) != 0:
            return 1
    all_results = []
    failed = []
    commands = []
    t_start = time.time()
    for cls in (Hadron, Dovecot):
        if cls.label not in args.servers.split(","):
            continue
        workdir = tempfile.mkdtemp(prefix="hadron-bench-")
        server = cls(workdir).start()
        try:
            for wl in workloads:
                a = list(params[wl])
                if wl == "idle" and not args.smoke:
                    n = args.idle
                    if cls is Dovecot:
                        # Same count as Hadron established (its scrypt LOGIN bounds the setup).
                        est = [r.get("connections") for r in all_results
                               if r["server"] == "hadron" and r["op"] == "IDLE memory"]
                        n = args.dovecot_idle or min(int(est[0]) if est and est[0] else n,
                                                     DOVECOT_IDLE_CAP)
                    # loadgen holds every IDLE connection in one process, a frontend up to all
                    # of them: neither can go past the descriptor limit (raising the hard limit
                    # needs root with CAP_SYS_RESOURCE). Stop short of it instead of failing on
                    # EMFILE half way.
                    if n > fd_limit - 256:
                        print("bench: RLIMIT_NOFILE is %d here (the hard limit could not be "
                              "raised): %d IDLE connections instead of %d" % (
                                  fd_limit, fd_limit - 256, n), flush=True)
                        n = fd_limit - 256
                    a = [x % n if "%d" in x else x for x in a]
                    if cls is Dovecot:
                        a.append("--allow_missed=1")  # slow past 30 s is a figure, not a failure
                a += [p.split("=", 1)[1] for p in args.param if p.split("=", 1)[0] == wl]
                prof = None
                if args.profile and cls is Hadron:
                    os.makedirs(args.profile, exist_ok=True)
                    prof = Profiler(args.profile, wl, server)
                try:
                    ok, res, cmd = run_workload(
                        server, wl, a,
                        frontends=(args.idle_frontends if wl == "idle" and not args.smoke
                                   else 2 if wl == "idle" else 1))
                finally:
                    if prof:
                        prof.finish()
                if cls is Hadron:
                    commands.append(cmd)
                all_results.extend(res)
                if not ok:
                    failed.append("%s/%s" % (server.label, wl))
                if not server.alive():
                    break
        finally:
            server.stop()
            if cls is Hadron:
                import shutil
                shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.time() - t_start
    if args.reuse:
        with open(args.reuse) as f:
            earlier = json.load(f)
        ran = set(workloads)
        all_results = [r for r in earlier if r["workload"] not in ran] + all_results
    print()
    print(table(all_results))
    print("\nbench: %d workloads × 2 servers in %.0f s" % (len(workloads), elapsed))
    raw_path = os.path.join(tempfile.gettempdir(), "hadron-bench-results.json")
    with open(raw_path, "w") as f:
        json.dump(all_results, f, indent=1)
    print("bench: raw results in " + raw_path)
    if args.write_docs:
        pngs = plots(all_results, os.path.join(REPO, "docs"))
        write_docs(all_results, notes, pngs, elapsed, args)
    if failed:
        print("bench: FAILED: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


def write_docs(results, notes, pngs, elapsed, args):
    path = os.path.join(REPO, "docs", "benchmarks.md")
    intro = ""
    marker = "<!-- results below are generated by tests/bench/run.sh -->"
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
        if marker in text:
            intro = text.split(marker)[0]
    if not intro:
        intro = "# Benchmarks: Hadron against Dovecot\n\n"
    out = [intro.rstrip() + "\n", marker, "",
           "Command: `bash tests/bench/run.sh --idle %d%s` (%.0f s for the whole run)." % (
               args.idle, (" --dovecot_idle %d" % args.dovecot_idle) if args.dovecot_idle else "",
               elapsed), "",
           "Machine:", ""] + ["- " + n for n in notes] + [""]
    by_wl = {}
    for row in rows_for(results):
        by_wl.setdefault(row[0], []).append(row)
    for wl, rows in by_wl.items():
        out.append("### %s" % wl)
        out.append("")
        out.append("| operation | metric | Hadron | Dovecot | Hadron advantage |")
        out.append("|---|---|---|---|---|")
        for _, op, field, unit, higher, h, d in rows:
            r = ratio(h, d, higher)
            out.append("| %s | %s (%s) | %s | %s | %s |" % (
                op, field, unit, fmt(h), fmt(d), ("%.2f×" % r) if r is not None else "-"))
        extra = [r for r in results if r["workload"] == wl and r["op"] in ("populate",)]
        for e in extra:
            out.append("")
            out.append("%s: populated `%s` to %d messages in %.1f s (UID COPY doubling)." % (
                e["server"], e.get("mailbox", "?"), e.get("messages", 0), e.get("seconds", 0)))
        idle = [r for r in results if r["workload"] == wl and r["op"] == "IDLE memory"]
        for e in idle:
            out.append("")
            out.append("%s: %d of %d IDLE connections established in %.0f s (%.0f logins/s); "
                       "server processes: %d." % (
                           e["server"], e["connections"], e["wanted"], e["setup_seconds"],
                           e["logins_per_s"], e["procs"]))
        out.append("")
    for p in pngs:
        out.append("![%s](%s)" % (os.path.basename(p), os.path.basename(p)))
        out.append("")
    with open(path, "w") as f:
        f.write("\n".join(out))
    print("bench: wrote " + path)


if __name__ == "__main__":
    sys.exit(main())
