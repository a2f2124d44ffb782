"""The compose cluster (deploy/compose/docker-compose.yml) from the Hadron images, driven by a real
IMAP client. Run by deploy/test-images.sh, which builds the images, starts the cluster and sets:

  HADRON_COMPOSE    the compose command prefix (e.g. "/usr/bin/docker-compose -p NAME -f FILE")
  HADRON_IMAP_PORT  the frontend's IMAP port on 127.0.0.1
  HADRON_DOCKER     the docker client

Not part of tests/integration (it needs the engine and the images).
"""

import imaplib
import os
import shlex
import socket
import subprocess
import time
import uuid

import pytest


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail("%s not set: run deploy/test-images.sh" % name, pytrace=False)
    return value


def compose(*args, timeout=120):
    cmd = shlex.split(_env("HADRON_COMPOSE")) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def imap_port():
    return int(_env("HADRON_IMAP_PORT"))


def wait_login(deadline_s=90):
    """A logged-in imaplib connection as demo/demo, retrying while the cluster comes (back) up."""
    deadline = time.time() + deadline_s
    last = None
    while time.time() < deadline:
        try:
            conn = imaplib.IMAP4("127.0.0.1", imap_port(), timeout=10)
            try:
                conn.login("demo", "demo")
                return conn
            except imaplib.IMAP4.error as e:  # NO [UNAVAILABLE] while the statesvc is away
                last = e
                conn.logout()
        except (OSError, imaplib.IMAP4.abort) as e:
            last = e
        time.sleep(1)
    pytest.fail("no IMAP login through the compose frontend within %ds: %r" % (deadline_s, last))


def container_id(service):
    out = compose("ps", "-q", service)
    assert out.returncode == 0, out.stderr
    cid = out.stdout.strip()
    assert cid, "service %s has no container" % service
    return cid


def test_demo_account_job_succeeded():
    cid = container_id("demo-account")
    docker = _env("HADRON_DOCKER")
    state = subprocess.run([docker, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", cid],
                           capture_output=True, text=True, timeout=30)
    assert state.stdout.split() == ["exited", "0"], state.stdout + state.stderr


def test_servers_run_as_non_root_on_read_only_root():
    docker = _env("HADRON_DOCKER")
    for service in ("statesvc", "frontend"):
        cid = container_id(service)
        uid = subprocess.run([docker, "exec", cid, "id", "-u"], capture_output=True, text=True,
                             timeout=30)
        assert uid.stdout.strip() == "10001", (service, uid.stdout, uid.stderr)
        touch = subprocess.run([docker, "exec", cid, "touch", "/usr/local/bin/x"],
                               capture_output=True, text=True, timeout=30)
        assert touch.returncode != 0, "%s: root filesystem is writable" % service


def test_append_fetch_and_survive_statesvc_restart():
    subject = "compose %s" % uuid.uuid4().hex
    body = "hello from the compose test\r\n"
    message = ("From: a@example.com\r\nTo: demo@example.com\r\nSubject: %s\r\n\r\n%s"
               % (subject, body)).encode()

    conn = wait_login()
    typ, data = conn.append("INBOX", "(\\Flagged)", None, message)
    assert typ == "OK", data
    typ, data = conn.select("INBOX")
    assert typ == "OK", data
    exists = int(data[0])
    assert exists >= 1
    typ, data = conn.search(None, "SUBJECT", '"%s"' % subject)
    assert typ == "OK"
    (seq,) = data[0].split()
    typ, data = conn.fetch(seq, "(FLAGS BODY.PEEK[])")
    assert typ == "OK", data
    assert b"\\Flagged" in data[0][0]
    assert data[0][1] == message
    conn.logout()

    # Restart the statesvc container: RocksDB must come back from the named volume.
    out = compose("restart", "statesvc", timeout=180)
    assert out.returncode == 0, out.stderr

    conn = wait_login()
    typ, data = conn.select("INBOX")
    assert typ == "OK", data
    assert int(data[0]) == exists
    typ, data = conn.search(None, "SUBJECT", '"%s"' % subject)
    assert typ == "OK"
    (seq,) = data[0].split()
    typ, data = conn.fetch(seq, "(FLAGS BODY.PEEK[])")
    assert typ == "OK", data
    assert b"\\Flagged" in data[0][0]
    assert data[0][1] == message
    conn.logout()


def test_frontend_restart_keeps_serving():
    out = compose("restart", "frontend", timeout=180)
    assert out.returncode == 0, out.stderr
    conn = wait_login()
    typ, data = conn.select("INBOX")
    assert typ == "OK" and int(data[0]) >= 1, data
    conn.logout()


def test_backup_from_the_hadronctl_image():
    """hadronctl backup (from its image) makes the statesvc write a checkpoint into its volume."""
    port = _env("HADRON_GRPC_PORT")
    name = "ci-%s" % uuid.uuid4().hex[:8]
    out = compose("run", "--rm", "--no-deps", "--entrypoint", "hadronctl", "demo-account",
                  "--statesvc=127.0.0.1:%s" % port, "backup", "--dir=" + name, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "checkpoint /var/lib/hadron/backups/%s" % name in out.stdout, out.stdout
    docker = _env("HADRON_DOCKER")
    ls = subprocess.run([docker, "exec", container_id("statesvc"), "ls",
                         "/var/lib/hadron/backups/%s" % name], capture_output=True, text=True,
                        timeout=30)
    assert "CURRENT" in ls.stdout.split(), ls.stdout + ls.stderr
