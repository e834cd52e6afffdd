// vectors.js — arithmetic on the float vectors model.embed() returns:
// cosine similarity, L2 normalisation, and how a model's output is read
// (class scores, an embedding, or some other tensor).
import { QwasmError } from './errors.js';

function checkVector(v, name) {
  if (v == null || typeof v !== 'object' || !Number.isInteger(v.length)) {
    throw new QwasmError(`cosineSimilarity: ${name} must be an array or a typed array of numbers`);
  }
}

/** [a·b, a·a, b·b] of a * sa and b * sb. */
function sums(a, b, sa, sb) {
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] * sa;
    const y = b[i] * sb;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  return [dot, aa, bb];
}

function maxAbs(v) {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/**
 * Cosine of the angle between two vectors of equal length: a number in
 * [-1, 1] (1: same direction). A vector of zeros has no direction: its
 * similarity to anything is 0 (as scikit-learn's cosine_similarity gives).
 * Throws a QwasmError for vectors of different lengths, empty ones, or
 * values that are not finite numbers.
 */
export function cosineSimilarity(a, b) {
  checkVector(a, 'a');
  checkVector(b, 'b');
  if (a.length !== b.length) {
    throw new QwasmError(`cosineSimilarity: the vectors differ in length: a has ${a.length} values, b has ${b.length}`);
  }
  if (a.length === 0) throw new QwasmError('cosineSimilarity: the vectors are empty');
  let [dot, aa, bb] = sums(a, b, 1, 1);
  if (!Number.isFinite(dot + aa + bb)) {
    throw new QwasmError('cosineSimilarity: the vectors hold values that are not finite numbers (NaN, Infinity or too large)');
  }
  if (aa === 0 || bb === 0) {
    // Zeros, or values so small (|x| < 1e-154) that their squares underflow.
    const ma = maxAbs(a);
    const mb = maxAbs(b);
    if (ma === 0 || mb === 0) return 0;
    [dot, aa, bb] = sums(a, b, 1 / ma, 1 / mb);
  }
  // sqrt(aa * bb) rounds once (a vector and its multiple give exactly 1),
  // unless the product leaves the range of doubles; rounding can still take
  // |cos| a hair past 1.
  const p = aa * bb;
  const denominator = p > 0 && Number.isFinite(p) ? Math.sqrt(p) : Math.sqrt(aa) * Math.sqrt(bb);
  return Math.max(-1, Math.min(1, dot / denominator));
}

/** `v` divided by its L2 norm, in place; a vector of zeros stays zeros. */
export function l2Normalize(v) {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i] * v[i];
  if (ss > 0 && Number.isFinite(ss)) {
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

// Operators that move or requantize values without changing what they mean.
const PASS_THROUGH = new Set(['RESHAPE', 'SQUEEZE', 'TRANSPOSE', 'QUANTIZE', 'DEQUANTIZE']);
// Operators whose output is already a probability per class: a distribution
// (softmax) or independent per-class probabilities (sigmoids, multi-label
// classifiers). classify() applies a softmax to anything else it ranks as
// classes (logits).
const PROBABILITY_OPS = new Set(['SOFTMAX', 'LOGISTIC', 'HARD_SIGMOID']);

const shapeText = (shape) => `[${shape.join(', ')}]`;

/**
 * What a model's output is, from its shape, its labels and the operators
 * that compute it (last first, as the bindings' info().outputOps lists them):
 *   'probabilities'  a vector (at most one dimension larger than 1) that
 *                comes from a softmax or a sigmoid, with labels or without;
 *   'logits'     a vector with labels that does not come from one (classify()
 *                turns it into probabilities with a softmax);
 *   'embedding'  a vector without labels that does not come from one;
 *   'tensor'     anything else (a feature map, a segmentation mask, ...).
 * `note` says why, when classify() may not mean what it says (the Model
 * adds it to metadata.notes); `warn` is whether classify() warns about it.
 */
export function describeOutput(shape, labels, ops) {
  const n = shape.reduce((p, d) => p * d, 1);
  const isVector = shape.filter((d) => d > 1).length <= 1;
  const nLabels = labels?.length ?? 0;
  const producer = (ops ?? []).find((op) => !PASS_THROUGH.has(op));
  const scores = PROBABILITY_OPS.has(producer) ? 'probabilities' : 'logits';
  if (!isVector) {
    return {
      kind: 'tensor',
      warn: true,
      note: `the output ${shapeText(shape)} is not a vector of class scores: classify() ranks its ${n} values as if `
        + 'they were classes; model.embed() returns them as a flat Float32Array (row-major, NHWC)',
    };
  }
  if (nLabels > 0) {
    if (nLabels === n) return { kind: scores, warn: false, note: null };
    if (nLabels === n - 1) {
      return {
        kind: scores,
        warn: true,
        note: `the output has ${n} values but there are ${nLabels} labels: value 0 is probably a background class, `
          + 'so each label would name the class after its own; give labels with one for index 0 first '
          + `(e.g. 'background'); class ${n - 1} is named 'class ${n - 1}'`,
      };
    }
    return {
      kind: scores,
      warn: true,
      note: `the output has ${n} values but there are ${nLabels} labels: `
        + (n > nLabels ? `classes ${nLabels} to ${n - 1} are named 'class N'` : `labels ${n} to ${nLabels - 1} are never used`),
    };
  }
  if (scores === 'probabilities') {
    return {
      kind: scores,
      warn: false,
      note: `the model has no labels: classify() names its ${n} classes 'class 0' to 'class ${n - 1}'`,
    };
  }
  return {
    kind: 'embedding',
    warn: true,
    note: `the output ${shapeText(shape)} has no labels and does not come from a softmax, so it looks like an `
      + "embedding rather than class scores: classify() names its values 'class N'. Use model.embed() for the "
      + 'vector, or pass labels to load() if these are class scores (logits)',
  };
}

/**
 * Softmax of `logits` in float64: exp(x - max) / sum, so no value overflows
 * and the largest gives exp(0) = 1 (the sum is at least 1, never 0).
 */
export function softmax(logits) {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const p = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += (p[i] = Math.exp(logits[i] - max));
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}
