// main.js — the whole app of a web developer trying qwasm with a bundler
// (tests/e2e/bundlers.test.mjs lays it out as src/index.js of a fresh
// project, next to public/model.tflite and public/cat.bmp, and builds it).
// Classifies the cat photo and reports on window.__result, or the error on
// window.__error, for the test to read.
import { load } from 'qwasm';

async function main() {
  const started = performance.now();
  window.__loadStartedAt = started;
  try {
    // Two threads where the page is cross-origin isolated; load() falls back
    // to one elsewhere (the machine has 2 cores; the default is min(cores, 4)).
    const model = await load('model.tflite', { threads: 2 });
    const loadMs = performance.now() - started;
    const photo = await (await fetch('cat.bmp')).blob();
    const top = await model.classify(photo);
    window.__result = {
      threads: model.threads, top, isolated: globalThis.crossOriginIsolated === true,
      loadMs, totalMs: performance.now() - started,
    };
    document.querySelector('#out').textContent = `${top[0].label} (${model.threads} thread(s))`;
  } catch (e) {
    window.__error = { name: e?.name, message: String(e?.message ?? e), stack: e?.stack, ms: performance.now() - started };
    document.querySelector('#out').textContent = `error: ${e?.message ?? e}`;
  }
}

main();
