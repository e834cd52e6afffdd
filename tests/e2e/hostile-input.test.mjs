// The browser entry's header check (issue 15): a Blob whose PNG / JPEG
// header claims a huge image is refused before createImageBitmap sees it
// (maxPixels, and data too small for the claimed size), quickly; a normal
// photo classifies the same before and after; element sizes and pixel
// objects are checked too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { blankPage, startBrowser } from './browser.mjs';

const CAT = '/shared/images/cat.bmp';

describe('hostile images in Chromium', () => {
  let env;
  let page;
  before(async () => {
    env = await startBrowser({ isolation: false });
    page = await blankPage(env, { isolation: false });
  });
  after(() => env?.close());

  test('Blob bombs are QwasmErrors before decoding; the model still works', async () => {
    const r = await page.evaluate(async (image) => {
      const { load } = await import('/web/index.js');
      const m = await load(undefined, { threads: 1 });
      const catBlob = await (await fetch(image)).blob();
      const first = await m.classify(catBlob, { topK: 3 });
      const crcTable = Array.from({ length: 256 }, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
      });
      const crc = (b) => { let c = ~0; for (const x of b) c = crcTable[(c ^ x) & 255] ^ (c >>> 8); return ~c >>> 0; };
      const chunk = (type, data) => {
        const out = new Uint8Array(12 + data.length);
        const dv = new DataView(out.buffer);
        dv.setUint32(0, data.length);
        for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
        out.set(data, 8);
        dv.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)));
        return out;
      };
      const png = (w, h, idat) => {
        const ihdr = new Uint8Array(13);
        new DataView(ihdr.buffer).setUint32(0, w);
        new DataView(ihdr.buffer).setUint32(4, h);
        ihdr.set([8, 6, 0, 0, 0], 8);
        return new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat),
          chunk('IEND', new Uint8Array(0))], { type: 'image/png' });
      };
      // A JPEG: SOI, a 60 kB APP1 segment (the SOF is past it), SOF0 claiming 20000 x 20000, a tiny scan.
      const jpeg = (w, h) => {
        const app = new Uint8Array(4 + 60000);
        app.set([0xff, 0xe1, 0, 0]);
        new DataView(app.buffer).setUint16(2, 60002);
        const sof = new Uint8Array([0xff, 0xc0, 0, 11, 8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0]);
        const sos = new Uint8Array([0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 1, 2, 3, 4, 0xff, 0xd9]);
        return new Blob([new Uint8Array([0xff, 0xd8]), app, sof, sos], { type: 'image/jpeg' });
      };
      const results = [];
      for (const [name, blob] of [['png8000', png(8000, 8000, new Uint8Array(8))], ['png65500', png(65500, 65500, new Uint8Array(8))],
        ['jpeg20000', jpeg(20000, 20000)], ['jpeg8000', jpeg(8000, 8000)]]) {
        const t0 = performance.now();
        try {
          await m.classify(blob);
          results.push({ name, error: null });
        } catch (e) {
          results.push({ name, error: `${e.name}: ${e.message}`, ms: performance.now() - t0 });
        }
      }
      let pixels;
      try {
        await m.classify({ data: new Float32Array(64), width: 4, height: 4 });
      } catch (e) {
        pixels = `${e.name}: ${e.message}`;
      }
      const again = await m.classify(catBlob, { topK: 3 });
      m.dispose();
      return { first, again, results, pixels };
    }, CAT);
    assert.deepEqual(r.again, r.first);
    const byName = Object.fromEntries(r.results.map((x) => [x.name, x]));
    assert.match(byName.png8000.error, /^QwasmError: could not decode PNG: 8 bytes of image data cannot hold 8000x8000 pixels/);
    assert.match(byName.png65500.error, /^QwasmError: image is 65500x65500 \(4091\.5 M pixels\), more than maxPixels \(67108864\)$/);
    assert.match(byName.jpeg20000.error, /^QwasmError: image is 20000x20000 \(381\.5 M pixels\), more than maxPixels/);
    assert.match(byName.jpeg8000.error, /^QwasmError: could not decode JPEG: \d+ bytes of image data cannot hold 8000x8000 pixels/);
    for (const x of r.results) assert.ok(x.ms < 1000, `${x.name} took ${x.ms} ms`);
    assert.equal(r.pixels, 'QwasmError: image data must be a Uint8Array or Uint8ClampedArray of bytes, got Float32Array');
  });

  test('worker mode: maxPixels reaches the worker, and elements are checked before a bitmap is made', async () => {
    const r = await page.evaluate(async (image) => {
      const { load } = await import('/web/index.js');
      const catBlob = await (await fetch(image)).blob();
      const main = await load(undefined, { threads: 1 });
      const want = await main.classify(catBlob, { topK: 3 });
      main.dispose();
      const m = await load(undefined, { worker: true, threads: 1, maxPixels: 1000000 });
      const errors = {};
      const attempt = async (name, img) => {
        try {
          await m.classify(img);
          errors[name] = null;
        } catch (e) {
          errors[name] = `${e.name}: ${e.message}`;
        }
      };
      // A PNG header claiming 2000 x 1000, with no need for real data: refused by its header in the worker.
      const header = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
        0, 0, 0x07, 0xd0, 0, 0, 0x03, 0xe8, 8, 6, 0, 0, 0, 0, 0, 0, 0]);
      await attempt('blob', new Blob([header], { type: 'image/png' }));
      const canvas = document.createElement('canvas');
      canvas.width = 2000;
      canvas.height = 1000;
      await attempt('canvas', canvas);
      await attempt('pixels', { data: new Uint8Array(2000 * 1000 * 4), width: 2000, height: 1000 });
      const got = await m.classify(catBlob, { topK: 3 });
      const maxPixels = m.maxPixels;
      m.dispose();
      return { want, got, errors, maxPixels };
    }, CAT);
    assert.equal(r.maxPixels, 1000000);
    const over = 'QwasmError: image is 2000x1000 (1.9 M pixels), more than maxPixels (1000000)';
    assert.equal(r.errors.blob, over);
    assert.equal(r.errors.canvas, over);
    assert.equal(r.errors.pixels, over);
    assert.deepEqual(r.got, r.want);
  });
});
