// The operator forms torch.onnx.export writes for torchvision networks
// (issue 13), in one small float model per opset, run by qwasm and by
// onnxruntime-web on the same input tensor: grouped Conv, MaxPool with
// ceil_mode, squeeze-and-excitation (GlobalAveragePool, HardSigmoid, a
// broadcast Mul), SiLU, Split, ShuffleNet's channel shuffle whose sizes come
// from Shape / Gather / Div / Unsqueeze / Concat (folded at import), Sub and
// Div by constants, ReduceMean, Flatten and Gemm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convert, load } from 'qwasm';
import * as onnx from './helpers/onnx.mjs';

const C = 8, H = 10;

function torchLikeModel(opset) {
  const n = onnx.node;
  const rnd = (count, seed) => Array.from(onnx.pseudoRandom(count, seed), (v) => v * 0.5);
  const nodes = [
    n('Conv', ['x', 'w0'], ['c0'], [onnx.attrInts('pads', [1, 1, 1, 1])]),
    n('Conv', ['c0', 'w1', 'b1'], ['c1'], [onnx.attrInt('group', 2), onnx.attrInts('pads', [1, 1, 1, 1])]),
    n('Relu', ['c1'], ['r1']),
    n('MaxPool', ['r1'], ['p1'], [onnx.attrInts('kernel_shape', [3, 3]), onnx.attrInts('strides', [2, 2]),
      onnx.attrInt('ceil_mode', 1)]),  // 10 -> 5 (4 without ceil_mode)
    n('GlobalAveragePool', ['p1'], ['g']),
    n('Conv', ['g', 'w2', 'b2'], ['c2']),
    n('HardSigmoid', ['c2'], ['hs'], [onnx.attrFloat('alpha', 1 / 6)]),
    n('Mul', ['p1', 'hs'], ['se']),
    n('Sigmoid', ['se'], ['sg']),
    n('Mul', ['se', 'sg'], ['silu']),
    opset >= 13 ? n('Split', ['silu', 'halves'], ['left', 'right'], [onnx.attrInt('axis', 1)])
      : n('Split', ['silu'], ['left', 'right'], [onnx.attrInt('axis', 1), onnx.attrInts('split', [4, 4])]),
    n('Sub', ['right', 'shift'], ['rs']),
    n('Div', ['rs', 'two'], ['rd']),
    n('Concat', ['left', 'rd'], ['cat'], [onnx.attrInt('axis', 1)]),
    n('Shape', ['cat'], ['shape']),
    n('Gather', ['shape', 'one'], ['channels'], [onnx.attrInt('axis', 0)]),
    n('Div', ['channels', 'groups_scalar'], ['per_group']),
    opset >= 13 ? n('Unsqueeze', ['per_group', 'axis0'], ['per_group1'])
      : n('Unsqueeze', ['per_group'], ['per_group1'], [onnx.attrInts('axes', [0])]),
    n('Concat', ['batch_groups', 'per_group1', 'hw'], ['view'], [onnx.attrInt('axis', 0)]),
    n('Reshape', ['cat', 'view'], ['v']),
    n('Transpose', ['v'], ['t'], [onnx.attrInts('perm', [0, 2, 1, 3, 4])]),
    n('Reshape', ['t', 'flat'], ['shuffled']),
    n('ReduceMean', ['shuffled'], ['mean'], [onnx.attrInts('axes', [2, 3]), onnx.attrInt('keepdims', 1)]),
    n('Flatten', ['mean'], ['f']),
    n('Gemm', ['f', 'w3', 'b3'], ['y'], [onnx.attrInt('transB', 1)]),
  ];
  const initializers = [
    onnx.floats('w0', [C, 3, 3, 3], rnd(C * 27, 2)),
    onnx.floats('w1', [C, C / 2, 3, 3], rnd(C * C / 2 * 9, 3)), onnx.floats('b1', [C], rnd(C, 4)),
    onnx.floats('w2', [C, C, 1, 1], rnd(C * C, 5)), onnx.floats('b2', [C], rnd(C, 6)),
    onnx.floats('w3', [5, C], rnd(5 * C, 7)), onnx.floats('b3', [5], rnd(5, 8)),
    onnx.floats('shift', [1, 4, 1, 1], [0.5, -0.25, 1, 0]), onnx.floats('two', [], [2]),
    onnx.int64s('halves', [2], [4, 4]), onnx.int64s('one', [], [1]), onnx.int64s('groups_scalar', [], [2]),
    onnx.int64s('axis0', [1], [0]), onnx.int64s('batch_groups', [2], [1, 2]), onnx.int64s('hw', [2], [5, 5]),
    onnx.int64s('flat', [4], [1, -1, 5, 5]),
  ];
  return onnx.model({ nodes, initializers, inputs: [onnx.valueInfo('x', [1, 3, H, H])],
    outputs: [onnx.valueInfo('y', [1, 5])] }, opset);
}

describe('torchvision export forms: qwasm float path against onnxruntime-web', () => {
  for (const opset of [11, 13, 17]) {
    it(`opset ${opset}: outputs agree within 1e-5`, async () => {
      const bytes = torchLikeModel(opset);
      const ort = await import('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(bytes);
      const x = onnx.pseudoRandom(3 * H * H, 11);
      const want = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, H, H]) })).y.data;
      const model = await load(await convert(bytes));
      try {
        const nhwc = new Float32Array(x.length);  // qwasm stores the NCHW input NHWC
        for (let c = 0; c < 3; c++) for (let p = 0; p < H * H; p++) nhwc[p * 3 + c] = x[c * H * H + p];
        const got = model.run(nhwc);
        assert.equal(got.length, 5);
        for (let i = 0; i < 5; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-5, `output ${i}: ${got[i]} vs ${want[i]}`);
        assert.ok(want.some((v) => Math.abs(v) > 1e-3), 'the reference output is not degenerate');
      } finally {
        model.dispose();
      }
    });
  }
});
