// Public types of qwasm (browser, worker and Node.js entry points share them).
// They compile without the DOM lib (a Node-only project): browser classes are
// named through GlobalType, the real DOM type where the DOM lib is loaded.

/** The instance type of the global class K where the environment declares it
 * (the DOM lib, @types/node), else Fallback: browser image types are `never`
 * in a project without the DOM lib rather than a compile error. */
type GlobalType<K extends string, Fallback = never> =
  typeof globalThis extends { [P in K]: { prototype: infer T } } ? T : Fallback;

/** The WHATWG URL class (DOM lib or @types/node), else any object with an href. */
type URLType = GlobalType<'URL', { readonly href: string }>;

/** Thrown for bad input: damaged or unsupported models, undecodable or
 * mis-sized images, use after dispose(). */
export declare class QwasmError extends Error {
  name: 'QwasmError';
}

/** Decoded pixels: 1 (gray), 3 (RGB) or 4 (RGBA) bytes per pixel, row-major. */
export interface Pixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Inferred from data.length when omitted. */
  channels?: 1 | 3 | 4;
}

/** Browser and worker image sources. */
export type BrowserImage =
  | GlobalType<'HTMLImageElement'>
  | GlobalType<'HTMLCanvasElement'>
  | GlobalType<'HTMLVideoElement'>
  | GlobalType<'ImageBitmap'>
  | GlobalType<'OffscreenCanvas'>
  | GlobalType<'VideoFrame'>
  | GlobalType<'ImageData'>
  | GlobalType<'Blob'>;

/** Anything classify() accepts. In Node: a file path or http(s) URL, encoded
 * JPEG / PNG / BMP bytes (also as a Blob), or Pixels. In browsers: a
 * BrowserImage, encoded bytes or Pixels. */
export type ImageInput = BrowserImage | Pixels | ArrayBuffer | ArrayBufferView | string | URLType;

/** Where a model comes from: a URL or file path, bytes, a Blob or a Response. */
export type ModelSource = string | URLType | ArrayBuffer | ArrayBufferView | GlobalType<'Blob'> | GlobalType<'Response'>;

export interface LoadOptions {
  /** Class names: an array, or a path / URL of a text file with one per line.
   * Default: the labels embedded in the model file, if any. */
  labels?: string[] | string | URLType;
  /** Fraction of the shorter image side kept by the central square crop
   * before resizing. Default 0.875 (the standard ImageNet evaluation crop). */
  cropFraction?: number;
  /** Input normalisation (pixel - mean) / std, per RGB channel or one value.
   * Used for float and int8 inputs; uint8 models take raw pixels. Default:
   * the model's metadata, else 127.5 / 127.5. */
  mean?: number | [number, number, number];
  std?: number | [number, number, number];
  /** Threads running inference, counting the calling one. Default
   * min(cores, 4) where threads can run (Node; cross-origin isolated pages
   * and their workers), else 1. More than possible is not an error: the
   * count is capped at the number of cores, and is 1 without cross-origin
   * isolation or with `wasmBinary`. `Model.threads` tells what was used.
   * Must be a positive integer. */
  threads?: number;
  /** Where the wasm files are when not where the package (or your bundler)
   * put them, e.g. a CDN: a folder URL holding qwasm.wasm, qwasm-mt.wasm,
   * qwasm-mt.worker.mjs and qwasm-tools.wasm (the package's dist/), or an
   * object mapping those file names to URLs (files not named stay where
   * they are). A cross-origin folder needs CORS (and
   * Cross-Origin-Resource-Policy on isolated pages). */
  wasmPaths?: string | URLType | WasmPaths;
  /** Older form of wasmPaths: the URL of qwasm.wasm; the other files lie
   * next to it. */
  wasmUrl?: string | URLType;
  /** The qwasm.wasm bytes, if the caller already has them (implies one
   * thread). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Called as the model file's bytes arrive: `loaded` strictly increases;
   * `total` is the Content-Length, or null when the response has none (or
   * is compressed). The last call has loaded === total, the file's size.
   * Sources read whole (a file path, bytes, a Blob, the cache) give that
   * one call. */
  onProgress?: (loaded: number, total: number | null) => void;
  /** Keep the model file (an http(s) URL) in a persistent cache: the Cache
   * API ('qwasm-models-v1'), else IndexedDB; a no-op where neither exists
   * (Node). A cached file is used without any request, keyed by its
   * absolute URL and never revalidated: when the file at a URL changes,
   * call clearCache() or use a new URL (e.g. `model.qwm?v=2`). Bytes
   * load() cannot read as a model are dropped from the cache. Default false. */
  cache?: boolean;
  /** The largest image, in pixels (width * height), that classify(),
   * embed() and preprocess() accept. Checked against the file's header
   * (PNG, JPEG, BMP) before decoding, and against the size of pixel objects
   * and image elements; larger images are a QwasmError. Default 67108864
   * (64 M pixels, e.g. 8192 x 8192). See docs/security.md. */
  maxPixels?: number;
}

