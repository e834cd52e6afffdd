// Hostile images and inputs (issue 15): headers that claim huge sizes,
// files without the data their header promises, pixel objects of the wrong
// type, detached buffers and bad options. Each is a QwasmError, quickly and
// without allocating for the claimed size; the model still works after.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { decodeImage, load, QwasmError } from 'qwasm';

const SHARED = new URL('../../../shared/', import.meta.url);
const MODEL = new URL('models/mobilenet_v1_0.25_128_quant.tflite', SHARED);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data = new Uint8Array(0)) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** A PNG whose IHDR claims width x height (RGBA, 8 bits) with the given IDAT data. */
function pngClaiming(width, height, idat) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    ...(idat ? [chunk('IDAT', idat)] : []), chunk('IEND')]);
}

/** parrot.jpg with its frame header (SOF) patched to width x height, cut `keep` bytes after SOS, plus EOI. */
async function jpegClaiming(width, height, keep) {
  const jpeg = Buffer.from(await readFile(new URL('images/parrot.jpg', SHARED)));
  let i = 2, sos = -1;
  while (i < jpeg.length) {
    const m = jpeg[i + 1];
    if (m >= 0xc0 && m <= 0xc2) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
    }
    if (m === 0xda) { sos = i; break; }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  return Buffer.concat([jpeg.subarray(0, sos + keep), Buffer.from([0xff, 0xd9])]);
}

/** A BMP (40-byte header) with header fields overridable and the given palette / masks / pixel rows. */
function bmp({ width = 2, height = 2, bpp = 24, compression = 0, colors = 0, extra = [], rows, offset }) {
  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  const pixels = Buffer.alloc(stride * height);
  rows?.forEach((r, y) => pixels.set(r, y * stride));
  const head = 54 + extra.length;
  const b = Buffer.alloc(head + pixels.length);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset ?? head, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(bpp, 28);
  b.writeUInt32LE(compression, 30);
  b.writeUInt32LE(colors, 46);
  b.set(extra, 54);
  b.set(pixels, head);
  return b;
}

/** Asserts `promise` rejects with a QwasmError matching `re` within 1 s and < 100 MB of RSS growth. */
async function refusedQuickly(promise, re) {
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof QwasmError, `expected a QwasmError, got ${e?.name}: ${e?.message}`);
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /undefined/);
    return true;
  });
  const ms = performance.now() - t0;
  const grew = (process.memoryUsage().rss - rss0) / 2 ** 20;
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(grew < 100, `RSS grew ${grew.toFixed(0)} MB`);
}

