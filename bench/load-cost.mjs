// load-cost.mjs — load time against declared input size (issue 15): the
// shared MobileNet v1 0.25 QDQ ONNX with its input height rewritten from 128
// up to 65536 (the file stays 588 kB). Load should cost what the file costs,
// not what its activations would: the printed load/run ratio falls as the
// declared input grows. wasm memory: the module's size after the loads (it
// never shrinks; sizes run in ascending order).
//   node bench/load-cost.mjs [--threads N] [--heights 128,1024,8192,65536]
import { readFileSync } from 'node:fs';
import { load } from 'qwasm';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const threads = Number(opt('--threads', 1));
const heights = opt('--heights', '128,1024,8192,65536').split(',').map(Number);
const MODEL = new URL('../../shared/models/onnx/mobilenet_v1_0.25_128_quant.qdq.onnx', import.meta.url);

// Protobuf, just enough to rewrite one varint deep inside: fields of a message.
function fields(bytes) {
  const out = [];
  let at = 0;
  const varint = () => {
    let v = 0, shift = 0, b;
    do { b = bytes[at++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  while (at < bytes.length) {
    const start = at, key = varint(), wire = key % 8, number = Math.floor(key / 8);
    let body;
    if (wire === 0) { const s = at; varint(); body = bytes.subarray(s, at); }
    else if (wire === 2) { const n = varint(); body = bytes.subarray(at, at + n); at += n; }
    else if (wire === 5) { body = bytes.subarray(at, at + 4); at += 4; }
    else if (wire === 1) { body = bytes.subarray(at, at + 8); at += 8; }
    else throw new Error(`wire type ${wire}`);
    out.push({ number, wire, body, raw: bytes.subarray(start, at) });
  }
  return out;
}
const varintBytes = (v) => { const o = []; do { let b = v % 128; v = Math.floor(v / 128); if (v) b |= 0x80; o.push(b); } while (v); return o; };
const encode = (list) => Uint8Array.from(list.flatMap((f) => (f.replace
  ? [...varintBytes(f.number * 8 + 2), ...varintBytes(f.replace.length), ...f.replace] : [...f.raw])));

// Rewrites fields along `path` ([field number, occurrence] pairs) down to a varint.
function rewrite(bytes, path, value) {
  const list = fields(bytes);
  const [number, nth] = path[0];
  const hits = list.filter((f) => f.number === number);
  const target = hits[nth];
  if (path.length === 1) {
    return Uint8Array.from(list.flatMap((f) => (f === target ? [...varintBytes(number * 8), ...varintBytes(value)] : [...f.raw])));
  }
  target.replace = rewrite(target.body, path.slice(1), value);
  return encode(list);
}

const base = new Uint8Array(readFileSync(MODEL));
// ModelProto.graph(7) > GraphProto.input(11)[0] > ValueInfoProto.type(2) > TypeProto.tensor_type(1)
// > shape(2) > dim(1)[1] (NHWC height) > dim_value(1)
const tall = (h) => rewrite(base, [[7, 0], [11, 0], [2, 0], [1, 0], [2, 0], [1, 1], [1, 0]], h);
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

console.log(`threads ${threads}; medians of 5 loads after one warm-up (the first load of a size grows wasm memory)`);
console.log('| declared input | file | load ms | run ms | load / run | arena MB | wasm memory MB |');
console.log('|---|---|---|---|---|---|---|');
for (const h of heights) {
  const bytes = tall(h);
  const loads = [];
  let model = await load(bytes, { threads });
  model.dispose();
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    model = await load(bytes, { threads });
    loads.push(performance.now() - t);
    if (i < 4) model.dispose();
  }
  const input = new Uint8Array(model.inputShape.reduce((a, b) => a * b, 1));
  model.run(input);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    model.run(input);
    runs.push(performance.now() - t);
  }
  const l = median(loads), r = median(runs);
  console.log(`| ${model.inputShape.join('x')} | ${(bytes.length / 1000).toFixed(0)} kB | ${l.toFixed(1)} | ${r.toFixed(1)} | ${(l / r).toFixed(2)} | ${(model.arenaBytes / 2 ** 20).toFixed(1)} | ${(model._module.HEAPU8.buffer.byteLength / 2 ** 20).toFixed(0)} |`);
  model.dispose();
}
