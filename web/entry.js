// entry.js — what the browser (web/browser.js) and Node (web/node.js) entry
// points share: load(), convert() and quantize() for a platform, which says
// how to read a source (`readSource(source, what)`), how to turn an image
// into pixels (`toPixels(image)`), which wasm runtime to use (`runtime`,
// web/wasm.js) and where the default model is (`defaultModel`). Imports
// nothing platform-specific.
import { convertWith, quantizeWith } from './convert.js';
import { loadWith } from './model.js';

export { QwasmError } from './errors.js';
export { clearCache } from './fetch.js';
export { topK } from './model.js';
export { cosineSimilarity } from './vectors.js';

/**
 * The public functions that read sources and images the platform's way, and
 * DEFAULT_MODEL: the embedded default model, a small int8 CNN for
 * Fashion-MNIST (28x28 grayscale clothing photos, 10 classes) made by
 * tools/fashion-mnist/, which load() with no source loads.
 */
export function entryPoints(platform) {
  const DEFAULT_MODEL = platform.defaultModel;
  return {
    DEFAULT_MODEL,
    /**
     * Loads a model file (.qwm, TFLite, or ONNX, converted first).
     * @returns {Promise<import('./model.js').Model>}
     */
    load: (source = DEFAULT_MODEL, options) => loadWith(platform, source, options),
    /**
     * Converts a model (TFLite, ONNX or .qwm) to a qwasm model file.
     * @returns {Promise<Uint8Array>}
     */
    convert: (source, options) => convertWith(platform, source, options),
    /**
     * Post-training int8 quantization of a float model (ONNX) on calibration
     * images; returns the .qwm bytes and a per-layer report.
     */
    quantize: (source, calibration, options) => quantizeWith(platform, source, calibration, options),
  };
}
