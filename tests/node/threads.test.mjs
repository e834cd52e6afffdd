// Threads in Node: the multi-threaded module (dist/qwasm-mt) is picked when
// more than one thread is wanted, gives byte-identical results to the
// single-threaded one on the real models, and leaves no trace in the
// process (globals, exit handlers, a process that cannot exit).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { load, QwasmError } from 'qwasm';
import { runtime } from '../../web/wasm-node.js';
const { getModule } = runtime;

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const MODELS = [
  'mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.75_192_quant',
  'mobilenet_v2_1.0_224_quant', 'tf2_mobilenet_v2_1.0_224_ptq',
];
const PHOTOS = ['cat.bmp', 'parrot.jpg'];
const SMALL = `${SHARED}models/mobilenet_v1_0.25_128_quant.tflite`;
const CORES = availableParallelism();
const multiCore = { skip: CORES < 2 ? 'needs 2 cores' : false };

describe('threads: 2 against threads: 1', multiCore, () => {
  for (const name of MODELS) {
    it(`${name}: byte-identical outputs`, { timeout: 60_000 }, async () => {
      const path = `${SHARED}models/${name}.tflite`;
      const [one, two] = await Promise.all([load(path, { threads: 1 }), load(path, { threads: 2 })]);
      try {
        assert.equal(one.threads, 1);
        assert.equal(two.threads, 2);
        for (const photo of PHOTOS) {
          const input = await one.preprocess(`${SHARED}images/${photo}`);
          const a = one.run(input);
          const b = two.run(input);
          assert.deepEqual(Buffer.from(b.buffer), Buffer.from(a.buffer), `${photo}: outputs differ`);
          assert.deepEqual(await two.classify(`${SHARED}images/${photo}`), await one.classify(`${SHARED}images/${photo}`));
        }
      } finally {
        one.dispose();
        two.dispose();
      }
    });
  }
});

describe('models share the worker threads', multiCore, () => {
  it('every live model gets the threads it asks for, not only the first (issue 14)', { timeout: 60_000 }, async () => {
    const models = [await load(), await load(SMALL, { threads: 2 }), await load(`${SHARED}models/mobilenet_v2_1.0_224_quant.tflite`)];
    try {
      assert.deepEqual(models.map((m) => m.threads), [2, 2, 2]);
      // Interleaved runs on the shared threads give each model's single-threaded bytes.
      const one = await load(SMALL, { threads: 1 });
      const input = await one.preprocess(`${SHARED}images/cat.bmp`);
      for (let i = 0; i < 3; i++) {
        await models[0].classify(`${SHARED}images/cat.bmp`);
        assert.deepEqual(models[1].run(input), one.run(input));
      }
      one.dispose();
    } finally {
      for (const m of models) m.dispose();
    }
  });
});

describe('choosing the module', () => {
  it('threads > 1 uses the pthreads module, on shared memory', multiCore, async () => {
    const mt = await getModule({ threads: 2 });
    const st = await getModule({ threads: 1 });
    assert.notEqual(mt, st);
    assert.ok(mt.HEAPU8.buffer instanceof SharedArrayBuffer);
    assert.ok(!(st.HEAPU8.buffer instanceof SharedArrayBuffer));
  });

  it('defaults to min(cores, 4) threads', async () => {
    const m = await load(SMALL);
    try {
      assert.equal(m.threads, Math.min(CORES, 4));
    } finally {
      m.dispose();
    }
  });

  it('never uses more threads than cores', async () => {
    const m = await load(SMALL, { threads: 64 });
    try {
      assert.equal(m.threads, CORES);
    } finally {
      m.dispose();
    }
  });

  it('wasmBinary (the bytes of qwasm.wasm) means one thread', async () => {
    const wasmBinary = await readFile(new URL('../../dist/qwasm.wasm', import.meta.url));
    const m = await load(SMALL, { wasmBinary, threads: 2 });
    try {
      assert.equal(m.threads, 1);
    } finally {
      m.dispose();
    }
  });

  it('rejects a thread count that is not a positive integer', async () => {
    for (const threads of [0, -1, 1.5, '2', Number.NaN]) {
      await assert.rejects(load(SMALL, { threads }), (e) => e instanceof QwasmError && /option threads/.test(e.message), String(threads));
    }
  });

  it('load/dispose cycles keep their threads (workers are reused)', multiCore, async () => {
    const bytes = await readFile(SMALL);
    for (let i = 0; i < 10; i++) {
      const m = await load(bytes, { threads: 2 });
      assert.equal(m.threads, 2, `cycle ${i}`);
      m.dispose();
    }
  });
});

describe('the process', () => {
  const run = (script) => promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 20_000,
  });

  it('exits on its own, with no globals or exit handlers left behind', { timeout: 30_000 }, async () => {
    // A fresh process: worker threads must not keep it alive, and start-up
    // must not leave require / __dirname / Worker or Emscripten's rethrowing
    // handlers in it.
    const script = `
      import { load } from 'qwasm';
      const before = ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
      const m = await load(${JSON.stringify(SMALL)}, { threads: 2 });
      const top = await m.classify(${JSON.stringify(`${SHARED}images/cat.bmp`)}, { topK: 1 });
      const after = ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
      console.log(JSON.stringify({ threads: m.threads, top: top[0].index, globals: [typeof require, typeof __dirname, typeof Worker], before, after }));
    `;
    const r = JSON.parse((await run(script)).stdout);
    assert.equal(r.threads, Math.min(CORES, 2));
    assert.ok([282, 283, 286].includes(r.top));
    assert.deepEqual(r.globals, ['undefined', 'undefined', 'undefined']);
    assert.deepEqual(r.after, r.before);
  });

  it('falls back to one thread, with a warning, when the pthreads module cannot start', multiCore, async () => {
    // wasmUrl names a folder holding qwasm.wasm but not qwasm-mt.wasm.
    const dir = await mkdtemp(path.join(tmpdir(), 'qwasm-'));
    try {
      await copyFile(fileURLToPath(new URL('../../dist/qwasm.wasm', import.meta.url)), path.join(dir, 'qwasm.wasm'));
      const { stdout, stderr } = await run(`
        import { load } from 'qwasm';
        const options = { threads: 2, wasmUrl: ${JSON.stringify(pathToFileURL(path.join(dir, 'qwasm.wasm')).href)} };
        const m = await load(${JSON.stringify(SMALL)}, options);
        const again = await load(${JSON.stringify(SMALL)}, options);
        const top = await m.classify(${JSON.stringify(`${SHARED}images/cat.bmp`)}, { topK: 1 });
        console.log(JSON.stringify({ threads: [m.threads, again.threads], top: top[0].index }));
      `);
      const r = JSON.parse(stdout);
      assert.deepEqual(r.threads, [1, 1]);
      assert.ok([282, 283, 286].includes(r.top));
      assert.match(stderr, /qwasm: threads unavailable, running single-threaded: could not load qwasm-mt\.wasm/);
      assert.equal(stderr.match(/threads unavailable/g).length, 1, 'warned once');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
