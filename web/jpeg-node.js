// jpeg-node.js — JPEG decoding in Node with libjpeg-turbo's algorithm
// (MozJPEG's decoder compiled to wasm, npm @jsquash/jpeg): integer IDCT,
// fancy chroma upsampling, the same colour conversion. Chromium decodes with
// libjpeg-turbo too, so Node sees byte-for-byte the pixels a browser sees
// (tests/e2e/node-vs-browser.test.mjs checks it on real photos) and both give
// the same classifications.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import decode, { init } from '@jsquash/jpeg/decode.js';
import { QwasmError } from './errors.js';

let ready = null;
let messages = [];  // libjpeg's warnings and errors for the current decode

function decoder() {
  ready ??= (async () => {
    const path = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
    const wasm = await WebAssembly.compile(await readFile(path));
    await init(wasm, { print: () => {}, printErr: (m) => messages.push(String(m)) });
  })();
  return ready;
}

/** Decodes JPEG bytes to RGBA; truncated or corrupt data is a QwasmError. */
export async function decodeJpeg(bytes) {
  await decoder();
  messages = [];
  let img;
  try {
    img = await decode(bytes);
  } catch (e) {
    throw new QwasmError(`could not decode JPEG: ${messages.at(-1) ?? e?.message ?? String(e ?? 'unknown error')}`, { cause: e });
  }
  // libjpeg fills a cut-off image with grey and only warns; a classifier
  // should not silently look at half a photo.
  if (messages.some((m) => /Premature end of JPEG file/.test(m))) {
    throw new QwasmError('could not decode JPEG: the image data is truncated (premature end of file)');
  }
  return { data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength), width: img.width, height: img.height };
}
