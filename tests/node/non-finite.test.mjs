// Non-finite numbers in ONNX models (issue 15): NaN or infinite weights and
// float attributes are refused at load, by tensor or attribute name; a model
// whose float arithmetic overflows at run time (a finite but extreme
// LeakyRelu alpha) gives a QwasmError from classify()/embed() instead of NaN
// scores, and run() returns the raw output as computed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load, QwasmError } from 'qwasm';
import * as onnx from './helpers/onnx.mjs';

const H = 8;

// x [1,3,8,8] -> Conv 3x3 (4 channels) -> HardSigmoid -> Clip(-inf, cap) -> GlobalAveragePool -> Gemm(alpha) -> y [1,5]
function tinyModel({ w0 = onnx.pseudoRandom(108, 2).map((v) => v * 10), w1 = onnx.pseudoRandom(20, 3), hardAlpha = 0.2,
  gemmAlpha = 1, cap = 6 } = {}) {
  const n = onnx.node;
  return onnx.model({
    nodes: [
      n('Conv', ['x', 'w0'], ['c'], [onnx.attrInts('pads', [1, 1, 1, 1])]),
      n('HardSigmoid', ['c'], ['h'], [onnx.attrFloat('alpha', hardAlpha)]),
      n('Clip', ['h', 'lo', 'cap'], ['r']),
      n('GlobalAveragePool', ['r'], ['g']),
      n('Flatten', ['g'], ['f']),
      n('Gemm', ['f', 'w1', 'b1'], ['y'], [onnx.attrInt('transB', 1), onnx.attrFloat('alpha', gemmAlpha)]),
    ],
    initializers: [
      onnx.floats('w0', [4, 3, 3, 3], w0),
      onnx.floats('lo', [], [-Infinity]), onnx.floats('cap', [], [cap]),
      onnx.floats('w1', [5, 4], w1), onnx.floats('b1', [5], onnx.pseudoRandom(5, 4)),
    ],
    inputs: [onnx.valueInfo('x', [1, 3, H, H])],
    outputs: [onnx.valueInfo('y', [1, 5])],
  });
}

const image = () => ({ width: H, height: H, data: Uint8Array.from({ length: H * H * 4 }, (_, i) => (i * 37) % 256) });
const white = () => ({ width: H, height: H, data: new Uint8Array(H * H * 4).fill(255) });

async function refused(bytes, pattern) {
  await assert.rejects(load(bytes), (e) => e instanceof QwasmError && pattern.test(e.message) ? true : assert.fail(e.message));
}

describe('non-finite numbers in models (issue 15)', () => {
  it('the tiny model itself loads and classifies (open bounds: a one-element -Infinity or Infinity is legal)', async () => {
    for (const cap of [6, Infinity]) {
      const model = await load(tinyModel({ cap }));
      try {
        const top = await model.classify(image(), { topK: 5 });
        assert.equal(top.length, 5);
        assert.ok(top.every((c) => Number.isFinite(c.score)));
      } finally {
        model.dispose();
      }
    }
  });

  it('NaN or infinite weights are refused, naming the tensor and the count', async () => {
    const w0 = onnx.pseudoRandom(108, 2);
    w0[0] = w0[50] = w0[107] = NaN;
    await refused(tinyModel({ w0 }), /tensor 'w0' has 3 NaN values among its 108 elements/);
    const w1 = onnx.pseudoRandom(108, 2);
    w1[3] = Infinity;
    w1[4] = -Infinity;
    await refused(tinyModel({ w0: w1 }), /tensor 'w0' has 2 infinite values among its 108 elements/);
    w1[5] = NaN;
    await refused(tinyModel({ w0: w1 }), /tensor 'w0' has 1 NaN and 2 infinite values/);
  });

  it('a NaN or infinite float attribute is refused, naming the node and attribute', async () => {
    await refused(tinyModel({ hardAlpha: NaN }), /HardSigmoid\): attribute 'alpha' is nan, not a finite number/);
    await refused(tinyModel({ hardAlpha: -Infinity }), /attribute 'alpha' is -inf, not a finite number/);
  });

  it('Gemm alpha = 1e38 folded into its weights: overflowing weights are refused at load', async () => {
    await refused(tinyModel({ gemmAlpha: 1e38, w1: new Float32Array(20).fill(5) }),
      /'w1' has 20 infinite values among its 20 elements/);
  });

  it('Gemm alpha = 1e38 that overflows at run time: classify() and embed() throw, run() returns the raw output', async () => {
    // Every activation saturates HardSigmoid at 1, so y = 1e38 * (1 + 1 + 1 + 1) overflows.
    const model = await load(tinyModel({ gemmAlpha: 1e38, w0: new Float32Array(108).fill(0.5), w1: new Float32Array(20).fill(1) }));
    try {
      await assert.rejects(model.classify(white()), (e) => e instanceof QwasmError
        && /output has 5 non-finite values \(NaN or infinity\) among 5/.test(e.message) ? true : assert.fail(e.message));
      await assert.rejects(model.embed(white()), QwasmError);
      const raw = model.run(new Float32Array(3 * H * H).fill(1));
      assert.deepEqual(Array.from(raw), [Infinity, Infinity, Infinity, Infinity, Infinity]);
    } finally {
      model.dispose();
    }
  });
});
