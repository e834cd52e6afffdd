// compare-builds.mjs — is a change faster or slower? Runs the five shared
// MobileNets through two qwasm checkouts (each with its dist/ built) in one
// Node process, in interleaved rounds so machine noise hits both alike, and
// prints the median ms per inference of each, their ratio, and whether the
// output bytes are equal.
//   node bench/compare-builds.mjs <checkout A> <checkout B> [threads]
// e.g. git worktree add ../base <commit> && (cd ../base && bash tools/build.sh wasm)
//      node bench/compare-builds.mjs ../base . 1
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [aDir, bDir, threadsArg = '1'] = process.argv.slice(2);
if (!aDir || !bDir) {
  console.error('usage: node bench/compare-builds.mjs <checkout A> <checkout B> [threads]');
  process.exit(2);
}
const shared = resolve(new URL('../../shared', import.meta.url).pathname);
const entry = (dir) => import(pathToFileURL(resolve(dir, 'web/node.js')).href);
const A = await entry(aDir);
const B = await entry(bDir);
const threads = Number(threadsArg);
const models = [
  ['mobilenet_v1_0.25_128_quant', 40], ['mobilenet_v1_0.5_160_quant', 10], ['mobilenet_v1_0.75_192_quant', 4],
  ['mobilenet_v2_1.0_224_quant', 4], ['tf2_mobilenet_v2_1.0_224_ptq', 4],
];
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const bytesOf = (t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
console.log(`A = ${aDir}, B = ${bDir}, ${threads} thread(s), 40 interleaved rounds`);
for (const [name, per] of models) {
  const file = new Uint8Array(readFileSync(`${shared}/models/${name}.tflite`));
  const [ma, mb] = [await A.load(file, { threads }), await B.load(file, { threads })];
  const image = `${shared}/images/cat.bmp`;
  const [ta, tb] = [await ma.preprocess(image), await mb.preprocess(image)];
  const same = bytesOf(ta).equals(bytesOf(tb)) && bytesOf(ma.run(ta)).equals(bytesOf(mb.run(tb)));
  const times = [[], []];
  for (let round = 0; round < 40; ++round) {
    const order = round % 2 ? [0, 1] : [1, 0];
    for (const k of order) {
      const [m, t] = k ? [mb, tb] : [ma, ta];
      const t0 = performance.now();
      for (let i = 0; i < per; ++i) m.run(t);
      times[k].push((performance.now() - t0) / per);
    }
  }
  const [a, b] = times.map(median);
  console.log(`${name.padEnd(30)} A ${a.toFixed(3)} ms  B ${b.toFixed(3)} ms  B/A ${(b / a).toFixed(3)}  same bytes: ${same}`);
  ma.dispose();
  mb.dispose();
}
