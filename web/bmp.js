// bmp.js — a BMP decoder (Windows BITMAPINFOHEADER and later headers):
// 1/4/8-bit palettes, 16/24/32-bit, BI_RGB and BI_BITFIELDS, top-down or
// bottom-up rows. RLE compression is rejected with a clear error. Returns
// RGBA pixels; every size is validated against the buffer.
import { QwasmError } from './errors.js';

export function isBmp(b) {
  return b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d;
}

export function decodeBmp(b) {
  const fail = (why) => { throw new QwasmError(`could not decode BMP: ${why}`); };
  if (b.length < 26 || !isBmp(b)) fail('not a BMP file');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const offset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  if (headerSize < 40 || 14 + headerSize > b.length) fail(`unsupported or truncated header (${headerSize} bytes)`);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0 || width > 32768 || height > 32768) fail(`bad size ${width}x${rawHeight}`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) fail(`${bpp} bits per pixel is not supported`);
  if (compression !== 0 && compression !== 3) fail(`compression ${compression} (RLE/JPEG/PNG) is not supported`);
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  if (offset < 14 + headerSize) fail(`pixel data offset ${offset} lies inside the ${14 + headerSize}-byte header`);
  if (offset > b.length || stride * height > b.length - offset) fail('pixel data is truncated');

  let masks = null;
  if (compression === 3 || bpp === 16) {
    masks = compression === 3
      ? [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true), headerSize >= 56 ? dv.getUint32(66, true) : 0]
      : [0x7c00, 0x03e0, 0x001f, 0];
    if (compression === 3 && headerSize === 40 && 14 + 40 + 12 > b.length) fail('bitfield masks are truncated');
    if (!masks[0] && !masks[1] && !masks[2]) fail('the red, green and blue bit masks are all zero');
    if (compression === 3 && headerSize === 40 && offset < 14 + 40 + 12) fail(`pixel data offset ${offset} lies inside the bit masks`);
  }
  let palette = null;
  let colors = 0;
  if (bpp <= 8) {
    colors = dv.getUint32(46, true) || 1 << bpp;
    const start = 14 + headerSize;
    if (colors > 256 || start + colors * 4 > offset) fail('palette is truncated');
    palette = new Uint8Array(256 * 4);
    for (let i = 0; i < colors; i++) {
      palette[i * 4] = b[start + i * 4 + 2];
      palette[i * 4 + 1] = b[start + i * 4 + 1];
      palette[i * 4 + 2] = b[start + i * 4];
      palette[i * 4 + 3] = 255;
    }
  }
  // A bitfield channel scaled to 0..255 (a missing mask means opaque alpha).
  const fields = (masks ?? []).map((mask) => {
    let shift = 0;
    while (mask && ((mask >>> shift) & 1) === 0) shift++;
    return { mask, shift, max: mask >>> shift };
  });
  const channel = (v, k) => {
    const f = fields[k];
    if (!f.mask) return 255;
    return Math.round((((v & f.mask) >>> f.shift) * 255) / f.max);
  };
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = offset + stride * (rawHeight > 0 ? height - 1 - y : y);
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4;
      if (palette) {
        const bit = x * bpp;
        const byte = b[row + (bit >> 3)];
        const index = bpp === 8 ? byte : (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (index >= colors) fail(`pixel (${x}, ${y}) uses colour ${index} of a ${colors}-colour palette`);
        data.set(palette.subarray(index * 4, index * 4 + 4), d);
      } else if (masks) {
        const v = bpp === 16 ? dv.getUint16(row + x * 2, true) : dv.getUint32(row + x * 4, true);
        data[d] = channel(v, 0);
        data[d + 1] = channel(v, 1);
        data[d + 2] = channel(v, 2);
        data[d + 3] = channel(v, 3);
      } else {
        const p = row + x * (bpp / 8);
        data[d] = b[p + 2];
        data[d + 1] = b[p + 1];
        data[d + 2] = b[p];
        data[d + 3] = 255;
      }
    }
  }
  return { data, width, height };
}
