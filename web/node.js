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
import { checkImageBytes, checkPixelCount, DEFAULT_MAX_PIXELS, HEADER_BYTES, isJpeg, isPng, readImageHeader } from './image-header.js';
import { applyOrientation, jpegOrientation } from './exif.js';
import { decodeJpeg } from './jpeg-node.js';
import { entryPoints } from './entry.js';
import { fetchBytes, reportSize, responseBytes } from './fetch.js';
import { checkNotDetached, pixelsFromObject } from './pixels.js';
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

// pngjs's messages, in our words.
const PNG_REASONS = [
  [/inflate|unexpected end|waitng on finished stream|waiting on finished stream|incorrect header check|invalid (block|code|distance|stored)/i,
    'compressed image data is damaged or truncated'],
  [/unrecognised filter type/i, 'image data is damaged (a row has an unknown filter type)'],
  [/unrecognised content at end of stream/i, 'the file has extra data after its image data'],
  [/crc/i, 'a chunk\'s checksum is wrong (the file is damaged)'],
  [/invalid file signature/i, 'not a PNG file'],
  [/unsupported|not supported/i, 'unsupported PNG variant'],
];

function pngReason(e) {
  const m = String(e?.message ?? e ?? 'unknown error');
  for (const [re, why] of PNG_REASONS) if (re.test(m)) return why;
  return m;
}

/**
 * Decodes JPEG / PNG / BMP bytes to RGBA pixels. The header is checked first
 * (web/image-header.js): at most `maxPixels`, and enough data for its size.
 */
export async function decodeImage(bytes, { maxPixels = DEFAULT_MAX_PIXELS } = {}) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  checkImageBytes(b, maxPixels);
  if (isJpeg(b)) {
    return applyOrientation(await decodeJpeg(b), jpegOrientation(b));
  }
  if (isPng(b)) {
    let png;
    try {
      png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    } catch (e) {
      throw new QwasmError(`could not decode PNG: ${pngReason(e)}`, { cause: e });
    }
    return { data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength), width: png.width, height: png.height };
  }
  if (isBmp(b)) {
    try {
      return decodeBmp(b);
    } catch (e) {
      if (e instanceof QwasmError) throw e;
      throw new QwasmError(`could not decode BMP: ${e?.message ?? e}`, { cause: e });
    }
  }
  throw new QwasmError('unrecognised image format (expected JPEG, PNG or BMP)');
}

async function toPixels(image, { maxPixels = DEFAULT_MAX_PIXELS } = {}) {
  if (typeof image === 'string' || image instanceof URL || image instanceof ArrayBuffer || ArrayBuffer.isView(image)
    || image instanceof Blob) {
    checkNotDetached(image);
    if (image instanceof Blob) {
      // The header first, from the first bytes, before reading it all.
      const header = readImageHeader(new Uint8Array(await image.slice(0, HEADER_BYTES).arrayBuffer()));
      if (header) checkPixelCount(header.width, header.height, maxPixels);
    }
    const img = await decodeImage(await readSource(image, 'image'), { maxPixels });
    return { ...img, channels: 4 };
  }
  if (image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    return pixelsFromObject(image, maxPixels);
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
