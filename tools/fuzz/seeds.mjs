// seeds.mjs — writes seed corpora for the fuzz targets (tests/fuzz):
//   node tools/fuzz/seeds.mjs OUT_DIR
// makes OUT_DIR/{onnx,qwm,preprocess}/ with small inputs: tiny ONNX models
// from the Node tests' writer (tests/node/helpers/onnx.mjs), the committed
// default model models/fashion-mnist/fashion-mnist.qwm, and a few
// preprocessing parameter blocks. The TFLite seeds come from
// build/fuzz/fuzz_tflite_seeds (tests/fuzz/tflite_seeds.cc, the C++ tests'
// TFLite builder); tools/fuzz.sh runs both. Nothing from ../shared.
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  attrFloat, attrInt, attrInts, floats, int64s, model, node, pseudoRandom, valueInfo,
} from '../../tests/node/helpers/onnx.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = process.argv[2];
if (!out) {
  console.error('usage: node tools/fuzz/seeds.mjs OUT_DIR');
  process.exit(2);
}
const dir = (name) => { const d = join(out, name); mkdirSync(d, { recursive: true }); return d; };

// ONNX: a few small graphs over the ops the importer handles.
const onnx = dir('onnx');
const put = (name, bytes) => writeFileSync(join(onnx, `${name}.onnx`), bytes);
put('conv_relu_pool', model({
  nodes: [
    node('Conv', ['x', 'w', 'b'], ['c'], [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]),
      attrInts('strides', [1, 1])]),
    node('Relu', ['c'], ['r']),
    node('MaxPool', ['r'], ['p'], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]),
    node('GlobalAveragePool', ['p'], ['g']),
    node('Flatten', ['g'], ['f'], [attrInt('axis', 1)]),
    node('Gemm', ['f', 'fw', 'fb'], ['y'], [attrInt('transB', 1), attrFloat('alpha', 1)]),
    node('Softmax', ['y'], ['out'], [attrInt('axis', 1)]),
  ],
  initializers: [
    floats('w', [4, 1, 3, 3], pseudoRandom(36, 1)), floats('b', [4], pseudoRandom(4, 2)),
    floats('fw', [3, 4], pseudoRandom(12, 3)), floats('fb', [3], pseudoRandom(3, 4)),
  ],
  inputs: [valueInfo('x', [1, 1, 8, 8])],
  outputs: [valueInfo('out', [1, 3])],
}));
put('reshape_add_matmul', model({
  nodes: [
    node('Reshape', ['x', 'shape'], ['r']),
    node('Add', ['r', 'bias'], ['a']),
    node('MatMul', ['a', 'w'], ['m']),
    node('Sigmoid', ['m'], ['out']),
  ],
  initializers: [
    int64s('shape', [2], [1, 6]), floats('bias', [6], pseudoRandom(6, 5)), floats('w', [6, 2], pseudoRandom(12, 6)),
  ],
  inputs: [valueInfo('x', [1, 2, 3])],
  outputs: [valueInfo('out', [1, 2])],
}));
put('depthwise_bn_clip', model({
  nodes: [
    node('Conv', ['x', 'w'], ['c'], [attrInts('kernel_shape', [3, 3]), attrInt('group', 2),
      attrInts('pads', [1, 1, 1, 1])]),
    node('BatchNormalization', ['c', 's', 'bb', 'mu', 'var'], ['n'], [attrFloat('epsilon', 1e-5)]),
    node('Clip', ['n', 'lo', 'hi'], ['k']),
    node('Concat', ['k', 'x'], ['cat'], [attrInt('axis', 1)]),
    node('Transpose', ['cat'], ['out'], [attrInts('perm', [0, 2, 3, 1])]),
  ],
  initializers: [
    floats('w', [2, 1, 3, 3], pseudoRandom(18, 7)), floats('s', [2], [1, 0.5]), floats('bb', [2], [0, 1]),
    floats('mu', [2], [0.1, -0.1]), floats('var', [2], [1, 2]), floats('lo', [], [0]), floats('hi', [], [6]),
  ],
  inputs: [valueInfo('x', [1, 2, 4, 4])],
  outputs: [valueInfo('out', [1, 4, 4, 4])],
}));

// .qwm: the committed default model (60 kB), by path.
copyFileSync(join(root, 'models/fashion-mnist/fashion-mnist.qwm'), join(dir('qwm'), 'fashion-mnist.qwm'));

// Preprocessing: the parameter block fuzz_preprocess.cc reads (width u16,
// height u16, channels u8, pad u8, out_w u16, out_h u16, out_channels u8,
// crop bits u32, crop-from-fraction flag u8), then pixel bytes.
const pre = dir('preprocess');
const block = (w, h, c, pad, ow, oh, oc, crop) => {
  const b = Buffer.alloc(16 + 64);
  b.writeUInt16LE(w, 0); b.writeUInt16LE(h, 2); b.writeUInt8(c, 4); b.writeUInt8(pad, 5);
  b.writeUInt16LE(ow, 6); b.writeUInt16LE(oh, 8); b.writeUInt8(oc, 10);
  b.writeFloatLE(crop, 11); b.writeUInt8(0, 15);
  for (let i = 16; i < b.length; ++i) b[i] = (i * 37) & 255;
  return b;
};
writeFileSync(join(pre, 'rgba_224.bin'), block(320, 240, 4, 0, 224, 224, 3, 0.875));
writeFileSync(join(pre, 'gray_28.bin'), block(28, 28, 1, 3, 28, 28, 1, 1));
writeFileSync(join(pre, 'rgb_up.bin'), block(5, 7, 3, 1, 64, 48, 3, 0.5));
writeFileSync(join(pre, 'tiny.bin'), block(1, 1, 4, 0, 3, 2, 1, 0.01));
console.log(`seeds written to ${out}`);
