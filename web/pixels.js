// pixels.js — validation of decoded pixel objects {data, width, height,
// channels?} (ImageData and look-alikes), shared by both entry points.
import { QwasmError } from './errors.js';
import { checkPixelCount, DEFAULT_MAX_PIXELS } from './image-header.js';

/** Whether an ArrayBuffer (or a view's) was detached, e.g. transferred to a worker. */
function isDetached(buffer) {
  if (!(buffer instanceof ArrayBuffer)) return false;
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  if (buffer.byteLength !== 0) return false;
  try {
    new Uint8Array(buffer);  // throws TypeError on a detached buffer in older engines
    return false;
  } catch {
    return true;
  }
}

/** Throws a QwasmError for bytes (ArrayBuffer or view) whose buffer is detached. */
export function checkNotDetached(source, what = 'image data') {
  const buffer = source instanceof ArrayBuffer ? source : ArrayBuffer.isView(source) ? source.buffer : null;
  if (buffer && isDetached(buffer)) throw new QwasmError(`${what}'s ArrayBuffer is detached (transferred?)`);
}

const typeName = (v) => (v === null ? 'null' : typeof v === 'object' ? v.constructor?.name ?? 'object' : typeof v);

export function pixelsFromObject(img, maxPixels = DEFAULT_MAX_PIXELS) {
  const { width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new QwasmError(`image size ${width}x${height} is invalid`);
  }
  checkPixelCount(width, height, maxPixels);
  const data = img.data;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new QwasmError(`image data must be a Uint8Array or Uint8ClampedArray of bytes, got ${typeName(data)}`);
  }
  checkNotDetached(data);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const channels = img.channels ?? bytes.length / (width * height);
  if (![1, 3, 4].includes(channels)) {
    throw new QwasmError(`image data holds ${bytes.length} bytes, which is not 1, 3 or 4 channels of ${width}x${height}`);
  }
  if (bytes.length !== width * height * channels) {
    throw new QwasmError(`image data holds ${bytes.length} bytes, expected ${width * height * channels} (${width}x${height}x${channels})`);
  }
  return { data: bytes, width, height, channels };
}
