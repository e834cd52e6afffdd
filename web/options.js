// options.js — the keys of every options object the public API takes, one
// table per object. Each parser reads its options only through pick(), so a
// table is exactly what its parser accepts (other keys are ignored);
// tests/node/types.test.mjs checks that web/index.d.ts declares the same
// keys in the interface named here.
import { QwasmError } from './errors.js';

/** load(source, options): LoadOptions. */
export const LOAD_OPTIONS = ['labels', 'cropFraction', 'mean', 'std', 'threads', 'wasmPaths', 'wasmUrl', 'wasmBinary',
  'onProgress', 'cache', 'maxPixels'];

/** load(source, {worker: true}): the model in a module Worker (web/worker-model.js). */
export const WORKER_LOAD_OPTIONS = ['worker'];

/** model.classify(image, options): ClassifyOptions. */
export const CLASSIFY_OPTIONS = ['topK', 'minScore', 'exclude'];

/** model.classifyVideo(video, callback, options): ClassifyVideoOptions. */
export const CLASSIFY_VIDEO_OPTIONS = [...CLASSIFY_OPTIONS, 'fps', 'onError'];

/** model.embed(image, options): EmbedOptions. */
export const EMBED_OPTIONS = ['normalize'];

/** Metadata written into a .qwm by convert() and quantize(). */
export const METADATA_OPTIONS = ['name', 'description', 'version', 'author', 'license', 'labels', 'mean', 'std',
  'cropFraction', 'colorOrder'];

/** convert(source, options): ModelFileOptions. */
export const CONVERT_OPTIONS = [...METADATA_OPTIONS, 'wasmPaths', 'wasmUrl'];

/** quantize(source, calibration, options): QuantizeOptions. */
export const QUANTIZE_OPTIONS = [...CONVERT_OPTIONS, 'calibration', 'percentile', 'perChannel', 'equalize',
  'biasCorrection', 'rounding', 'roundingIterations', 'roundingTimeBudget', 'keepFloat', 'weights', 'layerWeights',
  'floatWeights', 'autoMixed', 'labelOffset', 'onProgress', 'onBudgetProgress', 'onSearchProgress',
  'onRoundingProgress', 'onRangeProgress'];

/** QuantizeOptions.autoMixed. */
export const AUTO_MIXED_OPTIONS = ['maxDrop', 'minSqnrDb', 'confidence', 'budgetItems'];

/** Each table above under the name web/index.d.ts gives its type. */
export const OPTION_TYPES = {
  LoadOptions: [...LOAD_OPTIONS, ...WORKER_LOAD_OPTIONS],
  ClassifyOptions: CLASSIFY_OPTIONS,
  ClassifyVideoOptions: CLASSIFY_VIDEO_OPTIONS,
  EmbedOptions: EMBED_OPTIONS,
  ModelFileOptions: CONVERT_OPTIONS,
  QuantizeOptions: QUANTIZE_OPTIONS,
  'QuantizeOptions.autoMixed': AUTO_MIXED_OPTIONS,
};

/** The options among `keys` that `options` sets (undefined ones left out). */
export function pick(options, keys) {
  const picked = {};
  if (options == null) return picked;  // null and undefined are no options
  if (typeof options !== 'object' || Array.isArray(options)) {
    const got = Array.isArray(options) ? 'an array' : typeof options === 'string' ? JSON.stringify(options) : String(options);
    throw new QwasmError(`options must be an object, got ${got}`);
  }
  for (const k of keys) if (options[k] !== undefined) picked[k] = options[k];
  return picked;
}
