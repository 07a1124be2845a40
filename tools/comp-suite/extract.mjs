// extract.mjs OUT FILE.wast... - the component modules of wast scripts as binaries (text
// through jco's wasm-tools parser, `binary` forms as their bytes) plus manifest.tsv
// (id, expectation, file:line, message, parse error). Used to make the fixture
// of test_comp_suite until `wasmfn wast` runs component scripts itself.
// JCO_API: path of jco's dist/api.js (jco >= 1.35: its wasm-tools parses the current suite)
const { parse } = await import(process.env.JCO_API || '@bytecodealliance/jco');
import fs from 'fs';
import path from 'path';
const out = process.argv[2];
fs.mkdirSync(out, { recursive: true });
let manifest = [];
let n = 0;
function skipWs(s, i) {
  for (;;) {
    if (i >= s.length) return i;
    if (/\s/.test(s[i])) { i++; continue; }
    if (s.startsWith(';;', i)) { while (i < s.length && s[i] !== '\n') i++; continue; }
    if (s.startsWith('(;', i)) { let d = 0; do { if (s.startsWith('(;', i)) { d++; i += 2; } else if (s.startsWith(';)', i)) { d--; i += 2; } else i++; } while (d > 0 && i < s.length); continue; }
    return i;
  }
}
// returns end index of the form starting at i
function formEnd(s, i) {
  if (s[i] === '"') { i++; while (s[i] !== '"') { if (s[i] === '\\') i++; i++; } return i + 1; }
  if (s[i] !== '(') { while (i < s.length && !/[\s()]/.test(s[i])) i++; return i; }
  i++;
  for (;;) {
    i = skipWs(s, i);
    if (s[i] === ')') return i + 1;
    if (i >= s.length) throw new Error('eof');
    i = formEnd(s, i);
  }
}
function children(s, a, b) { // children of form s[a..b)
  let res = []; let i = a + 1;
  for (;;) { i = skipWs(s, i); if (i >= b - 1) break; const e = formEnd(s, i); res.push([i, e]); i = e; }
  return res;
}
function strBytes(lit) { // "..." wast string to bytes
  const r = []; let i = 1;
  while (i < lit.length - 1) {
    const c = lit[i];
    if (c === '\\') {
      const d = lit[i + 1];
      if (/[0-9a-fA-F]/.test(d) && /[0-9a-fA-F]/.test(lit[i + 2])) { r.push(parseInt(lit.substr(i + 1, 2), 16)); i += 3; continue; }
      const m = { n: 10, t: 9, r: 13, '"': 34, "'": 39, '\\': 92 }[d];
      if (d === 'u') { const end = lit.indexOf('}', i); const cp = parseInt(lit.slice(i + 3, end), 16); r.push(...Buffer.from(String.fromCodePoint(cp))); i = end + 1; continue; }
      r.push(m); i += 2; continue;
    }
    const cp = lit.codePointAt(i); const ch = String.fromCodePoint(cp); r.push(...Buffer.from(ch)); i += ch.length;
  }
  return Buffer.from(r);
}
async function compForm(s, a, b) { // returns Buffer or throws
  const ch = children(s, a, b);
  let k = 1;
  const words = [];
  while (k < ch.length) { const t = s.slice(ch[k][0], ch[k][1]); if (t === 'definition' || t.startsWith('$')) { words.push(t); k++; } else break; }
  if (k < ch.length && s.slice(ch[k][0], ch[k][1]) === 'instance') return null;
  const kw = k < ch.length ? s.slice(ch[k][0], ch[k][1]) : '';
  if (kw === 'binary') {
    return Buffer.concat(ch.slice(k + 1).map(([x, y]) => strBytes(s.slice(x, y))));
  }
  let text;
  if (kw === 'quote') text = '(component ' + ch.slice(k + 1).map(([x, y]) => strBytes(s.slice(x, y)).toString()).join(' ') + ')';
  else text = '(component ' + (words.filter(w => w.startsWith('$')).join(' ')) + ' ' + ch.slice(k).map(([x, y]) => s.slice(x, y)).join('\n') + ')';
  return Buffer.from(await parse(text));
}
for (const file of process.argv.slice(3)) {
  const s = fs.readFileSync(file, 'utf8');
  let i = 0;
  for (;;) {
    i = skipWs(s, i); if (i >= s.length) break;
    const e = formEnd(s, i);
    const head = s.slice(i, Math.min(e, i + 40));
    const line = s.slice(0, i).split('\n').length;
    let expect = null, cf = null, msg = '';
    if (/^\(component\b/.test(head)) { expect = 'valid'; cf = [i, e]; }
    else if (/^\(assert_(invalid|malformed|unlinkable)\b/.test(head)) {
      const ch = children(s, i, e);
      const kind = s.slice(ch[0][0], ch[0][1]).replace('assert_', '');
      if (ch[1] && s.slice(ch[1][0], ch[1][1]).startsWith('(component')) {
        cf = ch[1]; expect = kind === 'unlinkable' ? 'valid' : kind;
        msg = ch[2] ? s.slice(ch[2][0], ch[2][1]) : '';
      }
    }
    if (cf) {
      let bytes = null, err = null;
      try { bytes = await compForm(s, cf[0], cf[1]); } catch (ex) { err = String(ex).split('\n')[0]; }
      const id = String(n++).padStart(5, '0');
      if (bytes) fs.writeFileSync(path.join(out, id + '.wasm'), bytes);
      manifest.push([id, bytes ? expect : (expect === 'malformed' && err ? 'malformed-text' : 'noparse'), path.basename(file) + ':' + line, msg, err || ''].join('\t'));
    }
    i = e;
  }
}
fs.writeFileSync(path.join(out, 'manifest.tsv'), manifest.join('\n') + '\n');
