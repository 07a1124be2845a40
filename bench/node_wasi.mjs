// node_wasi.mjs - times one run of a WASI preview 1 command module in node's
// WebAssembly (V8) with node:wasi; the third runner of bench/wasi_bench.
//
// usage: node node_wasi.mjs [--time FILE] [--dir DIR] FILE.wasm [ARG...]
//
// Same contract as bench_wasi: this process's stdio, DIR preopened as ".",
// a `bench` module whose start/end mark the measured region (else the whole
// _start call), time written to FILE as "MS region|run": CPU time (user +
// system) of this process, as bench_wasi measures; for node that includes
// its helper threads (V8 compiling tiers up in the background, GC).
// Compilation and instantiation are outside the measured region.
import { readFileSync, writeFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { argv, exit, cpuUsage, emitWarning } from 'node:process';

process.removeAllListeners('warning');     // node:wasi is "experimental": keep stderr clean
void emitWarning;

let args = argv.slice(2), timeFile = null, dir = null;
while (args.length && args[0].startsWith('--')) {
  if (args[0] === '--time') timeFile = args[1];
  else if (args[0] === '--dir') dir = args[1];
  else break;
  args = args.slice(2);
}
if (!args.length) {
  console.error('usage: node node_wasi.mjs [--time FILE] [--dir DIR] FILE.wasm [ARG...]');
  exit(2);
}

const ms = () => { const u = cpuUsage(); return (u.user + u.system) / 1e3; };
const wasi = new WASI({
  version: 'preview1',
  args,
  env: {},
  preopens: dir ? { '.': dir } : {},
  returnOnExit: true,
});
const region = { start: 0, end: 0, starts: 0, ends: 0 };
const bench = {
  start() { if (!region.starts++) region.start = ms(); },
  end() { region.end = ms(); region.ends++; },
};
const module = await WebAssembly.compile(readFileSync(args[0]));
const instance = await WebAssembly.instantiate(module, {
  wasi_snapshot_preview1: wasi.wasiImport,
  bench,
});
const t0 = ms();
const status = wasi.start(instance);
const t1 = ms();
const isRegion = region.starts === 1 && region.ends === 1;
if (timeFile)
  writeFileSync(timeFile, `${(isRegion ? region.end - region.start : t1 - t0).toFixed(3)} ${isRegion ? 'region' : 'run'}\n`);
exit(status ?? 0);
