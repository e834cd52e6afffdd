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
  if (typeof view === 'string') throw new QwasmError(`${what}: cannot stage ${bytes.length} bytes: ${view}`);
  view.set(bytes);
}
