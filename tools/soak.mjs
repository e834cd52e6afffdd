#!/usr/bin/env node
// soak.mjs — does memory stay bounded over many calls? (issue 15)
//
//   npm run soak -- [--cycles N] [--classify M] [--every K] [--threads 1,2]
//                   [--models default,mobilenet] [--big] [--max-growth MB]
//                   [--browser] [--no-resident]
//
// For every thread count and model: N load/dispose cycles (while another
// model, the default one, stays loaded: the case that leaked 2 MB a cycle
// with threads before the worker threads were shared; --no-resident: alone),
// then M classify
// calls on one loaded model, printing the wasm heap (module.HEAPU8.length:
// wasm memory never shrinks, so it is the high-water mark of the module's
// allocations) and the process RSS every K steps, and the heap growth after
// the first 10 steps (the first ones grow the heap to its working size).
// --big adds the large-image checks (models loaded with maxPixels raised to
// 40000²): a 16384² RGBA image classified twice on two models, then a photo;
// a 40000² image (past 32768 per side) and a 24000² RGBA one (more than
// 2 GB) must be refused (QwasmError) without the module growing. Exits 1 when a growth exceeds --max-growth
// (default 1 MB) or a big-image check fails.
//
// --browser runs the cycles, calls and --big checks in headless Chromium instead (Debian's
// /usr/bin/chromium or QWASM_CHROMIUM, through playwright-core, on a
// cross-origin isolated page), printing the wasm heap and the page's JS heap
// (performance.memory) instead of RSS.
//
// Defaults: 1000 cycles, 10000 classify calls, every 100, threads 1 and 2,
// the default model and MobileNet v1 0.25 (../shared/models).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load, QwasmError } from 'qwasm';
import { runtime } from '../web/wasm-node.js';
import { decodeImage } from '../web/node.js';
import { readFile } from 'node:fs/promises';

const SHARED = fileURLToPath(new URL('../../shared/', import.meta.url));
const MODELS = {
  default: { path: undefined, photo: new URL('../demo/samples/fashion-mnist/0000-ankle-boot.png', import.meta.url) },
  mobilenet: { path: `${SHARED}models/mobilenet_v1_0.25_128_quant.tflite`, photo: `${SHARED}images/cat.bmp` },
};
const MB = 1024 * 1024;

