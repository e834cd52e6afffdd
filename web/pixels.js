// pixels.js — validation of decoded pixel objects {data, width, height,
// channels?} (ImageData and look-alikes), shared by both entry points.
import { QwasmError } from './errors.js';

export function pixelsFromObject(img) {
  const { width, height } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new QwasmError(`image size ${width}x${height} is invalid`);
  }
  const data = img.data;
  if (!ArrayBuffer.isView(data)) throw new QwasmError('image data must be a typed array');
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
