// embed.mjs - embed a WIT world in a core module (what `jco embed` does):
// for a preview 1 module that also imports WASI 0.2 interfaces directly, as
// wit-bindgen's output does, before adapt.mjs makes it a component.
//
//   node embed.mjs JCO_DIR IN.wasm WIT_DIR WORLD OUT.wasm
//
// JCO_DIR is jco 1.4 (tools/jco's): its wasm-tools reads WIT_DIR (an
// absolute path; its deps/ folder holds the packages the world uses).
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const [jcoDir, input, witPath, world, output] = process.argv.slice(2);
if (!output) {
  console.error('usage: node embed.mjs JCO_DIR IN.wasm WIT_DIR WORLD OUT.wasm');
  process.exit(2);
}
const jco = await import(pathToFileURL(`${jcoDir}/src/api.js`));
try {
  const out = await jco.componentEmbed({ binary: await readFile(input), witPath, world });
  await writeFile(output, out);
} catch (e) {
  console.error(`embed.mjs: ${input}: ${e.message ?? e}`);
  process.exit(1);
}
