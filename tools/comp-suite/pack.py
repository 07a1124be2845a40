#!/usr/bin/env python3
"""pack.py OUT_DIR FIXTURE_DIR: pack extract.mjs output into the fixture of
test_comp_suite: cases.bin (all binaries concatenated) and cases.tsv (one line
a case: expectation, file:line, offset, length, the suite's message), with the
expectations of known.txt applied (unsupported / gap)."""
import os, sys
out, fix = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
known = {}
for line in open(os.path.join(here, 'known.txt')):
    if line.startswith('#') or not line.strip(): continue
    kind, *where = line.split()
    for w in where: known[w] = kind
blob = bytearray(); rows = []
for line in open(os.path.join(out, 'manifest.tsv')):
    f = line.rstrip('\n').split('\t')
    if len(f) < 3: continue
    cid, expect, where, msg = f[0], f[1], f[2], (f[3] if len(f) > 3 else '')
    if expect in ('noparse', 'malformed-text'): continue
    data = open(os.path.join(out, cid + '.wasm'), 'rb').read()
    if where in known: expect = known[where]
    rows.append('\t'.join([expect, where, str(len(blob)), str(len(data)), msg.replace('\t', ' ')]))
    blob += data
open(os.path.join(fix, 'cases.bin'), 'wb').write(blob)
open(os.path.join(fix, 'cases.tsv'), 'w').write('\n'.join(rows) + '\n')
