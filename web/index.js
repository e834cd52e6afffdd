// index.js — the browser / worker entry point: `import { load } from 'qwasm'`.
//
// Models load from a URL, a Blob / File, a Response or bytes. Images may be
// an HTMLImageElement, HTMLCanvasElement, HTMLVideoElement, ImageBitmap,
// OffscreenCanvas, VideoFrame, ImageData, a Blob / File (decoded with
// createImageBitmap), encoded bytes, or {data, width, height[, channels]}.
import { QwasmError } from './errors.js';
import { entryPoints } from './entry.js';
import { pixelsFromObject } from './pixels.js';
import { createWorkerModel } from './worker-model.js';

export { cosineSimilarity, DEFAULT_MODEL, QwasmError, topK } from './entry.js';

async function readSource(source, what) {
  if (typeof source === 'string' || source instanceof URL) {
    let r;
    try {
      r = await fetch(source);
    } catch (e) {
      throw new QwasmError(`could not fetch ${what} from ${source}: ${e.message}`, { cause: e });
    }
    if (!r.ok) throw new QwasmError(`could not fetch ${what} from ${source}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }
  if (typeof Response !== 'undefined' && source instanceof Response) return new Uint8Array(await source.arrayBuffer());
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  throw new QwasmError(`unsupported ${what} source: expected a URL, a Blob, a Response, an ArrayBuffer or a typed array`);
}

const is = (v, name) => typeof globalThis[name] !== 'undefined' && v instanceof globalThis[name];

// Decoding options that keep the file's pixel values: no colour-space
// conversion, no premultiplied alpha (EXIF orientation is still applied).
const BITMAP_OPTIONS = { colorSpaceConversion: 'none', premultiplyAlpha: 'none' };

function drawableSize(image) {
  if (is(image, 'HTMLImageElement')) return [image.naturalWidth, image.naturalHeight];
  if (is(image, 'HTMLVideoElement')) return [image.videoWidth, image.videoHeight];
  if (is(image, 'VideoFrame')) return [image.displayWidth, image.displayHeight];
  return [image.width, image.height];
}

function readPixels(image) {
  const [width, height] = drawableSize(image);
  if (!(width > 0 && height > 0)) {
    throw new QwasmError(`image has no pixels yet (${width}x${height}); wait for it to load`);
  }
  const canvas = typeof OffscreenCanvas !== 'undefined'
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(image, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 };
}

async function toPixels(image) {
  if (is(image, 'ImageData')) return pixelsFromObject({ data: image.data, width: image.width, height: image.height, channels: 4 });
  if (is(image, 'HTMLImageElement') && !image.complete) await image.decode();
  if (['HTMLImageElement', 'HTMLCanvasElement', 'HTMLVideoElement', 'ImageBitmap', 'OffscreenCanvas', 'VideoFrame']
    .some((name) => is(image, name))) {
    return readPixels(image);
  }
  if (is(image, 'Blob') || image instanceof ArrayBuffer || ArrayBuffer.isView(image)) {
    const blob = is(image, 'Blob') ? image : new Blob([image]);
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, BITMAP_OPTIONS);
    } catch (e) {
      throw new QwasmError(`could not decode image: ${e.message}`, { cause: e });
    }
    try {
      return readPixels(bitmap);
    } finally {
      bitmap.close();
    }
  }
  if (image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    return pixelsFromObject(image);
  }
  throw new QwasmError('unsupported image: expected an image element, canvas, video, ImageBitmap, ImageData, Blob or bytes');
}

const entry = entryPoints({ readSource, toPixels });

/** convert() and quantize() reading sources and images as above (web/entry.js). */
export const { convert, quantize } = entry;

/** load() as in web/entry.js; with { worker: true } the model runs in a module Worker (web/worker-model.js). */
export function load(source, options) {
  if (options?.worker) return createWorkerModel(source, options);
  return entry.load(source, options);
}
