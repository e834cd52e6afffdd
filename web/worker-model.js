// worker-model.js — load(source, { worker: true }): the wasm module and the
// model live in a module Worker (web/worker-entry.js), so inference never
// blocks the page. The WorkerModel here has the Model's fields (copied once
// loaded) and methods, all returning promises; requests are matched to
// replies by id.
//
// Images cross as ImageBitmaps or VideoFrames made here and transferred
// (zero copy); ImageData, Blobs, bytes and pixel objects are cloned.
import { QwasmError } from './errors.js';
import { checkPixelCount } from './image-header.js';
import { WORKER_LOAD_OPTIONS } from './options.js';
import { classifyVideo } from './video.js';

// As web/index.js decodes: the file's pixel values, not colour-managed or premultiplied ones.
const BITMAP_OPTIONS = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

const is = (v, name) => typeof globalThis[name] !== 'undefined' && v instanceof globalThis[name];

/** A relative URL means what it means to the caller, not to the worker script. */
const absolute = (url) => new URL(url, globalThis.document?.baseURI ?? globalThis.location?.href).href;

function elementSize(image) {
  if (is(image, 'HTMLImageElement')) return [image.naturalWidth, image.naturalHeight];
  if (is(image, 'HTMLVideoElement')) return [image.videoWidth, image.videoHeight];
  return [image.width, image.height];
}

/** `image` as something to post, and what to transfer with it. */
async function imageMessage(image, maxPixels) {
  if (is(image, 'VideoFrame')) {
    const frame = image.clone();  // the caller keeps (and closes) theirs
    return { image: frame, transfer: [frame] };
  }
  if (is(image, 'HTMLImageElement') && !image.complete) await image.decode();
  const drawable = ['HTMLImageElement', 'HTMLCanvasElement', 'HTMLVideoElement', 'ImageBitmap', 'OffscreenCanvas']
    .some((name) => is(image, name));
  if (!drawable) return { image, transfer: [] };
  const [width, height] = elementSize(image);
  if (!(width > 0 && height > 0)) throw new QwasmError(`image has no pixels yet (${width}x${height}); wait for it to load`);
  checkPixelCount(width, height, maxPixels);  // before a bitmap of that size is made on this thread
  if (is(image, 'HTMLVideoElement') && typeof VideoFrame === 'function') {
    try {
      const frame = new VideoFrame(image);  // the frame on show now, without a copy
      return { image: frame, transfer: [frame] };
    } catch { /* e.g. no frame decoded yet: an ImageBitmap then */ }
  }
  const bitmap = await createImageBitmap(image, is(image, 'ImageBitmap') ? undefined : BITMAP_OPTIONS);
  return { image: bitmap, transfer: [bitmap] };
}

/** A plain copy of options (functions become callback names) and the callbacks. */
function splitCallbacks(options) {
  const plain = {};
  const callbacks = {};
  for (const [k, v] of Object.entries(options ?? {})) {
    if (typeof v === 'function') callbacks[k] = v;
    else plain[k] = v;
  }
  return { plain, callbacks, names: Object.keys(callbacks) };
}

function toError({ name, message }) {
  if (name === 'QwasmError') return new QwasmError(message);
  return Object.assign(new Error(message), { name });
}

/**
 * A model in a module Worker: the Model API with every method async.
 * dispose() terminates the worker.
 */
export class WorkerModel {
  /** @internal use load(source, { worker: true }) */
  constructor(worker) {
    this._worker = worker;
    this._pending = new Map();  // id -> {resolve, reject, callbacks}
    this._nextId = 1;
    worker.onmessage = ({ data }) => this._receive(data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      this._fail(new QwasmError(`qwasm worker failed: ${e.message ?? 'could not start'}`));
    };
    worker.onmessageerror = () => this._fail(new QwasmError('qwasm worker: a reply could not be read'));
  }