function parseArgs(argv) {
  const o = { cycles: 1000, classify: 10000, every: 100, threads: [1, 2], models: ['default', 'mobilenet'], big: false, maxGrowth: 1, resident: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--cycles') o.cycles = Number(value());
    else if (a === '--classify') o.classify = Number(value());
    else if (a === '--every') o.every = Number(value());
    else if (a === '--threads') o.threads = value().split(',').map(Number);
    else if (a === '--models') o.models = value().split(',');
    else if (a === '--big') o.big = true;
    else if (a === '--browser') o.browser = true;
    else if (a === '--no-resident') o.resident = false;
    else if (a === '--max-growth') o.maxGrowth = Number(value());
    else if (a === '-h' || a === '--help') {
      console.log('usage: node tools/soak.mjs [--cycles N] [--classify M] [--every K] [--threads 1,2] [--models default,mobilenet] [--big] [--max-growth MB] [--browser] [--no-resident]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const m of o.models) if (!MODELS[m]) throw new Error(`unknown model ${m} (default, mobilenet)`);
  return o;
}

const mb = (bytes) => (bytes / MB).toFixed(1);

/** Runs `steps` calls of step(i), reporting heap and RSS; returns the heap growth after step 10. */
async function soak(label, module, steps, every, step) {
  if (steps <= 0) return 0;
  const heap = () => module.HEAPU8.length;
  const start = heap();
  let after10 = null;
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    await step(i);
    if (i === Math.min(10, steps)) after10 = heap();
    if (i % every === 0 || i === steps) {
      console.log(`  ${label} ${String(i).padStart(6)}: heap ${mb(heap()).padStart(7)} MB  rss ${mb(process.memoryUsage.rss()).padStart(7)} MB  ${((performance.now() - t0) / i).toFixed(2)} ms/call`);
    }
  }
  const growth = heap() - after10;
  console.log(`  ${label}: heap ${mb(start)} MB at start, ${mb(after10)} MB after 10, ${mb(heap())} MB after ${steps}: growth ${mb(growth)} MB after the first 10`);
  return growth;
}

async function pixelsOf(photo) {
  const img = await decodeImage(await readFile(photo));
  return { ...img, channels: 4 };
}

function square(side) {
  // Not filled: the pixel values do not matter for memory, and filling 1 GiB takes seconds.
  return { data: new Uint8Array(side * side * 4), width: side, height: side, channels: 4 };
}

async function bigImages(threads) {
  let ok = true;
  const check = (cond, what) => {
    console.log(`  ${cond ? 'ok  ' : 'FAIL'} ${what}`);
    ok &&= cond;
  };
  const module = await runtime.getModule({ threads });
  // maxPixels raised (default 64 M pixels): these checks are about memory, not that option.
  const options = { threads, maxPixels: 40000 * 40000 };
  const models = [await load(undefined, options), await load(MODELS.mobilenet.path, options)];
  const photo = await pixelsOf(MODELS.mobilenet.photo);
  const reference = await models[1].classify(photo, { topK: 1 });
  const big = square(16384);
  for (const [i, m] of models.entries()) {
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      try {
        const r = await m.classify(big, { topK: 1 });
        check(r.length === 1, `16384² on model ${i} (${k + 1}): ${r[0].label} in ${(performance.now() - t0).toFixed(0)} ms, heap ${mb(module.HEAPU8.length)} MB`);
      } catch (e) {
        check(false, `16384² on model ${i} (${k + 1}): ${e}`);
      }
    }
  }
  const again = await models[1].classify(photo, { topK: 1 });
  check(again[0].index === reference[0].index && again[0].score === reference[0].score, `a photo afterwards: ${again[0].label} ${again[0].score.toFixed(3)}`);
  // Refused before anything is staged: past the side limit (gray, so that the
  // bytes fit in a typed array), and past what wasm memory can hold.
  for (const [side, channels] of [[40000, 1], [24000, 4]]) {
    const heapBefore = module.HEAPU8.length;
    const image = { data: new Uint8Array(side * side * channels), width: side, height: side, channels };
    try {
      await models[1].classify(image);
      check(false, `${side}² x ${channels} was accepted`);
    } catch (e) {
      check(e instanceof QwasmError && module.HEAPU8.length === heapBefore, `${side}² x ${channels} refused: ${e.message}`);
    }
  }
  const last = await models[1].classify(photo, { topK: 1 });
  check(last[0].index === reference[0].index, `the photo again: ${last[0].label}`);
  for (const m of models) m.dispose();
  return ok;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.browser) return inBrowser(o);
  let ok = true;
  for (const threads of o.threads) {
    const module = await runtime.getModule({ threads });
    for (const name of o.models) {
      const { path, photo } = MODELS[name];
      if (path && !existsSync(path)) {
        console.log(`threads ${threads}, ${name}: skipped (${path} not found)`);
        continue;
      }
      console.log(`threads ${threads}, ${name}${o.resident ? ', beside a loaded model' : ''}:`);
      const resident = o.resident ? await load(undefined, { threads }) : null;
      const cycles = await soak('load/dispose', module, o.cycles, o.every, async () => {
        const m = await load(path, { threads });
        if (m.threads !== threads) throw new Error(`asked for ${threads} threads, got ${m.threads}`);
        m.dispose();
      });
      resident?.dispose();
      const pixels = await pixelsOf(photo);
      const model = await load(path, { threads });
      const calls = await soak('classify', module, o.classify, o.every * 10, () => model.classify(pixels, { topK: 1 }));
      model.dispose();
      for (const [what, growth] of [['load/dispose', cycles], ['classify', calls]]) {
        if (growth > o.maxGrowth * MB) {
          console.log(`  FAIL ${what}: heap grew ${mb(growth)} MB after the first 10 (limit ${o.maxGrowth} MB)`);
          ok = false;
        }
      }
    }
    if (o.big) {
      console.log(`threads ${threads}, big images:`);
      ok = (await bigImages(threads)) && ok;
    }
  }
  console.log(ok ? 'soak: ok' : 'soak: FAILED');
  process.exitCode = ok ? 0 : 1;
}

