"""Self-test of loadgen's cross-session checks: a scripted IMAP server that is honest, or that
lies in one way, and loadgen's mixed workload against it. The honest server must pass; each lie
(a FETCH outside the client's view, an EXISTS that shrinks it, a UID that changes, a count that
differs from a fresh session's) must make loadgen fail naming the check. bench.py --smoke runs it
before the workloads, so the smoke test shows the checks can fail.
"""

import re
import socket
import subprocess
import sys
import threading

MESSAGES = 3


class FakeImap:
    def __init__(self, lie):
        self.lie = lie
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.uid_shift = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        f = conn.makefile("rb")
        send = lambda s: conn.sendall(s.encode())  # noqa: E731
        try:
            send("* OK fake IMAP ready\r\n")
            fetches = 0
            while True:
                line = f.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                tag, _, rest = line.partition(" ")
                verb = rest.split(" ", 1)[0].upper()
                m = re.search(r"\{(\d+)\}$", rest)
                if m:  # APPEND with a literal
                    send("+ go\r\n")
                    f.read(int(m.group(1)))
                    f.readline()
                if verb in ("SELECT", "EXAMINE"):
                    send("* %d EXISTS\r\n* 0 RECENT\r\n" % MESSAGES)
                    send("%s OK [READ-WRITE] done\r\n" % tag)
                    continue
                if verb == "STATUS":
                    n = MESSAGES + (1 if self.lie == "count" else 0)
                    send("* STATUS INBOX (MESSAGES %d)\r\n" % n)
                elif verb == "FETCH":
                    fetches += 1
                    if self.lie == "fetch_outside":
                        send("* %d FETCH (FLAGS ())\r\n" % (MESSAGES + 5))
                    shift = 10 * (fetches % 2) if self.lie == "uid_changes" else 0
                    for i in range(1, MESSAGES + 1):
                        send("* %d FETCH (UID %d FLAGS ())\r\n" % (i, i + shift))
                elif verb == "NOOP" and self.lie == "exists_shrinks":
                    send("* %d EXISTS\r\n" % (MESSAGES - 1))
                elif verb == "LOGOUT":
                    send("* BYE bye\r\n%s OK done\r\n" % tag)
                    return
                send("%s OK done\r\n" % tag)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.sock.close()


def run(loadgen, lie):
    fake = FakeImap(lie)
    try:
        p = subprocess.run([loadgen, "--workload=mixed", "--port=%d" % fake.port, "--user=u",
                            "--password=p", "--clients=2", "--duration=0.5", "--mailboxes=1",
                            "--seed=0", "--label=fake-" + lie, "--timeout=10"],
                           capture_output=True, text=True, timeout=60)
    finally:
        fake.close()
    return p.returncode, p.stderr


def main(loadgen):
    failures = []
    rc, err = run(loadgen, "none")
    if rc != 0:
        failures.append("honest server: loadgen failed: " + err[-1000:])
    expect = {"fetch_outside": "outside the view", "exists_shrinks": "shrinks the view",
              "uid_changes": "has UID", "count": "a fresh session"}
    for lie, words in expect.items():
        rc, err = run(loadgen, lie)
        if rc == 0 or words not in err:
            failures.append("lie %s: loadgen did not report it (rc %d): %s" % (lie, rc, err[-500:]))
    for f in failures:
        print("checks_selftest: " + f, file=sys.stderr)
    print("checks_selftest: %s" % ("FAILED" if failures else "the cross-session checks fire on "
                                    "all %d lies and pass the honest server" % len(expect)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