  /** Top-k classes of an image: [{index, label, score}], best first. */
  async classify(image, options) {
    return this._withImage('classify', image, options);
  }

  /** The model's output for an image as real values (see Model.embed). */
  async embed(image, options) {
    return this._withImage('embed', image, options);
  }

  /** The image as the model's input tensor (a copy). */
  async preprocess(image) {
    return this._withImage('preprocess', image);
  }

  /** Runs the model on a raw input tensor (copied, not transferred). */
  async run(input) {
    return this._call('run', [input]);
  }

  /** Mean milliseconds of every node over `runs` runs on the current input. */
  async profile(runs) {
    return this._call('profile', [runs]);
  }

  /** Classifies a playing video's frames (web/video.js); frames go as VideoFrames. */
  classifyVideo(video, callback, options) {
    return classifyVideo(this, video, callback, options);
  }

  /** Terminates the worker; pending and later calls reject. Idempotent. */
  dispose() {
    if (this._worker) this._fail(new QwasmError('this model was disposed'));
  }

  async _withImage(method, image, options) {
    this._live();
    const { image: sendable, transfer } = await imageMessage(image, this.maxPixels);
    // cropFraction may have been set on this object since the last call.
    return this._call(method, [sendable, options, this.cropFraction], transfer);
  }

  _live() {
    if (!this._worker) throw new QwasmError('this model was disposed');
  }

  _call(method, args, transfer = [], callbacks = {}) {
    try {
      this._live();
    } catch (e) {
      for (const t of transfer) t.close?.();
      return Promise.reject(e);
    }
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      try {
        this._worker.postMessage({ id, method, args }, transfer);
      } catch (e) {
        for (const t of transfer) t.close?.();
        throw new QwasmError(`cannot send this to the qwasm worker: ${e.message}`, { cause: e });
      }
      this._pending.set(id, { resolve, reject, callbacks });
    });
  }

  _receive({ id, callback, args, ok, value, error, state }) {
    const request = this._pending.get(id);
    if (!request) return;
    if (callback) {
      request.callbacks[callback]?.(...args);
      return;
    }
    this._pending.delete(id);
    Object.assign(this, state);  // lastInferenceMs, and every field after load
    if (ok) request.resolve(value);
    else request.reject(toError(error));
  }

  _fail(error) {
    this._worker?.terminate();
    this._worker = null;
    for (const { reject } of this._pending.values()) reject(error);
    this._pending.clear();
  }
}

/** load(source, { worker: true, ...options }) in the browser entry point. */
export async function createWorkerModel(source, options = {}) {
  const renamed = [];  // [absolute, as given]: messages name URLs as the caller gave them
  const resolve = (url) => {
    const href = absolute(url);
    if (href !== String(url)) renamed.push([href, String(url)]);
    return href;
  };
  let model = source;
  if (typeof model === 'string' || model instanceof URL) model = resolve(model);
  else if (is(model, 'Response')) model = await model.arrayBuffer();
  const { plain, callbacks, names } = splitCallbacks(options);
  for (const k of WORKER_LOAD_OPTIONS) delete plain[k];
  if (typeof plain.labels === 'string' || plain.labels instanceof URL) plain.labels = resolve(plain.labels);
  if (plain.wasmUrl instanceof URL) plain.wasmUrl = plain.wasmUrl.href;  // relative ones: to dist/, as in wasm.js
  // Bundlers (Vite, webpack, Parcel) recognise exactly this pattern and
  // bundle the worker with its imports.
  const worker = new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module' });
  const proxy = new WorkerModel(worker);
  try {
    await proxy._call('load', [model, plain, names], model instanceof ArrayBuffer && model !== source ? [model] : [], callbacks);
  } catch (e) {
    proxy.dispose();
    if (!(e instanceof QwasmError)) throw e;
    throw new QwasmError(renamed.reduce((m, [href, given]) => m.replaceAll(href, given), e.message));
  }
  return proxy;
}
