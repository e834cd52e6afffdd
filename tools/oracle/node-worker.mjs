// node-worker.mjs — the Node.js side of the "Node vs Chromium" comparison.
//
// Runs in a worker thread (so the main thread stays free to drive Chromium),
// one per oracle run. Loads models with `import { load } from 'qwasm'`
// (web/node.js, exactly as a Node user would) using the wasm binary the run
// pinned (workerData.wasmBinary: the same bytes Chromium runs), preprocesses
// each photo from its file path (JPEG decoded by jpeg-js) and runs it.
//
// In:  {modelPath, photos: [{index, path}]}   one job per model, in order
// Out: {index, input, output, ms} per photo (buffers transferred), then
//      {done: true}; {error} on failure.
import { parentPort, workerData } from 'node:worker_threads';
import { load } from 'qwasm';

const { wasmBinary } = workerData;

parentPort.on('message', async ({ modelPath, photos }) => {
  let model = null;
  try {
    model = await load(modelPath, { wasmBinary });
    for (const { index, path } of photos) {
      const input = await model.preprocess(path);
      const output = model.run(input);
      parentPort.postMessage({ index, input, output, ms: model.lastInferenceMs }, [input.buffer, output.buffer]);
    }
    parentPort.postMessage({ done: true });
  } catch (e) {
    parentPort.postMessage({ error: `${e.message}` });
  } finally {
    model?.dispose();
  }
});