describe('hostile images (issue 15)', () => {
  let model;
  let before0;
  const photo = new URL('images/parrot.jpg', SHARED).pathname;
  before(async () => {
    model = await load(MODEL.pathname);
    before0 = await model.classify(photo);
  });
  after(() => model?.dispose());

  it('a PNG claiming 8000x8000 with an empty IDAT, or no IDAT, is refused', async () => {
    const empty = pngClaiming(8000, 8000, new Uint8Array(0));
    await refusedQuickly(model.classify(empty), /^could not decode PNG: the file has no image data \(IDAT\)$/);
    await refusedQuickly(model.classify(pngClaiming(8000, 8000, null)), /no image data/);
    // 65 bytes: a few bytes of deflate data that cannot hold 8000 x 8000 x 4 bytes.
    const tiny = pngClaiming(8000, 8000, deflateSync(Buffer.alloc(1000)).subarray(0, 8));
    assert.equal(tiny.length, 65);
    await refusedQuickly(model.classify(tiny), /^could not decode PNG: 8 bytes of image data cannot hold 8000x8000 pixels/);
  });

  it('a PNG claiming 65500x65500 is over maxPixels', async () => {
    await refusedQuickly(model.classify(pngClaiming(65500, 65500, new Uint8Array(100))),
      /^image is 65500x65500 \(4091\.5 M pixels\), more than maxPixels \(67108864\)$/);
    await refusedQuickly(model.classify(new Blob([pngClaiming(65500, 65500, new Uint8Array(100))])), /more than maxPixels/);
  });

  it('a JPEG whose SOF claims 20000x20000 (or 8000x8000) with a tiny scan is refused', async () => {
    const bomb = await jpegClaiming(20000, 20000, 600);
    await refusedQuickly(model.classify(bomb), /^image is 20000x20000 \(381\.5 M pixels\), more than maxPixels/);
    await refusedQuickly(model.classify(await jpegClaiming(8000, 8000, 600)),
      /^could not decode JPEG: \d+ bytes of image data cannot hold 8000x8000 pixels/);
  });

  it('maxPixels is a load() option', async () => {
    const small = await load(MODEL.pathname, { maxPixels: 1000 });
    try {
      assert.equal(small.maxPixels, 1000);
      await assert.rejects(small.classify(photo),
        (e) => e instanceof QwasmError && e.message === 'image is 512x929 (0.5 M pixels), more than maxPixels (1000)');
      await assert.rejects(small.classify({ data: new Uint8Array(32 * 32 * 3), width: 32, height: 32 }), /more than maxPixels \(1000\)/);
    } finally {
      small.dispose();
    }
    assert.equal(model.maxPixels, 67108864);
    await assert.rejects(load(MODEL.pathname, { maxPixels: '5' }),
      (e) => e instanceof QwasmError && e.message === 'option maxPixels must be a positive integer, got "5"');
  });

  it('BMPs: data offset inside the header, palette overflow, all-zero masks', async () => {
    await refusedQuickly(model.classify(bmp({ offset: 0 })), /^could not decode BMP: pixel data offset 0 lies inside the 54-byte header$/);
    // A 2-colour palette, 8 bits per pixel, a pixel using colour 7.
    const palette = [0, 0, 0, 0, 255, 255, 255, 0];
    await refusedQuickly(model.classify(bmp({ bpp: 8, colors: 2, extra: palette, rows: [[0, 1], [7, 0]] })),
      /^could not decode BMP: pixel \(\d, \d\) uses colour 7 of a 2-colour palette$/);
    const zeroMasks = new Array(12).fill(0);
    await refusedQuickly(model.classify(bmp({ bpp: 32, compression: 3, extra: zeroMasks })),
      /^could not decode BMP: the red, green and blue bit masks are all zero$/);
    const truncated = bmp({ width: 4, height: 4 });
    truncated.writeInt32LE(3000, 18);
    truncated.writeInt32LE(3000, 22);
    await refusedQuickly(model.classify(truncated), /^could not decode BMP: pixel data is truncated/);
  });

  it('decoder failures are in our words', async () => {
    const good = PNG.sync.write(Object.assign(new PNG({ width: 64, height: 64 }), { data: Buffer.alloc(64 * 64 * 4, 7) }));
    // Damaged deflate data with a valid CRC: an IDAT of garbage.
    const ihdrEnd = 8 + 25;
    const damaged = Buffer.concat([good.subarray(0, ihdrEnd), chunk('IDAT', Buffer.alloc(200, 0xaa)), chunk('IEND')]);
    await assert.rejects(decodeImage(damaged),
      (e) => e instanceof QwasmError && /^could not decode PNG: (compressed )?image data is damaged/.test(e.message));
    // Deflate data cut short.
    const z = deflateSync(Buffer.alloc(64 * 65, 0x11));
    const cut = Buffer.concat([good.subarray(0, ihdrEnd), chunk('IDAT', z.subarray(0, z.length - 6)), chunk('IEND')]);
    await assert.rejects(decodeImage(cut), (e) => e instanceof QwasmError && /^could not decode PNG: /.test(e.message)
      && !/waitng|undefined/.test(e.message));
    const jpeg = await readFile(new URL('images/parrot.jpg', SHARED));
    await assert.rejects(decodeImage(jpeg.subarray(0, 400)), (e) => e instanceof QwasmError && /^could not decode JPEG: /.test(e.message)
      && !/undefined/.test(e.message));
  });

  it('pixel objects must hold bytes; detached buffers are named', async () => {
    for (const T of [Float32Array, Uint16Array, Float64Array]) {
      await assert.rejects(model.classify({ data: new T(16 * 16 * 4 / T.BYTES_PER_ELEMENT), width: 16, height: 16 }),
        (e) => e instanceof QwasmError && e.message === `image data must be a Uint8Array or Uint8ClampedArray of bytes, got ${T.name}`);
    }
    await assert.rejects(model.classify({ data: new DataView(new ArrayBuffer(1024)), width: 16, height: 16 }), /got DataView/);
    const data = new Uint8Array(16 * 16 * 4);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    await assert.rejects(model.classify({ data, width: 16, height: 16 }),
      (e) => e instanceof QwasmError && e.message === "image data's ArrayBuffer is detached (transferred?)");
    const bytes = await readFile(photo);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    structuredClone(ab, { transfer: [ab] });
    await assert.rejects(model.classify(ab), /detached/);
  });

  it('options: null is no options; non-objects and bad values are clear errors', async () => {
    const px = { data: new Uint8Array(16 * 16 * 3), width: 16, height: 16 };
    assert.equal((await model.classify(px, null)).length, 5);
    assert.equal((await model.embed(px, null)).length, model.outputSize);
    await assert.rejects(model.classify(px, 5), (e) => e instanceof QwasmError && e.message === 'options must be an object, got 5');
    await assert.rejects(model.embed(px, 'yes'), (e) => e instanceof QwasmError && e.message === 'options must be an object, got "yes"');
    await assert.rejects(load(MODEL.pathname, { threads: '2' }),
      (e) => e instanceof QwasmError && e.message === 'option threads must be a positive integer, got "2"');
  });

  it('run() takes the typed array of the model input type', () => {
    assert.equal(model.inputType, 'uint8');
    const n = model.inputShape.reduce((a, b) => a * b);
    assert.throws(() => model.run(new Float32Array(n / 4)),
      (e) => e instanceof QwasmError && e.message === 'input tensor must be a Uint8Array or a Uint8ClampedArray for this uint8 model, got Float32Array');
    assert.throws(() => model.run(new Int8Array(n)), /got Int8Array/);
    assert.equal(model.run(new Uint8ClampedArray(n)).length, model.outputSize);
  });

  it('after all of it, a normal photo classifies as before', async () => {
    assert.deepEqual(await model.classify(photo), before0);
  });
});
