# Differential check: runs each case of mime_cases.py through //common/mime:mime_dump and compares
# with Dovecot output files produced by probe_mime.py (args: output files).
import sys, re, subprocess, ast
import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mime_cases as msgs
DUMP='/work/main/bazel-bin/common/mime/mime_dump'
lines=[]
for fn in sys.argv[1:]:
    for l in open(fn):
        if not l.strip(): continue
        name, item, rep = l.rstrip('\n').split(' ', 2)
        if item.startswith('BODY.PEEK[HEADER.FIELDS') or 'HEADER.FIELDS' in item:
            m = re.match(r"(.*?) (\(.*\))\]'? (b'.*)", l.rstrip('\n').split(' ',1)[1])
            item = m.group(1)+' '+m.group(2)+']'; rep = m.group(3)
        lines.append((name,item,ast.literal_eval(rep)))
ok=bad=0
for name,item,resp in lines:
    raw = msgs.M[name][0]
    open('/tmp/mime_case.eml','wb').write(raw)
    if item in ('ENVELOPE','BODY','BODYSTRUCTURE'):
        spec=item
        exp = resp.split((' '+item+' ').encode(),1)[1][:-1]
    elif item=='RFC822.SIZE':
        continue
    else:
        sec = item[len('BODY.PEEK['):-1]
        m = re.match(r'(.*?)\s*\((.*)\)$', sec)
        if m:
            spec = m.group(1)+':'+','.join(m.group(2).split())
        else:
            spec = sec
        exp = resp.split(b'] ',1)[1][:-1]
    got = subprocess.run([DUMP,'/tmp/mime_case.eml',spec],capture_output=True).stdout[:-1]
    if got==exp: ok+=1
    else:
        bad+=1
        print('MISMATCH',name,item); print('  dovecot',exp); print('  ours   ',got)
print('ok',ok,'bad',bad)