/** The wasm files by name, for LoadOptions.wasmPaths. */
export interface WasmPaths {
  'qwasm.wasm'?: string | URLType;
  'qwasm-mt.wasm'?: string | URLType;
  'qwasm-mt.worker.mjs'?: string | URLType;
  'qwasm-tools.wasm'?: string | URLType;
}

export interface Classification {
  /** Output index (for 1001-class ImageNet models, 0 is "background"). */
  index: number;
  label: string;
  /** A probability in [0, 1]: the model's own for softmax and sigmoid
   * outputs (Model.outputKind 'probabilities'), a softmax over all classes
   * of its logits ('logits'); the raw output value for 'embedding' and
   * 'tensor' outputs. */
  score: number;
}

export interface ClassifyOptions {
  /** How many classes to return at most, best first: a positive integer
   * (more than the model has gives them all). Default 5. */
  topK?: number;
  /** Leave out classes scoring below this, a number in [0, 1] (so fewer
   * than topK, or none, may come back). Default 0. */
  minScore?: number;
  /** Class indices never returned, e.g. [0] for the background class of
   * 1001-class ImageNet models. The other scores stay as they were (not
   * renormalised). Default []. */
  exclude?: readonly number[];
}

export interface EmbedOptions {
  /** Divide the vector by its L2 norm (a vector of zeros stays zeros), so
   * that dot products are cosine similarities. Default false. */
  normalize?: boolean;
}

/** What a model's output is, as qwasm reads it from the graph at load
 * (Model.outputKind):
 *  - 'probabilities': a vector (at most one dimension larger than 1)
 *    computed by a softmax or a sigmoid: classify() reports it as it is;
 *  - 'logits': a vector with labels computed by anything else: classify()
 *    applies a softmax (float64, max subtracted);
 *  - 'embedding': a vector without labels not computed by a softmax or a
 *    sigmoid (give labels to load() if it is logits);
 *  - 'tensor': anything else (a feature map, a mask, several vectors).
 * embed() and run() always give the raw output. */
export type OutputKind = 'probabilities' | 'logits' | 'embedding' | 'tensor';

export interface ModelMetadata {
  name: string;
  description: string;
  version: string;
  author: string;
  license: string;
  /** File format the model was read from, e.g. "tflite". */
  producer: string;
  labels: string[];
  mean?: number[];
  std?: number[];
  /** Non-fatal findings while reading the file, and what load() found
   * about the output when classify() may not mean what it says: no labels,
   * labels that do not match the output, an output that is not a vector
   * (see Model.outputKind). */
  notes: string[];
  /** Central crop the model file asks for (e.g. 1 for Fashion-MNIST). */
  cropFraction?: number;
  colorOrder?: 'RGB' | 'BGR' | 'gray';
}

export type TensorType = 'uint8' | 'int8' | 'float32';
export type TensorData = Uint8Array | Int8Array | Float32Array;

