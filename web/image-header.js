// image-header.js — what an encoded image's header claims, checked before
// any decoder allocates for it. Platform-neutral: web/node.js runs it on the
// file's bytes, web/browser.js on a Blob's first bytes before
// createImageBitmap. A header is not trusted: the claimed size must be at
// most maxPixels, and the compressed data that follows must be large enough
// to possibly hold that many pixels (a tiny file claiming a huge image is a
// decompression bomb or garbage, and decoding it would allocate gigabytes
// of uninitialised pixels).
import { QwasmError } from './errors.js';

/** The default load() option maxPixels: 64 M pixels (8192 x 8192). */
export const DEFAULT_MAX_PIXELS = 64 * 1024 * 1024;

/** How many bytes of a Blob the browser reads to find the header. */
export const HEADER_BYTES = 64 * 1024;

/** The option maxPixels checked: a positive integer, or the default. */
export function maxPixelsOption(v) {
  if (v == null) return DEFAULT_MAX_PIXELS;
  if (!(Number.isInteger(v) && v >= 1)) {
    throw new QwasmError(`option maxPixels must be a positive integer, got ${describeValue(v)}`);
  }
  return v;
}

/** A value for an error message, its type visible: 2, "2", null, [object]. */
export function describeValue(v) {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v === null || typeof v !== 'object') return String(v);
  return v.constructor?.name ? `a ${v.constructor.name}` : 'an object';
}

/** Throws unless width x height is within maxPixels. */
export function checkPixelCount(width, height, maxPixels = DEFAULT_MAX_PIXELS) {
  const n = width * height;
  if (n > maxPixels) {
    throw new QwasmError(`image is ${width}x${height} (${(n / 2 ** 20).toFixed(1)} M pixels), more than maxPixels (${maxPixels})`);
  }
}

export function isJpeg(b) { return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff; }
export function isPng(b) { return b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47; }
function isBmpBytes(b) { return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d; }

const u32 = (b, i) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const u16 = (b, i) => (b[i] << 8) | b[i + 1];
const le32 = (b, i) => (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;

/**
 * The header of PNG / JPEG / BMP bytes: {format, width, height, ...}, or
 * null when `b` is none of them or the header is not within `b` (a prefix of
 * the file is enough). Damaged headers are QwasmErrors.
 */
export function readImageHeader(b) {
  if (isPng(b)) return pngHeader(b);
  if (isJpeg(b)) return jpegHeader(b);
  if (isBmpBytes(b)) return bmpHeader(b);
  return null;
}

const PNG_CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngHeader(b) {
  const fail = (why) => { throw new QwasmError(`could not decode PNG: ${why}`); };
  if (b.length < 33) fail('the file is truncated (no complete IHDR header)');
  if (String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') fail('the first chunk is not IHDR');
  const width = u32(b, 16), height = u32(b, 20), bitDepth = b[24], colorType = b[25];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) fail(`bad size ${width}x${height}`);
  const channels = PNG_CHANNELS[colorType];
  if (!channels || ![1, 2, 4, 8, 16].includes(bitDepth)) fail(`bad colour type ${colorType} / bit depth ${bitDepth}`);
  return { format: 'PNG', width, height, bitDepth, channels };
}

function jpegHeader(b) {
  const fail = (why) => { throw new QwasmError(`could not decode JPEG: ${why}`); };
  // Walk the marker segments (SOF may follow large APP segments) up to the frame header.
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) fail(`expected a marker at byte ${i}`);
    const m = b[i + 1];
    if (m === 0xff) { i++; continue; }  // fill byte
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
    if (m === 0xd9 || m === 0xda) fail('no frame header (SOF) before the image data');
    const len = u16(b, i + 2);
    if (len < 2) fail(`bad segment length at byte ${i}`);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (i + 4 + 6 > b.length) return null;
      const height = u16(b, i + 5), width = u16(b, i + 7), n = b[i + 9];
      if (width === 0 || height === 0) fail(`bad size ${width}x${height}`);
      if (n === 0 || i + 10 + 3 * n > b.length) {
        if (n === 0) fail('the frame header has no components');
        return null;
      }
      const components = [];
      for (let c = 0; c < n; c++) {
        const s = b[i + 11 + 3 * c];
        components.push({ h: Math.max(1, s >> 4), v: Math.max(1, s & 15) });
      }
      return { format: 'JPEG', width, height, components, arithmetic: m >= 0xc9, sofEnd: i + 2 + len };
    }
    i += 2 + len;
  }
  return null;
}

