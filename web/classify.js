// classify.js — what model.classify() returns from the model's output:
// its options (topK, minScore, exclude) checked, classes ranked, and logits
// turned into probabilities.
import { QwasmError } from './errors.js';
import { CLASSIFY_OPTIONS, pick } from './options.js';
import { softmax } from './vectors.js';

// A value as an error message shows it: strings quoted ('3' is not 3).
const show = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/** The classify() options, checked before any work is done. */
export function classifyOptions(options, classes) {
  const { topK = 5, minScore, exclude = [] } = pick(options, CLASSIFY_OPTIONS);
  if (!(Number.isInteger(topK) && topK >= 1)) {
    throw new QwasmError(`option topK must be a positive integer, got ${show(topK)}`);
  }
  if (minScore !== undefined && !(typeof minScore === 'number' && minScore >= 0 && minScore <= 1)) {
    throw new QwasmError(`option minScore must be a number from 0 to 1, got ${show(minScore)}`);
  }
  if (!Array.isArray(exclude)) {
    throw new QwasmError(`option exclude must be an array of class indices, got ${show(exclude)}`);
  }
  for (const i of exclude) {
    if (!(Number.isInteger(i) && i >= 0 && i < classes)) {
      throw new QwasmError(`option exclude: ${show(i)} is not a class index (the model has classes 0 to ${classes - 1})`);
    }
  }
  // Without minScore nothing is left out (raw 'embedding' values may be negative).
  return { topK, minScore: minScore ?? -Infinity, exclude: new Set(exclude) };
}

/**
 * [{index, label, score}], best first: at most topK classes not excluded,
 * scoring at least minScore. Logits become probabilities by a softmax over
 * all classes (excluded ones too: scores are the model's, not renormalised);
 * the ranking is the raw values' (ties to the lower index).
 */
export function rankClasses(values, { topK, minScore, exclude }, { logits, labels }) {
  const scores = logits ? softmax(values) : values;
  const idx = [];
  for (let i = 0; i < values.length; i++) if (!exclude.has(i)) idx.push(i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  const out = [];
  for (const index of idx.slice(0, topK)) {
    if (scores[index] < minScore) break;
    out.push({ index, label: labels?.[index] ?? `class ${index}`, score: scores[index] });
  }
  return out;
}