export interface Model {
  /** [batch, height, width, channels] */
  readonly inputShape: [number, number, number, number];
  readonly inputType: TensorType;
  readonly inputQuantization: { scale: number; zeroPoint: number } | null;
  /** Values in output 0. */
  readonly outputSize: number;
  readonly outputType: TensorType;
  /** Shape of output 0 (NHWC for image-like outputs of ONNX models). */
  readonly outputShape: number[];
  /** real = (q - zeroPoint) * scale for int8 / uint8 outputs; null for float32. */
  readonly outputQuantization: { scale: number; zeroPoint: number } | null;
  /** Class probabilities, logits, an embedding, or another tensor. On
   * anything but probabilities or logits over its labels, classify() warns
   * once (console.warn) with the reason, also in metadata.notes; its results
   * name classes 'class N'. */
  readonly outputKind: OutputKind;
  /** Class names (from options, else the model file), or null. */
  readonly labels: string[] | null;
  readonly metadata: ModelMetadata;
  cropFraction: number;
  /** Milliseconds taken by the last inference (model only, no preprocessing). */
  readonly lastInferenceMs: number;
  /** Threads that run inference (1 with the single-threaded module). */
  readonly threads: number;
  /** The kernel table inference runs on: 'wasmrelaxed' where the engine has
   * relaxed SIMD and the kernels' load-time self-test gave the reference's
   * bytes ('wasmrelaxed-signed' on engines that read the dot's operand
   * signed), else 'wasmsimd'. Results are the same bytes either way. */
  readonly kernels: string;
  /** Peak activation memory in bytes: the one arena every intermediate
   * tensor shares (tensors whose lifetimes do not overlap share bytes). */
  readonly arenaBytes: number;
  /** The largest image (width * height) accepted: LoadOptions.maxPixels. */
  readonly maxPixels: number;
  /** Runs the model `runs` times (default 10) on its current input and
   * returns the mean milliseconds of every node, in graph order. */
  profile(runs?: number): { op: string; output: string; ms: number }[];

  /** Top-k classes of an image, best first, scored by probability (see
   * Classification.score). Options are checked first: a QwasmError names a
   * bad one. A float model whose output holds NaN or infinities (its
   * arithmetic overflowed) gives a QwasmError here and in embed(); run()
   * returns such an output as computed. */
  classify(image: ImageInput, options?: ClassifyOptions): Promise<Classification[]>;
  /** The model's output for an image (preprocessed as for classify()) as
   * real values: all outputSize of them, dequantized for int8 / uint8
   * outputs, flattened row-major. For embedding models; on a classifier,
   * the scores classify() ranks. */
  embed(image: ImageInput, options?: EmbedOptions): Promise<Float32Array>;
  /** The image as the model's input tensor (a copy). */
  preprocess(image: ImageInput): Promise<TensorData>;
  /** Runs the model on a raw input tensor; returns a copy of the raw output. */
  run(input: TensorData | ArrayBuffer): TensorData;
  /** Frees the model's memory. Later calls throw QwasmError. Idempotent. */
  dispose(): void;
}

/** Loads a model file (.qwm, TensorFlow Lite .tflite, or ONNX, converted first). */
export declare function load(source?: ModelSource, options?: LoadOptions): Promise<Model>;

/** The embedded default model (Fashion-MNIST, int8 .qwm); load() with no source loads it. */
export declare const DEFAULT_MODEL: URLType;

/** Removes every model file load({ cache: true }) kept; resolves to how many
 * (0 where there is no cache, as in Node). */
export declare function clearCache(): Promise<number>;

/** Metadata written into a .qwm by convert() / quantize(). */
export interface ModelFileOptions {
  name?: string;
  description?: string;
  version?: string;
  author?: string;
  license?: string;
  /** Class names, or a path / URL of a file with one per line. */
  labels?: string[] | string | URLType;
  /** Input normalisation x = (pixel - mean) / std, in pixel units. */
  mean?: number | number[];
  std?: number | number[];
  /** Central crop of the shorter side before resizing (ImageNet: 0.875; 1 = none). */
  cropFraction?: number;
  /** The input's channel order, recorded in the file (ModelMetadata.colorOrder);
   * preprocessing gives RGB (or gray) whatever it says. */
  colorOrder?: 'RGB' | 'BGR' | 'gray';
  /** Where the wasm files are (see LoadOptions.wasmPaths). */
  wasmPaths?: string | URLType | WasmPaths;
  /** Older form of wasmPaths: the URL of qwasm.wasm (qwasm-tools.wasm lies
   * next to it). */
  wasmUrl?: string | URLType;
}

