// Memory over many calls (issue 15), at small counts (tools/soak.mjs runs
// the long version): load/dispose cycles and classify calls leave the wasm
// heap flat with 1 and 2 threads; a 1 GiB image leaves nothing behind, so
// a second model takes one too; images the module cannot hold are refused
// with a QwasmError before anything is copied, and the module keeps working.
// Wasm memory never shrinks, so its size (HEAPU8.length) is the high-water
// mark of everything the module allocated.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { decodeImage, load, QwasmError } from 'qwasm';
import { runtime } from '../../web/wasm-node.js';

const SHARED = new URL('../../../shared/', import.meta.url);
const MOBILENET = new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED).pathname;
const MB = 1024 * 1024;
const THREADS = availableParallelism() >= 2 ? [1, 2] : [1];

// Zeroed bytes that are never written by JS (so never resident), or null
// (the test skips) where the machine will not reserve that much.
function reserve(bytes, t) {
  try {
    return new Uint8Array(bytes);
  } catch {
    t.skip(`this machine will not reserve ${Math.round(bytes / 1e9 * 10) / 10} GB`);
    return null;
  }
}

async function cat() {
  return { ...(await decodeImage(await readFile(new URL('images/cat.bmp', SHARED)))), channels: 4 };
}

for (const threads of THREADS) {
  describe(`threads: ${threads}`, () => {
    it('50 load/dispose cycles of two models, beside a loaded model: the heap stays flat after the first 10', { timeout: 20_000 }, async () => {
      const module = await runtime.getModule({ threads });
      // Another live model: before the worker threads were shared, each load
      // then failed a pthread_create, which leaked its 2 MB stack.
      const resident = await load(undefined, { threads });
      for (const source of [undefined, MOBILENET]) {
        let after10;
        for (let i = 1; i <= 50; i++) {
          const m = await load(source, { threads });
          assert.equal(m.threads, threads);
          m.dispose();
          if (i === 10) after10 = module.HEAPU8.length;
        }
        assert.ok(module.HEAPU8.length - after10 <= MB, `${source ?? 'default model'}: heap ${after10} -> ${module.HEAPU8.length}`);
      }
      resident.dispose();
    });

    it('300 classify calls: the heap stays flat', { timeout: 20_000 }, async () => {
      const module = await runtime.getModule({ threads });
      const model = await load(MOBILENET, { threads });
      try {
        const photo = await cat();
        const first = await model.classify(photo, { topK: 1 });
        const heap = module.HEAPU8.length;
        for (let i = 0; i < 300; i++) assert.equal((await model.classify(photo, { topK: 1 }))[0].index, first[0].index);
        assert.equal(module.HEAPU8.length, heap);
      } finally {
        model.dispose();
      }
    });
  });
}

// The images here are larger than maxPixels' default (64 M pixels): these
// tests are about what the wasm module does with them, so they raise it.
const BIG = { threads: 1, maxPixels: 40000 * 40000 };

describe('large images', () => {
  it('a 16384² RGBA image twice on two models, then a photo: no growth after the first, right answers', { timeout: 30_000 }, async (t) => {
    const data = reserve(16384 * 16384 * 4, t);
    if (!data) return;
    const module = await runtime.getModule({ threads: 1 });
    const models = [await load(undefined, BIG), await load(MOBILENET, BIG)];
    try {
      const photo = await cat();
      const expected = (await models[1].classify(photo, { topK: 1 }))[0];
      // 1 GiB of zeros.
      const big = { data, width: 16384, height: 16384, channels: 4 };
      // A black image at this size gives the same answer as a small black one.
      const black = { data: new Uint8Array(64 * 64 * 4), width: 64, height: 64, channels: 4 };
      let heap;
      for (const m of models) {
        const small = (await m.classify(black, { topK: 1 }))[0];
        for (let k = 0; k < 2; k++) {
          assert.equal((await m.classify(big, { topK: 1 }))[0].index, small.index);
          heap ??= module.HEAPU8.length;
          // The 1 GiB staged for the first call was freed: nothing grows again.
          assert.equal(module.HEAPU8.length, heap);
        }
      }
      const again = (await models[1].classify(photo, { topK: 1 }))[0];
      assert.deepEqual(again, expected);
    } finally {
      for (const m of models) m.dispose();
    }
  });

  it('images the module cannot take are refused before anything is staged; the module keeps working', { timeout: 20_000 }, async (t) => {
    const gray = reserve(40000 * 40000, t);
    const rgba = gray && reserve(24000 * 24000 * 4, t);
    if (!rgba) return;
    const module = await runtime.getModule({ threads: 1 });
    const model = await load(MOBILENET, BIG);
    try {
      const photo = await cat();
      const expected = (await model.classify(photo, { topK: 1 }))[0];
      const heap = module.HEAPU8.length;
      // Past the side limit (gray, so that its 1.6 GB fit in a typed array).
      const side = { data: gray, width: 40000, height: 40000, channels: 1 };
      await assert.rejects(model.classify(side),
        (e) => e instanceof QwasmError && e.message === 'image size 40000x40000 is not supported (1..32768 per side)');
      await assert.rejects(model.preprocess(side), /1\.\.32768 per side/);
      // Within the side limit, past what 32-bit wasm memory can hold.
      const wide = { data: rgba, width: 24000, height: 24000, channels: 4 };
      await assert.rejects(model.classify(wide),
        (e) => e instanceof QwasmError && e.message === 'image needs 2197 MB, more than the 2048 MB that wasm memory can hold');
      assert.equal(module.HEAPU8.length, heap, 'nothing was allocated for them');
      assert.deepEqual((await model.classify(photo, { topK: 1 }))[0], expected);
    } finally {
      model.dispose();
    }
  });

  it('an image that fits wasm memory but not its free part is a QwasmError, not an abort', { timeout: 30_000 }, async (t) => {
    const data = reserve(23160 * 23160 * 4, t);
    if (!data) return;
    // 23160² RGBA: 2046 MB, under the 2048 MB maximum, more than can be free
    // beside the module's own data.
    const module = await runtime.getModule({ threads: 1 });
    const model = await load(undefined, BIG);
    try {
      const black = { data: new Uint8Array(64 * 64 * 4), width: 64, height: 64, channels: 4 };
      const expected = (await model.classify(black, { topK: 1 }))[0];
      const huge = { data, width: 23160, height: 23160, channels: 4 };
      await assert.rejects(model.classify(huge),
        (e) => e instanceof QwasmError && /^image needs 2046 MB, more than the \d+ MB free in wasm memory \(at most 2048 MB\)$/.test(e.message));
      assert.deepEqual((await model.classify(black, { topK: 1 }))[0], expected);
      assert.ok(module.HEAPU8.length < 2047 * MB);
    } finally {
      model.dispose();
    }
  });
});
