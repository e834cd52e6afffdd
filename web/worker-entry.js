// worker-entry.js — the worker side of load(source, { worker: true })
// (web/worker-model.js): one model per worker, driven by messages
//   {id, method, args}  ->  {id, ok, value | error, state}
// plus {id, callback, args} while loading, for callback options such as
// onProgress. Requests run one at a time, in the order they came.
import { load } from './index.js';

let model = null;
let queue = Promise.resolve();

/** The Model's data fields, copied to the proxy once it has loaded. */
const fields = (m) => Object.fromEntries(Object.entries(m).filter(([k, v]) => !k.startsWith('_') && typeof v !== 'function'));

const buffers = (v) => (ArrayBuffer.isView(v) ? [v.buffer] : []);

const METHODS = {
  async load(id, source, options, callbacks) {
    for (const name of callbacks) options[name] = (...args) => self.postMessage({ id, callback: name, args });
    model = await load(source, options);
    return { value: undefined, state: fields(model) };
  },
  classify: (id, image, options, cropFraction) => withImage((m) => m.classify(image, options), image, cropFraction),
  embed: (id, image, options, cropFraction) => withImage((m) => m.embed(image, options), image, cropFraction),
  preprocess: (id, image, options, cropFraction) => withImage((m) => m.preprocess(image), image, cropFraction),
  run: (id, input) => ({ value: model.run(input) }),
  profile: (id, runs) => ({ value: model.profile(runs) }),
};

async function withImage(call, image, cropFraction) {
  try {
    model.cropFraction = cropFraction;
    return { value: await call(model) };
  } finally {
    image?.close?.();  // bitmaps and frames sent here are ours to close
  }
}

async function handle({ id, method, args }) {
  try {
    const { value, state } = await METHODS[method](id, ...args);
    const reply = { id, ok: true, value, state: state ?? { lastInferenceMs: model.lastInferenceMs } };
    self.postMessage(reply, buffers(value));  // fresh copies: moved, not copied again
  } catch (e) {
    self.postMessage({ id, ok: false, error: { name: e?.name ?? 'Error', message: e?.message ?? String(e) } });
  }
}

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data));
};
