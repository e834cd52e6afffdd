// Node image decoding: BMP variants (hand-built files), EXIF orientation of
// JPEGs, and clear errors for damaged files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import encode, { init as initEncoder } from '@jsquash/jpeg/encode.js';
import { decodeImage, QwasmError } from 'qwasm';
import { applyOrientation, jpegOrientation } from '../../web/exif.js';

describe('JPEG errors', () => {
  it('a truncated or damaged JPEG is a clear error, and the decoder keeps working', async () => {
    const jpeg = await readFile(new URL('../../../shared/images/parrot.jpg', import.meta.url));
    await assert.rejects(decodeImage(jpeg.subarray(0, 50000)), /truncated/);
    await assert.rejects(decodeImage(jpeg.subarray(0, 300)), (e) => e instanceof QwasmError && /could not decode JPEG/.test(e.message));
    await assert.rejects(decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0x00, 1, 2])), QwasmError);
    const ok = await decodeImage(jpeg);
    assert.deepEqual([ok.width, ok.height], [512, 929]);
  });
});

// Builds a BMP: header fields + pixel rows given as byte arrays (bottom-up
// unless topDown), padded to 4 bytes.
function bmp({ width, height, bpp, rows, palette = [], masks = null, topDown = false }) {
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  const headerSize = 40;
  const extra = masks ? 12 : 0;
  const offset = 14 + headerSize + extra + palette.length * 4;
  const b = new Uint8Array(offset + stride * height);
  const dv = new DataView(b.buffer);
  b[0] = 0x42; b[1] = 0x4d;
  dv.setUint32(2, b.length, true);
  dv.setUint32(10, offset, true);
  dv.setUint32(14, headerSize, true);
  dv.setInt32(18, width, true);
  dv.setInt32(22, topDown ? -height : height, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, bpp, true);
  dv.setUint32(30, masks ? 3 : 0, true);
  dv.setUint32(46, palette.length, true);
  if (masks) masks.forEach((m, i) => dv.setUint32(54 + 4 * i, m, true));
  palette.forEach(([r, g, bl], i) => b.set([bl, g, r, 0], 14 + headerSize + extra + 4 * i));
  rows.forEach((row, y) => b.set(row, offset + stride * (topDown ? y : height - 1 - y)));
  return b;
}

// MozJPEG's encoder (the decoder's sibling) makes the test JPEGs.
const encoderReady = (async () => {
  const wasm = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm');
  await initEncoder(await WebAssembly.compile(await readFile(wasm)));
})();

const px = (img, x, y) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

describe('BMP decoder', () => {
  it('24-bit bottom-up, with row padding', async () => {
    const img = await decodeImage(bmp({ width: 3, height: 2, bpp: 24, rows: [[0, 0, 255, 0, 255, 0, 255, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8, 9]] }));
    assert.equal(img.width, 3);
    assert.deepEqual(px(img, 0, 0), [255, 0, 0, 255]); // BGR on disk
    assert.deepEqual(px(img, 2, 0), [0, 0, 255, 255]);
    assert.deepEqual(px(img, 1, 1), [6, 5, 4, 255]);
  });
  it('8-bit and 1-bit palettes, top-down', async () => {
    const pal = [[10, 20, 30], [200, 100, 50]];
    const img8 = await decodeImage(bmp({ width: 2, height: 1, bpp: 8, rows: [[1, 0]], palette: pal, topDown: true }));
    assert.deepEqual(px(img8, 0, 0), [200, 100, 50, 255]);
    assert.deepEqual(px(img8, 1, 0), [10, 20, 30, 255]);
    const img1 = await decodeImage(bmp({ width: 3, height: 1, bpp: 1, rows: [[0b10100000]], palette: pal }));
    assert.deepEqual([px(img1, 0, 0)[0], px(img1, 1, 0)[0], px(img1, 2, 0)[0]], [200, 10, 200]);
  });
  it('32-bit BI_BITFIELDS with alpha and 16-bit 5-5-5', async () => {
    const masks = [0x00ff0000, 0x0000ff00, 0x000000ff];
    const img = await decodeImage(bmp({ width: 1, height: 1, bpp: 32, masks, rows: [[0x33, 0x22, 0x11, 0x80]] }));
    assert.deepEqual(px(img, 0, 0), [0x11, 0x22, 0x33, 255]);
    const v = (31 << 10) | (0 << 5) | 16; // r max, g 0, b 16/31
    const img16 = await decodeImage(bmp({ width: 1, height: 1, bpp: 16, rows: [[v & 255, v >> 8]] }));
    assert.deepEqual(px(img16, 0, 0), [255, 0, Math.round((16 * 255) / 31), 255]);
  });
  it('rejects truncated and unsupported BMPs clearly', async () => {
    const good = bmp({ width: 4, height: 4, bpp: 24, rows: [] });
    await assert.rejects(decodeImage(good.subarray(0, good.length - 10)), (e) => e instanceof QwasmError && /truncated/.test(e.message));
    const rle = new Uint8Array(good);
    new DataView(rle.buffer).setUint32(30, 1, true);
    await assert.rejects(decodeImage(rle), /compression 1/);
    const huge = new Uint8Array(good);
    new DataView(huge.buffer).setInt32(18, 100000, true);
    await assert.rejects(decodeImage(huge), /bad size/);
  });
});

// A JPEG whose left half is red and right half blue, optionally with an EXIF
// orientation tag inserted after SOI.
async function jpegWithOrientation(orientation) {
  await encoderReady;
  const w = 32, h = 16;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(x < w / 2 ? [255, 0, 0, 255] : [0, 0, 255, 255], (y * w + x) * 4);
  const body = new Uint8Array(await encode({ data, width: w, height: h, colorSpace: 'srgb' }, { quality: 95, progressive: false }));
  if (!orientation) return body;
  // APP1: "Exif\0\0" + little-endian TIFF header + IFD0 with one entry.
  const tiff = [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = payload.length + 2;
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, len >> 8, len & 255, ...payload, ...body.subarray(2)]);
}

describe('JPEG EXIF orientation', () => {
  it('reads the orientation tag', async () => {
    assert.equal(jpegOrientation(await jpegWithOrientation(0)), 1);
    for (const o of [1, 3, 6, 8]) assert.equal(jpegOrientation(await jpegWithOrientation(o)), o);
  });
  it('turns photos upright as browsers do', async () => {
    const plain = await decodeImage(await jpegWithOrientation(0));
    assert.equal(plain.width, 32);
    assert.ok(px(plain, 2, 8)[0] > 200); // red on the left
    const six = await decodeImage(await jpegWithOrientation(6)); // rotate 90° clockwise
    assert.equal(six.width, 16);
    assert.equal(six.height, 32);
    assert.ok(px(six, 8, 2)[0] > 200, 'red on top after a clockwise turn');
    assert.ok(px(six, 8, 29)[2] > 200, 'blue at the bottom');
    const three = await decodeImage(await jpegWithOrientation(3)); // 180°
    assert.ok(px(three, 29, 8)[0] > 200, 'red on the right after 180°');
  });
  it('all eight orientations are bijections of the pixels', () => {
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => i) };
    for (let o = 1; o <= 8; o++) {
      const r = applyOrientation(img, o);
      assert.equal(r.width * r.height, 6);
      const firsts = new Set();
      for (let i = 0; i < 6; i++) firsts.add(r.data[i * 4]);
      assert.equal(firsts.size, 6, `orientation ${o}`);
    }
    // Orientation 8 (90° counter-clockwise): the top-right pixel lands top-left.
    assert.equal(applyOrientation(img, 8).data[0], 8);
  });
});