function bmpHeader(b) {
  const fail = (why) => { throw new QwasmError(`could not decode BMP: ${why}`); };
  if (b.length < 30) return null;
  const offset = le32(b, 10), headerSize = le32(b, 14);
  if (headerSize < 40) fail(`unsupported header (${headerSize} bytes)`);
  const width = le32(b, 18) | 0, rawHeight = le32(b, 22) | 0, bpp = b[28] | (b[29] << 8);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width > 32768 || height > 32768) fail(`bad size ${width}x${rawHeight}`);
  return { format: 'BMP', width, height, offset, headerSize, bpp };
}

/**
 * Checks the whole file `b` before decoding: the header's size against
 * maxPixels, then that the compressed data can hold that many pixels.
 * Returns the header (null for other formats, left to the decoder).
 */
export function checkImageBytes(b, maxPixels = DEFAULT_MAX_PIXELS) {
  const header = readImageHeader(b);
  if (!header) {
    if (isPng(b) || isJpeg(b)) throw new QwasmError(`could not decode ${isPng(b) ? 'PNG' : 'JPEG'}: the file is truncated before its size`);
    return null;
  }
  checkPixelCount(header.width, header.height, maxPixels);
  if (header.format === 'PNG') checkPngData(b, header);
  else if (header.format === 'JPEG') checkJpegData(b, header);
  else checkBmpData(b, header);
  return header;
}

// deflate's best ratio is about 1032:1 (a 258-byte match costs at least 2
// bits), so the raw scanlines, height * (1 filter byte + row bytes), need at
// least rawBytes / 1032 bytes of IDAT. Interlaced images have more raw bytes,
// so the bound holds for them too.
function checkPngData(b, { width, height, bitDepth, channels }) {
  let idat = 0;
  for (let i = 8; i + 8 <= b.length;) {
    const len = u32(b, i);
    const type = String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
    if (type === 'IDAT') idat += Math.min(len, b.length - i - 8);
    if (type === 'IEND') break;
    i += 12 + len;
  }
  const rawBytes = height * (1 + Math.ceil((width * channels * bitDepth) / 8));
  if (idat === 0) throw new QwasmError('could not decode PNG: the file has no image data (IDAT)');
  if (idat < rawBytes / 1032) {
    throw new QwasmError(`could not decode PNG: ${idat} bytes of image data cannot hold ${width}x${height} pixels`
      + ` (at least ${Math.ceil(rawBytes / 1032)} bytes needed); the file is damaged or truncated`);
  }
}

// Huffman-coded JPEG spends at least 1 bit per 8x8 block (a DC code; in
// baseline also an EOB), so the data after the first SOS is >= blocks / 8
// bytes; we require blocks / 64, 8x looser. Arithmetic coding (SOF9..15) can
// code a flat block in far less than a bit, so only maxPixels bounds it.
function checkJpegData(b, { width, height, components, arithmetic, sofEnd }) {
  let i = sofEnd;
  let sos = -1;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) break;
    const m = b[i + 1];
    if (m === 0xff) { i++; continue; }
    if (m === 0xda) { sos = i; break; }
    if (m === 0xd9) break;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
    i += 2 + u16(b, i + 2);
  }
  if (sos < 0) throw new QwasmError('could not decode JPEG: the file has no image data (no SOS marker)');
  if (arithmetic) return;
  const hmax = Math.max(...components.map((c) => c.h)), vmax = Math.max(...components.map((c) => c.v));
  let blocks = 0;
  for (const { h, v } of components) {
    blocks += Math.ceil(Math.ceil((width * h) / hmax) / 8) * Math.ceil(Math.ceil((height * v) / vmax) / 8);
  }
  const data = b.length - sos;
  if (data < blocks / 64) {
    throw new QwasmError(`could not decode JPEG: ${data} bytes of image data cannot hold ${width}x${height} pixels`
      + ` (${blocks} blocks need at least ${Math.ceil(blocks / 64)} bytes); the file is damaged or truncated`);
  }
}

function checkBmpData(b, { width, height, offset, headerSize, bpp }) {
  const fail = (why) => { throw new QwasmError(`could not decode BMP: ${why}`); };
  if (offset < 14 + headerSize) fail(`pixel data offset ${offset} lies inside the ${14 + headerSize}-byte header`);
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  if (offset + stride * height > b.length) {
    fail(`pixel data is truncated (${width}x${height} at ${bpp} bits needs ${stride * height} bytes from byte ${offset}, the file has ${b.length})`);
  }
}
