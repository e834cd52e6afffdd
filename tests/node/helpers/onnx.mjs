// onnx.mjs — writes small ONNX models (protobuf wire format) for the Node
// tests, as tests/cpp/onnx_builder.h does for the C++ ones. Field numbers as
// in onnx/onnx.proto3. Not a test file (node --test skips helpers/).

class Msg {
  constructor() {
    this.bytes = [];
  }

  raw(v) {  // one varint (v < 2^53)
    do {
      let byte = v % 128;
      v = Math.floor(v / 128);
      if (v) byte |= 0x80;
      this.bytes.push(byte);
    } while (v);
    return this;
  }

  varint(field, v) { return this.raw(field * 8).raw(v); }

  data(field, bytes) {
    this.raw(field * 8 + 2).raw(bytes.length);
    for (const b of bytes) this.bytes.push(b);
    return this;
  }

  str(field, s) { return this.data(field, new TextEncoder().encode(s)); }
  sub(field, m) { return this.data(field, m.bytes); }
}

const FLOAT = 1;

/** A float initializer. */
export function floats(name, dims, values) {
  const t = new Msg();
  for (const d of dims) t.varint(1, d);
  const raw = new Uint8Array(Float32Array.from(values).buffer);
  return t.varint(2, FLOAT).str(8, name).data(9, raw);
}

/** An int64 initializer (shapes, axes, split sizes). */
export function int64s(name, dims, values) {
  const t = new Msg();
  for (const d of dims) t.varint(1, d);
  const raw = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
  return t.varint(2, 7).str(8, name).data(9, raw);
}

/** A float graph input or output of the given shape. */
export function valueInfo(name, dims) {
  const shape = new Msg();
  for (const d of dims) shape.sub(1, new Msg().varint(1, d));
  const tensorType = new Msg().varint(1, FLOAT).sub(2, shape);
  return new Msg().str(1, name).sub(2, new Msg().sub(1, tensorType));
}

export const attrInt = (name, i) => new Msg().str(1, name).varint(20, 2).varint(3, i);
export function attrFloat(name, f) {
  const m = new Msg().str(1, name).varint(20, 1);
  m.raw(2 * 8 + 5);
  for (const b of new Uint8Array(Float32Array.of(f).buffer)) m.bytes.push(b);
  return m;
}
export function attrInts(name, values) {
  const packed = new Msg();
  for (const v of values) packed.raw(v);
  return new Msg().str(1, name).varint(20, 7).sub(8, packed);
}

/** A node: op type, input and output names, attributes. */
export function node(op, inputs, outputs, attrs = []) {
  const n = new Msg();
  for (const s of inputs) n.str(1, s);
  for (const s of outputs) n.str(2, s);
  n.str(3, outputs[0]).str(4, op);
  for (const a of attrs) n.sub(5, a);
  return n;
}

/** The model file: { nodes, initializers, inputs, outputs } at an opset. */
export function model({ nodes, initializers = [], inputs, outputs }, opset = 13) {
  const graph = new Msg();
  for (const n of nodes) graph.sub(1, n);
  graph.str(2, 'test');
  for (const t of initializers) graph.sub(5, t);
  for (const v of inputs) graph.sub(11, v);
  for (const v of outputs) graph.sub(12, v);
  const m = new Msg().varint(1, 8).str(2, 'qwasm-test').sub(7, graph).sub(8, new Msg().str(1, '').varint(2, opset));
  return Uint8Array.from(m.bytes);
}

/** Deterministic pseudo-random values in [-1, 1) (a 32-bit LCG). */
export function pseudoRandom(n, seed = 1) {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
