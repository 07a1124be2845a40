// adapt.mjs - turn preview 1 command modules into WASI 0.2 command
// components with the preview 1 command adapter that ships in jco (what
// `jco new IN --wasi-command -o OUT` does), many in one process so jco's
// wasm-tools is compiled once.
//
//   node adapt.mjs JCO_DIR IN1 OUT1 [IN2 OUT2 ...]
//
// JCO_DIR is a jco package (1.4 has its API in src/, later ones in dist/).
// Each OUT is written beside itself and renamed into place.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const [jcoDir, ...pairs] = process.argv.slice(2);
if (!jcoDir || pairs.length === 0 || pairs.length % 2) {
  console.error('usage: node adapt.mjs JCO_DIR IN OUT [IN OUT]...');
  process.exit(2);
}
// jco 1.4 has its API in src/, later ones in dist/.
async function loadJco(dir) {
  for (const api of ['src/api.js', 'dist/api.js']) {
    try {
      const jco = await import(pathToFileURL(`${dir}/${api}`));
      const adapter = await readFile(jco.preview1AdapterCommandPath());
      return { dir, jco, adapter };
    } catch (e) {
      if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  throw new Error(`no jco API in ${dir}`);
}
const { jco, adapter } = await loadJco(jcoDir);

for (let i = 0; i < pairs.length; i += 2) {
  const [input, output] = [pairs[i], pairs[i + 1]];
  const core = await readFile(input);
  let component;
  try {
    component = await jco.componentNew(core, [['wasi_snapshot_preview1', adapter]]);
  } catch (e) {
    console.error(`adapt.mjs: ${input}: ${e.message ?? e}`);
    process.exit(1);
  }
  const tmp = `${output}.${process.pid}.tmp`;
  await writeFile(tmp, component);
  await rename(tmp, output);
}