/** Converts a TFLite, ONNX (QDQ int8 or float) or .qwm model to .qwm bytes. */
export declare function convert(source: ModelSource, options?: ModelFileOptions): Promise<Uint8Array>;

/** How calibration turns observed activations into ranges (docs/quantization.md). */
export type CalibrationMethod = 'minmax' | 'moving-average' | 'percentile' | 'mse' | 'kl' | 'output';

/** Weight storage of a weighted layer: int8, 4-bit affine, k-means codebooks
 * (16 or 256 int8 entries, per output channel or per layer; 'lut4' = per
 * channel), or float (the layer then runs in float32). */
export type WeightFormat = 'int8' | 'int4' | 'lut4' | 'lut4/channel' | 'lut4/layer' | 'lut8' | 'lut8/channel' |
  'lut8/layer' | 'float16' | 'float32';

export interface QuantizeOptions extends ModelFileOptions {
  /** Activation range method (default 'minmax'). 'output': per tensor, the
   * range among mse, min-max and percentiles 99.999..99 of its histogram
   * whose int8 grid, alone in the float model, least changes the model's
   * output on the first 16 calibration items (onRangeProgress reports them). */
  calibration?: CalibrationMethod;
  /** Share of values kept by 'percentile', in (0, 100] (default 99.99). */
  percentile?: number;
  /** One weight scale per output channel (default) or per tensor. */
  perChannel?: boolean;
  /** Cross-layer equalization (Nagel et al. 2019) of the float model before
   * calibration: consecutive conv / depthwise layers rescaled per channel so
   * their weight ranges match (ReLU6 becomes ReLU + a per-channel clamp, so
   * the float model computes the same). Rescues per-tensor int8 on
   * depthwise networks. Default false. */
  equalize?: boolean;
  /** Bias correction: each quantized layer's bias absorbs the mean output
   * shift its weight rounding causes, measured with the calibration
   * inputs' channel means. With rounding 'learned', the output's mean
   * error measured against the float model instead (after a clamping
   * activation such as ReLU6, where the layer has one), which also removes
   * what the layers before it left. Default false. */
  biasCorrection?: boolean;
  /** How weights round onto their grid: 'nearest' (default), or 'learned'
   * (AdaRound, Nagel et al. 2020, in its sequential form): layer by layer in
   * graph order, each weight goes up or down to minimise the error of the
   * layer's output against the float model's, with the layer's input as
   * the model quantized up to it gives it, on the kept calibration samples
   * (up to 64 MB of inputs); for int8, int4, lut4 and lut8 weights, per
   * channel or per tensor. Memory: one layer's input moments at a time (3 x
   * K x K doubles, K its input row length). Deterministic unless
   * roundingTimeBudget cuts it short; the mixed-precision search judges
   * with nearest rounding. */
  rounding?: 'nearest' | 'learned';
  /** Optimisation steps per layer for 'learned' (default 1000). */
  roundingIterations?: number;
  /** Seconds for learned rounding of all layers together (default 0: no
   * limit); layers then get fewer iterations, so the result depends on the
   * machine's speed. */
  roundingTimeBudget?: number;
  /** Names of nodes to leave in float32. */
  keepFloat?: string[];
  /** Weight format of every weighted layer (default 'int8')... */
  weights?: WeightFormat;
  /** ...except these, by node name. */
  layerWeights?: Record<string, WeightFormat>;
  /** Weights of layers that stay in float for another reason (default 'float32'). */
  floatWeights?: 'float32' | 'float16';
  /** Automatic mixed precision: each weighted layer not in layerWeights gets
   * the smallest of `weights` (lut4 if 'int8'), int8 and float16 that keeps
   * the quantized model within the budget on the judged samples (budgetItems
   * if given, else the calibration samples): a top-1 drop of at most maxDrop
   * points, and/or an output SQNR of at least minSqnrDb. The drop is judged
   * by its one-sided upper confidence bound at `confidence` (default 0.95;
   * 0 = the measured drop itself), from the paired counts of answers lost
   * and gained against the float model (with labels) or changed (without);
   * see docs/quantization.md. budgetItems: labelled or plain calibration
   * items that only judge the budget (not used for ranges); kept up to 64 MB
   * of input tensors, the rest counted in report.mixed.budgetItems only. */
  autoMixed?: {
    maxDrop?: number;
    minSqnrDb?: number;
    confidence?: number;
    budgetItems?: Iterable<CalibrationItem> | AsyncIterable<CalibrationItem>;
  };
  /* Calibration items may be {image, label}: with labels, maxDrop is the
   * measured accuracy drop on them rather than the share of changed answers. */
  /** Added to each calibration item's label to give its output index;
   * 'auto' = 1 for 1001-way (background + ImageNet) models, else 0. Default 0. */
  labelOffset?: number | 'auto';
  /** Called after each autoMixed.budgetItems item is taken. */
  onBudgetProgress?: (done: number, total: number | null) => void;
  /** Called after each evaluation of the mixed-precision search. */
  onSearchProgress?: (done: number, total: number) => void;
  /** Called after each layer of learned rounding. */
  onRoundingProgress?: (done: number, total: number) => void;
  /** Called after each sample calibration 'output' judges ranges on. */
  onRangeProgress?: (done: number, total: number) => void;
  onProgress?: (done: number, total: number | null) => void;
}

