"""Opens N sessions (LOGIN, SELECT INBOX, IDLE) and holds them; writes READY once all idle."""
import socket, sys, time
port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
    f.readline()
    s.sendall(b"a LOGIN idle pw\r\n")
    while not f.readline().startswith(b"a "): pass
    s.sendall(b"b SELECT INBOX\r\n")
    while not f.readline().startswith(b"b "): pass
    s.sendall(b"c IDLE\r\n"); f.readline()
    socks.append((s, f))
print("idle sessions:", len(socks), flush=True)
time.sleep(8)
open(ready, "w").write("1")
time.sleep(60)
