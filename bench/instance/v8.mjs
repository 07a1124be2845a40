// v8.mjs - the anchor for bench/instance/run: the same componentize-js
// component in node's V8. jco transpiles it (its core modules and the
// Canonical ABI glue in JavaScript); V8 compiles the core modules once, then
// this times, as CPU per call of add(i, 1) (process.cpuUsage: user + system
// of the whole process, V8's helper threads and GC included):
//   warm   the same instance called again and again (the guest's work on a
//          state that is no longer pristine; V8's tier-up settled first);
//   fresh  a new instance per call, what wasmfn's every call is: V8
//          instantiates (its memory gets the 9 MB of data segments), the
//          call runs, and the instance is left to the GC;
//   first  the first call of a new instance alone (the instances of a batch
//          are made before its clock starts): the guest's own first-call
//          work, what wasmfn's call on a reset slot runs.
// Each line is the median of 21 batches (the JSON line, in microseconds).
// usage: node v8.mjs JCO_PACKAGE_DIR COMPONENT.wasm
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cpuUsage } from 'node:process';

const [jcoDir, wasm] = process.argv.slice(2);
if (!wasm) {
  console.error('usage: node v8.mjs JCO_PACKAGE_DIR COMPONENT.wasm');
  process.exit(2);
}
const jco = await import(pathToFileURL(join(jcoDir, 'src', 'api.js')).href);
const tmp = await mkdtemp(join(tmpdir(), 'wasmfn-v8-'));
const { files } = await jco.transpile(await readFile(wasm),
  { name: 'c', instantiation: 'sync', typescript: false, quiet: true });
await writeFile(join(tmp, 'c.mjs'), files['c.js']);
const glue = await import(pathToFileURL(join(tmp, 'c.mjs')).href);
await rm(tmp, { recursive: true });
const modules = new Map();
const core = f => {
  if (!modules.has(f)) modules.set(f, new WebAssembly.Module(files[f]));
  return modules.get(f);
};
const instantiate = () => glue.instantiate(core, {});

function cpuUs() {
  const u = cpuUsage();
  return u.user + u.system;
}
function medianUs(per, batch, prepare) {
  const t = [];
  for (let b = 0; b < 21; b++) {
    if (prepare) prepare(per);
    const t0 = cpuUs();
    batch(per);
    t.push((cpuUs() - t0) / per);
  }
  t.sort((x, y) => x - y);
  return Math.round(t[10] * 100) / 100;
}
function check(v, i) {
  if (v !== i + 1) throw new Error(`wrong answer: add(${i}, 1) = ${v}`);
}

const inst = instantiate();
// V8 compiles hot functions again in the background: let it settle
for (let i = 0; i < 200000; i++) check(inst.add(i, 1), i);
const warm = medianUs(20000, n => { for (let i = 0; i < n; i++) check(inst.add(i, 1), i); });
const fresh = medianUs(20, n => { for (let i = 0; i < n; i++) check(instantiate().add(i, 1), i); });
let made = [];
const first = medianUs(20, n => { for (let i = 0; i < n; i++) check(made[i].add(i, 1), i); },
  n => { made = Array.from({ length: n }, instantiate); });
console.log(JSON.stringify({ 'warm call (us)': warm, 'first call of a new instance (us)': first,
  'fresh instance + call (us)': fresh }));
