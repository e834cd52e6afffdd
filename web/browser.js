// browser.js — what the browser / worker entry point (web/index.js) is,
// given where its files lie (web/assets.js).
//
// Models load from a URL, a Blob / File, a Response or bytes. Images may be
// an HTMLImageElement, HTMLCanvasElement, HTMLVideoElement, ImageBitmap,
// OffscreenCanvas, VideoFrame, ImageData, a Blob / File (decoded with
// createImageBitmap), encoded bytes, or {data, width, height[, channels]}.
import { QwasmError } from './errors.js';
import { entryPoints } from './entry.js';
import { fetchBytes, reportSize, responseBytes } from './fetch.js';
import { checkImageBytes, checkPixelCount, DEFAULT_MAX_PIXELS, HEADER_BYTES, readImageHeader } from './image-header.js';
import { checkNotDetached, pixelsFromObject } from './pixels.js';
import { browserRuntime } from './wasm-browser.js';
import { createWorkerModel } from './worker-model.js';

/** A source's bytes; `options` ({onProgress, cache}) apply to the model (web/fetch.js). */
async function readSource(source, what, options = {}) {
  const { onProgress, cache } = options;
  if (typeof source === 'string' || source instanceof URL) return fetchBytes(source, { what, onProgress, cache });
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return responseBytes(source, { what, url: source.url || 'a Response', onProgress });
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return reportSize(new Uint8Array(await source.arrayBuffer()), onProgress);
  if (source instanceof ArrayBuffer) return reportSize(new Uint8Array(source), onProgress);
  if (ArrayBuffer.isView(source)) return reportSize(new Uint8Array(source.buffer, source.byteOffset, source.byteLength), onProgress);
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

function readPixels(image, maxPixels) {
  const [width, height] = drawableSize(image);
  if (!(width > 0 && height > 0)) {
    throw new QwasmError(`image has no pixels yet (${width}x${height}); wait for it to load`);
  }
  checkPixelCount(width, height, maxPixels);
  const canvas = typeof OffscreenCanvas !== 'undefined'
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(image, 0, 0, width, height);
  const data = ctx.getImageData(0, 0, width, height).data;
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height, channels: 4 };
}

/**
 * Checks encoded bytes or a Blob before createImageBitmap decodes them
 * (web/image-header.js): the header's size from the first bytes, then that
 * the file holds enough data for that size.
 */
async function checkEncoded(blob, maxPixels) {
  const header = readImageHeader(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer()));
  if (!header) return;  // another format, or a header past the first bytes: the browser's limits apply
  checkPixelCount(header.width, header.height, maxPixels);
  checkImageBytes(new Uint8Array(await blob.arrayBuffer()), maxPixels);
}

async function toPixels(image, { maxPixels = DEFAULT_MAX_PIXELS } = {}) {
  if (is(image, 'ImageData')) {
    return pixelsFromObject({ data: image.data, width: image.width, height: image.height, channels: 4 }, maxPixels);
  }
  if (is(image, 'HTMLImageElement') && !image.complete) await image.decode();
  if (['HTMLImageElement', 'HTMLCanvasElement', 'HTMLVideoElement', 'ImageBitmap', 'OffscreenCanvas', 'VideoFrame']
    .some((name) => is(image, name))) {
    return readPixels(image, maxPixels);
  }
  if (is(image, 'Blob') || image instanceof ArrayBuffer || ArrayBuffer.isView(image)) {
    checkNotDetached(image);
    const blob = is(image, 'Blob') ? image : new Blob([image]);
    await checkEncoded(blob, maxPixels);
    let bitmap;
    try {
      bitmap = await createImageBitmap(blob, BITMAP_OPTIONS);
    } catch (e) {
      throw new QwasmError(`could not decode image: ${e?.message || e?.name || 'the browser cannot decode it'}`, { cause: e });
    }
    try {
      return readPixels(bitmap, maxPixels);
    } finally {
      bitmap.close();
    }
  }
  if (image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    return pixelsFromObject(image, maxPixels);
  }
  throw new QwasmError('unsupported image: expected an image element, canvas, video, ImageBitmap, ImageData, Blob or bytes');
}

/**
 * load(), convert(), quantize() and DEFAULT_MODEL for browsers, reading
 * sources and images as above (web/entry.js), with files from `assets`.
 */
export function browserEntry(assets) {
  const runtime = browserRuntime(assets);
  // The default model from its inline copy when the bundler did not emit it.
  const read = async (source, what, options = {}) => {
    if (source !== assets.DEFAULT_MODEL) return readSource(source, what, options);
    try {
      return await readSource(source, what, options);
    } catch {
      return reportSize(await assets.defaultModelInline(), options.onProgress);
    }
  };
  const entry = entryPoints({ readSource: read, toPixels, runtime, defaultModel: assets.DEFAULT_MODEL });
  return {
    ...entry,
    /** load() as in web/entry.js; with { worker: true } the model runs in a module Worker (web/worker-model.js). */
    load: (source, options) => (options?.worker ? createWorkerModel(source, options) : entry.load(source, options)),
    runtime,
  };
}
