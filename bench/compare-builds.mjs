// compare-builds.mjs — is a change faster or slower? Runs the five shared
// MobileNets through two qwasm checkouts (each with its dist/ built) and
// prints the median ms per inference of each, their ratio, and whether the
// output bytes are equal.
//   node bench/compare-builds.mjs <checkout A> <checkout B> [threads] [--browser [seconds]]
// e.g. git worktree add ../base <commit> && (cd ../base && bash tools/build.sh wasm)
//      node bench/compare-builds.mjs ../base . 1
//
// Node (default): one process, interleaved rounds so machine noise hits both
// alike. Node 20 runs the SIMD128 kernels only (its relaxed dot saturates,
// and the load-time probe refuses it).
// --browser: both builds in one headless Chromium page (the relaxed
// kernels where the engine passes the probe), taking turns for `seconds`
// per model (default 10): run by run at 1 thread; at more, in turns of
// ~30 ms with a 3 ms pause, so that one build's spinning workers do not
// compete with the other's (run by run, the same build against itself at
// 2 threads gave a paired 1.15 on MobileNet v1 0.25; in turns, 0.99-1.02).
// Besides the ratio of medians it prints the median of the per-pair
// ratios: a shared host's speed steps for seconds at a time, and a pair of
// turns milliseconds apart sees the same step, so that figure resolves a
// 2-3% change where separate pages or rounds seconds apart do not.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// Arguments: --browser and its optional seconds (a number right after it)
// are taken out; what is left is A, B and the thread count.
const args = process.argv.slice(2);
const browserAt = args.indexOf('--browser');
let browserSeconds = 0;  // 0: Node mode
if (browserAt >= 0) {
  const next = args[browserAt + 1];
  const given = next !== undefined && /^[0-9.]+$/.test(next);
  browserSeconds = given ? Number(next) : 10;
  args.splice(browserAt, given ? 2 : 1);
}
const [aDir, bDir, threadsArg = '1'] = args;
if (!aDir || !bDir || !(browserAt < 0 || browserSeconds > 0)) {
  console.error('usage: node bench/compare-builds.mjs <checkout A> <checkout B> [threads] [--browser [seconds]]');
  process.exit(2);
}
const shared = resolve(new URL('../../shared', import.meta.url).pathname);
const entry = (dir) => import(pathToFileURL(resolve(dir, 'web/node.js')).href);
const threads = Number(threadsArg);
const models = [
  ['mobilenet_v1_0.25_128_quant', 40], ['mobilenet_v1_0.5_160_quant', 10], ['mobilenet_v1_0.75_192_quant', 4],
  ['mobilenet_v2_1.0_224_quant', 4], ['tf2_mobilenet_v2_1.0_224_ptq', 4],
];
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const bytesOf = (t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
if (browserAt >= 0) {
  await compareInBrowser();
} else {
  await compareInNode();
}

async function compareInNode() {
  const A = await entry(aDir);
  const B = await entry(bDir);
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
}

// Both checkouts side by side under one server (a temporary directory of
// links: /a/, /b/, and ../shared at /shared/), imported into one
// cross-origin-isolated page (threads > 1 needs it).
async function compareInBrowser() {
  const { mkdtemp, rm, symlink } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { startBrowser, blankPage } = await import('../tests/e2e/browser.mjs');
  const root = await mkdtemp(join(tmpdir(), 'qwasm-compare-'));
  await symlink(resolve(aDir), join(root, 'a'));
  await symlink(resolve(bDir), join(root, 'b'));
  const env = await startBrowser({ root, shared });
  const page = await blankPage(env);
  try {
    console.log(`A = ${aDir}, B = ${bDir}, ${threads} thread(s), Chromium ${env.browser.version()}, ${browserSeconds} s of run pairs per model`);
    for (const [name] of models) {
      const r = await page.evaluate(async ({ name, threads, seconds }) => {
        const [A, B] = [await import('/a/web/index.js'), await import('/b/web/index.js')];
        const url = `/shared/models/${name}.tflite`;
        const [ma, mb] = [await A.load(url, { threads }), await B.load(url, { threads })];
        const input = await ma.preprocess(await (await fetch('/shared/images/cat.bmp')).blob());
        const [oa, ob] = [await ma.run(input), await mb.run(input)];
        const same = oa.length === ob.length && oa.every((v, i) => v === ob[i]);
        for (let i = 0; i < 20; ++i) await ma.run(input), await mb.run(input);  // warm-up, tier-up
        // One thread: the builds alternate run by run. More: in turns of
        // ~30 ms with a pause between, long enough for the last build's
        // workers to stop spinning (threadpool.cc kSpin), which would
        // otherwise take a core from the next build's first milliseconds.
        const turns = [];  // per pair: [A's run times, B's run times]
        const turn = async (k) => {
          const t = [], stop = performance.now() + (threads > 1 ? 30 : 0);
          do {
            const t0 = performance.now();
            await (k ? mb : ma).run(input);
            t.push(performance.now() - t0);
          } while (performance.now() < stop);
          if (threads > 1) await new Promise((resolve) => setTimeout(resolve, 3));
          return t;
        };
        const end = performance.now() + seconds * 1000;
        for (let pair = 0; performance.now() < end; ++pair) {
          const t = [null, null];
          for (const k of pair % 2 ? [1, 0] : [0, 1]) t[k] = await turn(k);
          turns.push(t);
        }
        const kernels = [ma.kernels, mb.kernels];
        ma.dispose();
        mb.dispose();
        return { turns, same, kernels };
      }, { name, threads, seconds: browserSeconds });
      const [a, b] = [0, 1].map((k) => median(r.turns.flatMap((t) => t[k])));
      const ratios = r.turns.map(([ta, tb]) => median(tb) / median(ta));
      console.log(`${name.padEnd(30)} A ${a.toFixed(3)} ms  B ${b.toFixed(3)} ms  B/A ${(b / a).toFixed(3)}` +
        `  paired B/A ${median(ratios).toFixed(3)} (${ratios.length} pairs)  same bytes: ${r.same}  kernels: ${r.kernels.join(' / ')}`);
    }
  } finally {
    await env.close();
    await rm(root, { recursive: true, force: true });
  }
}
