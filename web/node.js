// node.js — the Node.js entry point: `import { load } from 'qwasm'`.
//
// Models load from a file path, an http(s) URL, or bytes. Images may be a
// file path, JPEG / PNG / BMP bytes (Buffer, Uint8Array, ArrayBuffer), or
// decoded pixels {data, width, height[, channels]} (e.g. an ImageData-like
// object). JPEGs decode exactly as in Chromium (web/jpeg-node.js), EXIF
// orientation applied, as browsers do.
import { readFile } from 'node:fs/promises';
import { PNG } from 'pngjs';
import { decodeBmp, isBmp } from './bmp.js';
import { QwasmError } from './errors.js';
import { applyOrientation, jpegOrientation } from './exif.js';
import { decodeJpeg } from './jpeg-node.js';
import { convertWith, quantizeWith } from './convert.js';
import { loadWith } from './model.js';
import { pixelsFromObject } from './pixels.js';

export { QwasmError } from './errors.js';
export { topK } from './model.js';

/**
 * The embedded default model: a small int8 CNN for Fashion-MNIST (28x28
 * grayscale clothing photos, 10 classes), made by tools/fashion-mnist/.
 * load() with no source loads it.
 */
export const DEFAULT_MODEL = new URL('../models/fashion-mnist/fashion-mnist.qwm', import.meta.url);

async function readSource(source, what) {
  if (typeof source === 'string' || source instanceof URL) {
    const s = String(source);
    if (/^https?:\/\//i.test(s)) {
      const r = await fetch(s);
      if (!r.ok) throw new QwasmError(`could not fetch ${what} from ${s}: HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer());
    }
    try {
      return await readFile(source instanceof URL ? source : s);
    } catch (e) {
      throw new QwasmError(`could not read ${what} file ${s}: ${e.code ?? e.message}`, { cause: e });
    }
  }
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  throw new QwasmError(`unsupported ${what} source: expected a path, a URL, an ArrayBuffer or a typed array`);
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
  if (typeof image === 'string' || image instanceof URL || image instanceof ArrayBuffer || ArrayBuffer.isView(image)) {
    const img = await decodeImage(await readSource(image, 'image'));
    return { ...img, channels: 4 };
  }
  if (image && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    return pixelsFromObject(image);
  }
  throw new QwasmError('unsupported image: expected a file path, JPEG/PNG/BMP bytes, or {data, width, height}');
}

const platform = { readSource, toPixels };

/**
 * Loads a model (TFLite) from a path, URL or bytes.
 * @returns {Promise<import('./model.js').Model>}
 */
export function load(source = DEFAULT_MODEL, options) {
  return loadWith(platform, source, options);
}

/**
 * Converts a model (TFLite, ONNX or .qwm; path, URL or bytes) to a qwasm model file.
 * @returns {Promise<Uint8Array>}
 */
export function convert(source, options) {
  return convertWith(platform, source, options);
}

/**
 * Post-training int8 quantization of a float model (ONNX; path, URL or bytes) on
 * calibration images; returns the .qwm bytes and a per-layer report.
 */
export function quantize(source, calibration, options) {
  return quantizeWith(platform, source, calibration, options);
}
