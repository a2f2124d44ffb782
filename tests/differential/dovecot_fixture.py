"""Starts a private Dovecot 2.3 IMAP server on a free loopback port, for differential tests.

Usage:
    with DovecotFixture() as dc:
        imap = dc.connect()           # imaplib.IMAP4, logged in as "user"/"pass"
        uid = dc.append(imap, b"Subject: x\r\n\r\nbody\r\n")
        print(dc.fetch_raw(imap, uid, "BODYSTRUCTURE"))

Or from the shell: python3 dovecot_fixture.py message.eml ITEM [ITEM...]
prints the raw FETCH response of each item for the message.
"""

import imaplib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DovecotFixture:
    """A throwaway dovecot -F instance: temp dir, static passdb (any user, password 'pass')."""

    def __init__(self, extra_conf=""):
        self.extra_conf = extra_conf
        self.dir = None
        self.proc = None
        self.port = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="dovecot-fixture-")
        self.port = _free_port()
        base = os.path.join(self.dir, "run")
        os.makedirs(base)
        conf = os.path.join(self.dir, "dovecot.conf")
        uid = os.getuid()
        gid = os.getgid()
        import pwd
        import grp
        user = pwd.getpwuid(uid).pw_name
        group = grp.getgrgid(gid).gr_name
        login_user = user
        if uid == 0:
            # Login processes refuse to run as root; use Debian's unprivileged accounts.
            # userdb may not hand out uid 0 either: store mail as the dovecot account.
            user, group, login_user = "dovecot", "dovecot", "dovenull"
            os.chmod(self.dir, 0o755)
            uid = pwd.getpwnam("dovecot").pw_uid
            gid = pwd.getpwnam("dovecot").pw_gid
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        os.chown(home, uid, gid)
        with open(conf, "w") as f:
            f.write(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {base}
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service pop3-login {{
  chroot =
}}
passdb {{
  driver = static
  args = password=pass
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.dir}/home/%u
}}
mail_location = maildir:{self.dir}/home/%u/Maildir
{self.extra_conf}
""")
        os.makedirs(os.path.join(self.dir, "state"))
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace")
                log = self._log()
                self.stop()
                raise RuntimeError(f"dovecot exited: {err} {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        log = self._log()
        self.stop()
        raise RuntimeError("dovecot did not start: " + log)

    def _log(self):
        if self.dir is None:
            return ""
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def connect(self, user="user"):
        imap = imaplib.IMAP4("127.0.0.1", self.port)
        imap.login(user, "pass")
        return imap

    @staticmethod
    def append(imap, raw, mailbox="INBOX"):
        """APPENDs raw bytes; returns the new UID."""
        typ, data = imap.append(mailbox, None, None, raw)
        if typ != "OK":
            raise RuntimeError(f"APPEND failed: {data}")
        imap.select(mailbox)
        typ, data = imap.uid("SEARCH", None, "ALL")
        return int(data[0].split()[-1])

    @staticmethod
    def fetch_raw(imap, uid, item):
        """Returns the FETCH response for one item as raw bytes, literals inlined as {n}\\r\\n..."""
        typ, data = imap.uid("FETCH", str(uid), "(" + item + ")")
        if typ != "OK":
            raise RuntimeError(f"FETCH failed: {data}")
        out = b""
        for d in data:
            if isinstance(d, tuple):
                out += d[0] + b"\r\n" + d[1]
            else:
                out += d
        return out


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    with DovecotFixture() as dc:
        imap = dc.connect()
        uid = dc.append(imap, raw)
        for item in argv[2:]:
            sys.stdout.write(repr(dc.fetch_raw(imap, uid, item)) + "\n")
        imap.logout()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