// The same cycles and calls in Chromium: the page runs them and reports
// every K steps through an exposed function.
async function inBrowser(o) {
  const { blankPage, startBrowser } = await import('../tests/e2e/browser.mjs');
  const env = await startBrowser({ isolation: true });
  let ok = true;
  try {
    const page = await blankPage(env, { isolation: true });
    await page.exposeFunction('soakLog', (line) => console.log(line));
    const paths = {
      default: { path: undefined, photo: '/demo/samples/fashion-mnist/0000-ankle-boot.png' },
      mobilenet: { path: '/shared/models/mobilenet_v1_0.25_128_quant.tflite', photo: '/shared/images/cat.bmp' },
    };
    for (const threads of o.threads) {
      for (const name of o.models) {
        console.log(`chromium, threads ${threads}, ${name}${o.resident ? ', beside a loaded model' : ''}:`);
        const growths = await page.evaluate(async ({ threads, path, photo, cycles, calls, every, resident }) => {
          const { load } = await import('/web/index.js');
          const mb = (b) => (b / 1048576).toFixed(1);
          const jsHeap = () => (performance.memory ? mb(performance.memory.usedJSHeapSize) : '?');
          const bitmap = await createImageBitmap(await (await fetch(photo)).blob());
          const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
          const ctx = canvas.getContext('2d');
          ctx.drawImage(bitmap, 0, 0);
          const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
          let module;
          async function soak(label, steps, k, step) {
            if (steps <= 0) return 0;
            let after10;
            const t0 = performance.now();
            for (let i = 1; i <= steps; i++) {
              await step();
              if (i === Math.min(10, steps)) after10 = module.HEAPU8.length;
              if (i % k === 0 || i === steps) {
                await soakLog(`  ${label} ${String(i).padStart(6)}: heap ${mb(module.HEAPU8.length).padStart(7)} MB  JS heap ${jsHeap().padStart(6)} MB  ${((performance.now() - t0) / i).toFixed(2)} ms/call`);
              }
            }
            const growth = module.HEAPU8.length - after10;
            await soakLog(`  ${label}: heap ${mb(after10)} MB after 10, ${mb(module.HEAPU8.length)} MB after ${steps}: growth ${mb(growth)} MB after the first 10`);
            return growth;
          }
          const first = await load(path, { threads });
          if (first.threads !== threads) throw new Error(`asked for ${threads} threads, got ${first.threads}`);
          module = first._module;
          first.dispose();
          const kept = resident ? await load(undefined, { threads }) : null;
          const g1 = await soak('load/dispose', cycles, every, async () => {
            const m = await load(path, { threads });
            if (m.threads !== threads) throw new Error(`asked for ${threads} threads, got ${m.threads}`);
            m.dispose();
          });
          kept?.dispose();
          const model = await load(path, { threads });
          const g2 = await soak('classify', calls, every * 10, () => model.classify(pixels, { topK: 1 }));
          model.dispose();
          return [g1, g2];
        }, { threads, ...paths[name], cycles: o.cycles, calls: o.classify, every: o.every, resident: o.resident });
        for (const [what, growth] of [['load/dispose', growths[0]], ['classify', growths[1]]]) {
          if (growth > o.maxGrowth * MB) {
            console.log(`  FAIL ${what}: heap grew ${mb(growth)} MB after the first 10 (limit ${o.maxGrowth} MB)`);
            ok = false;
          }
        }
      }
      if (o.big) {
        console.log(`chromium, threads ${threads}, big images:`);
        const checks = await page.evaluate(bigImagesInPage, { threads, ...paths.mobilenet });
        for (const [cond, what] of checks) {
          console.log(`  ${cond ? 'ok  ' : 'FAIL'} ${what}`);
          ok &&= cond;
        }
      }
    }
  } finally {
    await env.close();
  }
  console.log(ok ? 'soak: ok' : 'soak: FAILED');
  process.exitCode = ok ? 0 : 1;
}

// bigImages() in the page: returns [ok, what] pairs.
async function bigImagesInPage({ threads, path, photo }) {
  const { load, QwasmError } = await import('/web/index.js');
  const checks = [];
  const mb = (b) => (b / 1048576).toFixed(1);
  const options = { threads, maxPixels: 40000 * 40000 };
  const models = [await load(undefined, options), await load(path, options)];
  const module = models[1]._module;
  const blob = await (await fetch(photo)).blob();
  const reference = await models[1].classify(blob, { topK: 1 });
  const side = 16384;
  const big = { data: new Uint8Array(side * side * 4), width: side, height: side };
  for (let i = 0; i < big.data.length; i += 4096) big.data[i] = i & 255;
  for (const [i, m] of models.entries()) {
    for (let k = 0; k < 2; k++) {
      const t0 = performance.now();
      try {
        const r = await m.classify(big, { topK: 1 });
        checks.push([r.length === 1, `16384² on model ${i} (${k + 1}): ${r[0].label} in ${(performance.now() - t0).toFixed(0)} ms, heap ${mb(module.HEAPU8.length)} MB`]);
      } catch (e) {
        checks.push([false, `16384² on model ${i} (${k + 1}): ${e}`]);
      }
    }
  }
  big.data = null;
  const again = await models[1].classify(blob, { topK: 1 });
  checks.push([again[0].index === reference[0].index && again[0].score === reference[0].score, `a photo afterwards: ${again[0].label} ${again[0].score.toFixed(3)}`]);
  for (const [s, channels] of [[40000, 1], [24000, 4]]) {
    const heapBefore = module.HEAPU8.length;
    try {
      await models[1].classify({ data: new Uint8Array(s * s * channels), width: s, height: s, channels });
      checks.push([false, `${s}² x ${channels} was accepted`]);
    } catch (e) {
      checks.push([e instanceof QwasmError && module.HEAPU8.length === heapBefore, `${s}² x ${channels} refused: ${e.message}`]);
    }
  }
  const last = await models[1].classify(blob, { topK: 1 });
  checks.push([last[0].index === reference[0].index, `the photo again: ${last[0].label}`]);
  for (const m of models) m.dispose();
  return checks;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
