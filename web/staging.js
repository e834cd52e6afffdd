// staging.js — bytes into wasm memory: every handle (WasmModel,
// WasmConverter, WasmQuantizer) exposes staging(n), a view of n bytes in
// wasm memory, filled with one TypedArray.set (one memcpy), or a string
// saying why n bytes cannot be staged (src/bindings/boundary.h).
import { QwasmError } from './errors.js';

export function toBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new QwasmError('expected an ArrayBuffer or a typed array');
}

/**
 * Copies bytes (a Uint8Array or Uint8ClampedArray) into a handle's staging
 * buffer; `what` names them in the error when they cannot be.
 */
export function stage(handle, bytes, what) {
  const view = handle.staging(bytes.length);
  // Refused before anything was written; the module stays usable.
  if (typeof view === 'string') throw new QwasmError(`${what} needs ${formatBytes(bytes.length)}, ${view}`);
  view.set(bytes);
}

/** "12 MB" (MiB, rounded), or "N bytes" under 1 MB. */
export function formatBytes(n) {
  return n >= 1024 * 1024 ? `${Math.round(n / (1024 * 1024))} MB` : `${n} bytes`;
}

/** The largest image side the runtime takes (src/image/preprocess.cc). */
export const MAX_IMAGE_SIDE = 32768;

/** Refuses an image the runtime would not take, before its pixels are staged. */
export function checkImageSize(width, height) {
  if (!(width >= 1 && height >= 1 && width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE)) {
    throw new QwasmError(`image size ${width}x${height} is not supported (1..${MAX_IMAGE_SIDE} per side)`);
  }
}
