// page.js — the in-browser half of the benchmark (driven by bench/run.mjs).
//
// One page hosts one runtime at one thread count, because tfjs-tflite, ONNX
// Runtime and LiteRT.js fix their thread pool (or build) when they start.
// Every runtime gets the same raw input tensor and is timed on: copy input
// in, inference, copy output out (no image preprocessing). window.bench:
//   open(runtime, threads)          loads the runtime's code
//   load(url, inputB64, shape)      loads a model; returns {threads, build, top1}
//                                   (build: the wasm files, where the runtime picks one itself)
//   measure(seconds, minRuns)       timed runs on that input: ms per run
//   threadStats()                   qwasm only: its thread pool counters so far, else null
//   unload()
//   gemm(seconds, shapes)           the GEMM microbenchmark module
// A page opened with ?cold=<runtime>&model=<url>&threads=N&shape=1,H,W,C
// instead measures its own start-up: window.coldResult holds the times since
// navigation start at which the runtime was ready, the model loaded and the
// first inference result was in.
function script(src) {
  return new Promise((resolve, reject) => {
    const s = Object.assign(document.createElement('script'), { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

const argmax = (a) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

// Each opener returns {load(url, shape)} -> {threads, run(input) -> output, dispose()}.
const RUNTIMES = {
  async qwasm(threads) {
    const { load } = await import('/web/index.js');
    return {
      async load(url) {
        const m = await load(url, { threads });  // threads > 1: the pthreads build, dist/qwasm-mt.*
        // The kernel table it runs: model.kernels ('wasmrelaxed' | 'wasmsimd'); from the handle where web/ predates it.
        const kernels = m.kernels ?? m._handle?.info?.().kernels ?? null;
        return { threads: m.threads, build: kernels && `kernels ${kernels}`, run: (x) => m.run(x), dispose: () => m.dispose(),
          // The module's thread pool counters (handle.threadStats(), runtime/threadpool.h), where the build has them.
          threadStats: () => m._handle?.threadStats?.() ?? null };
      },
    };
  },

  async tflite(threads) {
    // tf-core (global tf) -> backend-cpu (registers 'cpu') -> tf-tflite (global tflite).
    for (const f of ['@tensorflow/tfjs-core/dist/tf-core.min.js', '@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js',
      '@tensorflow/tfjs-tflite/dist/tf-tflite.min.js']) await script(`/node_modules/${f}`);
    await tf.setBackend('cpu');
    await tf.ready();
    tflite.setWasmPath('/node_modules/@tensorflow/tfjs-tflite/wasm/');  // trailing slash required
    return {
      async load(url) {
        const runner = (await tflite.loadTFLiteModel(url, { numThreads: threads })).modelRunner;
        return {
          threads,  // as requested: tfjs-tflite cannot report it
          run(x) {
            runner.getInputs()[0].data().set(x);  // views onto the wasm heap: re-fetch every call
            if (!runner.infer()) throw new Error('TFLite infer() failed');
            return runner.getOutputs()[0].data().slice();
          },
          dispose: () => runner.cleanUp(),
        };
      },
    };
  },

  async litert(threads) {
    // dist/index.js imports '@litertjs/wasm-utils' by its bare name: page.html's import map resolves it.
    const lrt = await import('/node_modules/@litertjs/core/dist/index.js');
    // Given a directory, loadLiteRt picks the build itself (dist/index.js, load()): it
    // instantiates a tiny relaxed-SIMD module; if that works it loads
    // litert_wasm_threaded_internal.js with {threads: true}, litert_wasm_internal.js
    // without; if not, litert_wasm_compat_internal.js, and {threads: true} throws.
    const relaxedSimd = await lrt.supportsFeature('relaxedSimd');
    const threaded = threads > 1 && relaxedSimd;  // without relaxed SIMD: 1 thread, reported below
    await lrt.loadLiteRt('/node_modules/@litertjs/core/wasm/', { threads: threaded });
    // The build as fetched (the .wasm its script fetched), not as guessed from the probe.
    const build = [...new Set(performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname.split('/').pop())
      .filter((f) => /^litert_wasm_.*\.wasm$/.test(f)))].join(' + ');
    return {
      async load(url, shape) {
        const model = await lrt.loadAndCompile(url, { accelerator: 'wasm', cpuOptions: { numThreads: threaded ? threads : 1 } });
        return {
          threads: model.options.cpuOptions.numThreads,
          build: `${build || 'no litert_wasm_*.wasm fetched'}${relaxedSimd ? '' : ' (no relaxed SIMD: compat build, 1 thread)'}`,
          async run(x) {
            const input = new lrt.Tensor(x, shape);  // copies x into the wasm heap
            const outputs = await model.run(input);
            const y = outputs[0].toTypedArray();  // a copy out of the heap
            input.delete();
            for (const t of outputs) t.delete();
            return y;
          },
          dispose: () => model.delete(),
        };
      },
    };
  },

  async ort(threads) {
    const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    ort.env.wasm.numThreads = threads;
    return {
      async load(url, shape) {
        const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
        const [input] = session.inputNames, [output] = session.outputNames;
        return {
          threads: ort.env.wasm.numThreads,  // ORT drops to 1 when the page is not cross-origin isolated
          async run(x) {
            const result = await session.run({ [input]: new ort.Tensor(x instanceof Int8Array ? 'int8' : 'uint8', x, shape) });
            return result[output].data;
          },
          dispose: () => session.release(),
        };
      },
    };
  },
};

let runtime = null, model = null, input = null;

async function open(name, threads) {
  runtime = await RUNTIMES[name](threads);
  return { crossOriginIsolated };
}

async function load(url, inputB64, shape) {
  input = Uint8Array.from(atob(inputB64), (c) => c.charCodeAt(0));
  model = await runtime.load(url, shape);
  return { threads: model.threads, build: model.build ?? null, top1: argmax(await model.run(input)) };
}

/** Runs for at least `seconds` and `minRuns` runs; returns each run's ms. */
async function measure(seconds, minRuns = 1) {
  const times = [];
  const end = performance.now() + seconds * 1000;
  while (times.length < minRuns || performance.now() < end) {
    const t0 = performance.now();
    await model.run(input);
    times.push(performance.now() - t0);
  }
  return times;
}

const threadStats = () => model?.threadStats?.() ?? null;

async function unload() {
  await model?.dispose();
  model = null;
}

async function gemm(seconds, shapes) {
  const { GEMM_MODULE_PATH, runGemm } = await import('./gemm.mjs');
  const { default: create } = await import(`/${GEMM_MODULE_PATH}`);
  return runGemm(await create(), { seconds, shapes });
}

async function cold({ runtime: name, model: url, threads, shape }) {
  const r = await RUNTIMES[name](threads);
  const readyMs = performance.now();
  const m = await r.load(url, shape);
  const loadedMs = performance.now();
  // A deterministic input: start-up time does not depend on the pixels.
  const x = Uint8Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => (i * 7) & 255);
  const top1 = argmax(await m.run(x));
  return { readyMs, loadedMs, firstResultMs: performance.now(), top1, threads: m.threads, build: m.build ?? null };
}

const params = new URLSearchParams(location.search);
if (params.has('cold')) {
  window.coldResult = cold({
    runtime: params.get('cold'), model: params.get('model'), threads: Number(params.get('threads') ?? 1),
    shape: params.get('shape').split(',').map(Number),
  }).catch((e) => ({ error: e.message }));
}
window.bench = { open, load, measure, threadStats, unload, gemm };
