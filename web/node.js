// node.js — the Node.js entry point: `import { load } from 'qwasm'`.
//
// Models load from a file path, an http(s) URL, bytes, a Blob or a Response. Images may
// be a file path, JPEG / PNG / BMP bytes (Buffer, Uint8Array, ArrayBuffer,
// Blob), or decoded pixels {data, width, height[, channels]} (e.g. an
// ImageData-like object). JPEGs decode exactly as in Chromium
// (web/jpeg-node.js), EXIF orientation applied, as browsers do.
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { decodeBmp, isBmp } from './bmp.js';
import { QwasmError } from './errors.js';
import { applyOrientation, jpegOrientation } from './exif.js';
import { decodeJpeg } from './jpeg-node.js';
import { entryPoints } from './entry.js';
import { fetchBytes, reportSize, responseBytes } from './fetch.js';
import { pixelsFromObject } from './pixels.js';
import { runtime } from './wasm-node.js';

export { clearCache, cosineSimilarity, QwasmError, topK } from './entry.js';

/** A source's bytes; `options` ({onProgress, cache}) apply to the model (web/fetch.js). */
async function readSource(source, what, options = {}) {
  const { onProgress, cache } = options;
  if (typeof source === 'string' || source instanceof URL) {
    const s = String(source);
    if (/^https?:\/\//i.test(s)) return fetchBytes(s, { what, onProgress, cache });
    let bytes;
    try {
      bytes = await readFile(source instanceof URL ? source : s);
    } catch (e) {
      throw new QwasmError(`could not read ${what} file ${s}: ${e.code ?? e.message}`, { cause: e });
    }
    return reportSize(bytes, onProgress);
  }
  if (source instanceof Response) return responseBytes(source, { what, url: source.url || 'a Response', onProgress });
  if (source instanceof Blob) return reportSize(new Uint8Array(await source.arrayBuffer()), onProgress);
  if (source instanceof ArrayBuffer) return reportSize(new Uint8Array(source), onProgress);
  if (ArrayBuffer.isView(source)) return reportSize(new Uint8Array(source.buffer, source.byteOffset, source.byteLength), onProgress);
  throw new QwasmError(`unsupported ${what} source: expected a path, a URL, a Blob, a Response, an ArrayBuffer or a typed array`);
}

/** Decodes JPEG / PNG / BMP bytes to RGBA pixels. */
export async function decodeImage(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    return applyOrientation(await decodeJpeg(b), jpegOrientation(b));
  }
  try {
    if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
      const png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
    }
    if (isBmp(b)) return decodeBmp(b);
  } catch (e) {
    if (e instanceof QwasmError) throw e;
    throw new QwasmError(`could not decode image: ${e.message ?? e}`, { cause: e });
  }
  throw new QwasmError('unrecognised image format (expected JPEG, PNG or BMP)');
}

async function toPixels(image) {
  if (typeof image === 'string' || image instanceof URL || image instanceof ArrayBuffer || ArrayBuffer.isView(image)
    || image instanceof Blob) {
    const img = await decodeImage(await readSource(image, 'image'));
    return { ...img, channels: 4 };
  }
  if (image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    return pixelsFromObject(image);
  }
  throw new QwasmError('unsupported image: expected a file path, an http(s) URL, JPEG/PNG/BMP bytes or Blob, or {data, width, height}');
}

const defaultModel = new URL('../models/fashion-mnist/fashion-mnist.qwm', import.meta.url);

const entry = entryPoints({ readSource, toPixels, runtime, defaultModel });

/** convert(), quantize() and DEFAULT_MODEL, reading sources and images as above (web/entry.js). */
export const { convert, quantize, DEFAULT_MODEL } = entry;

/** load() as in web/entry.js. The worker option is the browser entry's. */
export function load(source, options) {
  if (options?.worker) {
    return Promise.reject(new QwasmError('the worker option is for browsers; in Node, call load() inside a worker_threads Worker'));
  }
  return entry.load(source, options);
}