export interface QuantizeLayerReport {
  name: string;
  op: string;
  precision: 'int8' | 'float32' | 'removed';
  /** Weighted layers: their WeightFormat ('lut4' reported as 'lut4/channel'); else ''. */
  weightFormat: string;
  weightBytes: number;
  /** Output SQNR against the float model in dB; null when exact. */
  sqnrDb: number | null;
  /** Why a layer is not int8. */
  reason: string;
  /** With autoMixed: why the layer got its format. */
  choice?: string;
  /** With rounding 'learned', on layers it rounded: the layer's output SQNR
   * against the float model's on the calibration samples, its input as the
   * layers quantized before it give it (before its own activation is
   * quantized; null when exact), with nearest and with learned rounding,
   * weights rounded the other way than nearest (of `weights`), optimisation
   * steps run and seconds taken. The SQNRs are of the input moments as
   * learning used them: shrunk towards their diagonal where they came
   * from few rows (docs/quantization.md, "Few rows"); moments shrunk past
   * 0.9 take no steps (iterations 0; roundingNote says so). */
  rounding?: {
    nearestSqnrDb: number | null;
    learnedSqnrDb: number | null;
    changed: number;
    weights: number;
    iterations: number;
    seconds: number;
  };
  /** With rounding 'learned', on a quantized layer it could not round, or
   * rounded without steps: why (its input moments would exceed the memory
   * limit; they were shrunk past 0.9). */
  roundingNote?: string;
}

export interface QuantizeReport {
  /** The calibration method used. */
  calibration: CalibrationMethod;
  samples: number;
  sqnrSamples: number;
  outputSqnrDb: number | null;
  floatWeightBytes: number;
  quantWeightBytes: number;
  layers: QuantizeLayerReport[];
  /** Whether biases were corrected (QuantizeOptions.biasCorrection). */
  biasCorrection: boolean;
  /** QuantizeOptions.rounding. */
  rounding: 'nearest' | 'learned';
  /** With equalize: layer pairs equalized, sweeps until the scales settled,
   * ReLU6 layers now clamped per channel, and the largest ratio of a layer's
   * widest output channel range to its mean one, before and after. */
  equalization?: { pairs: number; sweeps: number; channelClamps: number; spreadBefore: number; spreadAfter: number };
  /** With autoMixed: the search's cost and the chosen model's quality on the
   * judged samples: `samples` of them (`heldOut`: the budget items, of which
   * `budgetItems` were given), the measured drop (points), its upper bound at
   * `confidence` (0: none, dropBound = drop), and the paired counts (without
   * labels lost = changed, gained = 0). */
  mixed?: {
    evaluations: number;
    agreement: number;
    drop: number;
    dropBound: number;
    confidence: number;
    samples: number;
    lost: number;
    gained: number;
    changed: number;
    heldOut: boolean;
    budgetItems: number;
    labelled: boolean;
    outputSqnrDb: number | null;
  };
}

/** A calibration sample: an image, an input tensor, or either with its class
 * (see QuantizeOptions.labelOffset). */
export type CalibrationItem = ImageInput | Float32Array | { image: ImageInput | Float32Array; label: number };

