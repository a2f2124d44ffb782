# Fetches Dovecot's renderings of each case in mime_cases.py: python3 probe_mime.py [CASE...] > out.txt
import sys; sys.path.insert(0,'/work/main/tests/differential'); import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dovecot_fixture import DovecotFixture
import mime_cases as msgs, json
names = sys.argv[1:] or list(msgs.M)
out = {}
with DovecotFixture() as dc:
    imap = dc.connect()
    for n in names:
        raw, items = msgs.M[n]
        uid = dc.append(imap, raw)
        out[n] = {}
        for it in items:
            r = dc.fetch_raw(imap, uid, it)
            print(n, it, repr(r))