/** Post-training int8 quantization of a float ONNX model on calibration images or Float32Array tensors. */
export declare function quantize(
  source: ModelSource,
  calibration: Iterable<CalibrationItem> | AsyncIterable<CalibrationItem>,
  options?: QuantizeOptions,
): Promise<{ model: Uint8Array; report: QuantizeReport }>;

/** Cosine similarity of two vectors of equal length (e.g. from
 * model.embed()): a number in [-1, 1]; 0 when either is all zeros. Throws
 * QwasmError for vectors of different lengths (naming both), empty ones, or
 * values that are not finite. */
export declare function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number;

/** Indices of the k largest values, ties to the lower index. */
export declare function topK(values: ArrayLike<number>, k: number): number[];

/** Node only: decodes JPEG / PNG / BMP bytes to RGBA pixels (JPEGs exactly
 * as Chromium's libjpeg-turbo decodes them, EXIF orientation applied). */
export declare function decodeImage(bytes: Uint8Array | ArrayBuffer): Promise<{ data: Uint8Array; width: number; height: number }>;

// --- Worker mode and video (web/worker-model.js, web/video.js) ---

export interface LoadOptions {
  /** Browsers: `true` runs the wasm module and the model in a module Worker
   * and resolves to a WorkerModel (every method async) instead of a Model
   * (WorkerLoadOptions). In Node, load() rejects with a QwasmError: use
   * worker_threads there. */
  worker?: false;
}

/** load() options that put the model in a module Worker. */
export type WorkerLoadOptions = Omit<LoadOptions, 'worker'> & { worker: true };

export interface ClassifyVideoOptions extends ClassifyOptions {
  /** At most this many classifications per second. Default: one per frame
   * shown, as fast as the model allows. */
  fps?: number;
  /** Called when classify() or the callback throws; the loop has stopped.
   * Default: console.error. */
  onError?: (error: Error) => void;
}

/** What classifyVideo() passes with each result. */
export interface VideoFrameInfo {
  /** The frame's media time (seconds), from requestVideoFrameCallback or
   * video.currentTime. */
  mediaTime: number;
  /** The model's inference time for this frame. */
  inferenceMs: number;
}

/** A running classifyVideo() loop. */
export interface VideoClassification {
  /** Stops the loop; a result still being computed is not delivered. */
  stop(): void;
  /** Frames shown since the start. */
  readonly frames: number;
  /** Frames classified (callbacks made). */
  readonly classified: number;
  /** Frames shown while an inference was running: dropped, never queued. */
  readonly dropped: number;
}

export interface Model {
  /** Browsers: classifies the frames of a playing video as they are shown
   * (requestVideoFrameCallback, else requestAnimationFrame), calling
   * `callback` with each frame's top-k. A frame shown while an inference
   * runs is dropped, not queued. */
  classifyVideo(
    video: GlobalType<'HTMLVideoElement'>,
    callback: (results: Classification[], info: VideoFrameInfo) => void,
    options?: ClassifyVideoOptions,
  ): VideoClassification;
}

/** A model loaded with load(source, { worker: true }): it lives in a module
 * Worker. The same fields as Model (copied once loaded; lastInferenceMs is
 * updated after each call) and methods, but run() and profile() return
 * promises. Images are sent as transferred ImageBitmaps / VideoFrames
 * (elements and bitmaps are snapshot first; the caller keeps its own);
 * ImageData, Blobs, bytes and Pixels are copied. Errors from the worker
 * reject as QwasmError (others keep their name). Callback options of load()
 * (e.g. onProgress) are called on this thread. */
export interface WorkerModel extends Omit<Model, 'run' | 'profile' | 'dispose'> {
  run(input: TensorData | ArrayBuffer): Promise<TensorData>;
  profile(runs?: number): Promise<{ op: string; output: string; ms: number }[]>;
  /** Terminates the worker: pending calls reject, later calls throw QwasmError. */
  dispose(): void;
}

export declare function load(source: ModelSource | undefined, options: WorkerLoadOptions): Promise<WorkerModel>;
export declare function load(source: ModelSource | undefined, options: Omit<LoadOptions, 'worker'> & { worker?: boolean }):
  Promise<Model | WorkerModel>;
