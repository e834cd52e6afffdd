// Compile-only check that the public declarations describe real usage.
import {
  clearCache, convert, cosineSimilarity, DEFAULT_MODEL, load, quantize, QwasmError, topK,
  type BrowserImage, type CalibrationMethod, type Classification, type Model, type ModelSource, type OutputKind,
  type VideoClassification, type WorkerModel,
} from 'qwasm';

// With the DOM lib, the browser types are the DOM's own (not `never`, not `{}`).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const domImages: Same<BrowserImage, HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap |
  OffscreenCanvas | VideoFrame | ImageData | Blob> = true;
const domSources: Same<Extract<ModelSource, object>, URL | ArrayBuffer | ArrayBufferView | Blob | Response> = true;
const url: URL = DEFAULT_MODEL;

async function main(): Promise<void> {
  const model: Model = await load('model.tflite', { labels: ['a', 'b'], cropFraction: 0.875, mean: 127.5, std: [127.5, 127.5, 127.5] });
  const [batch, height, width, channels] = model.inputShape;
  const top: Classification[] = await model.classify('cat.jpg', { topK: 3, minScore: 0.05, exclude: [0] });
  await model.classify(document.createElement('img'));
  // @ts-expect-error a number is no image
  await model.classify(42);
  const cached: Model = await load(new URL('m.qwm', location.href), {
    cache: true, onProgress: (loaded: number, total: number | null) => console.log(loaded / (total ?? loaded)),
  });
  console.log(await clearCache(), cached.outputKind === 'probabilities', domImages, domSources, url.pathname);
  const best: string = top[0].label;
  const input = await model.preprocess({ data: new Uint8Array(height * width * channels), width, height });
  const output = model.run(input);
  const indices: number[] = topK(output, 5);
  const ms: number = model.lastInferenceMs;
  const arena: number = model.arenaBytes;
  const slowest: string = model.profile(5).sort((a, b) => b.ms - a.ms)[0].op;
  const a: Float32Array = await model.embed('cat.jpg');
  const b: Float32Array = await model.embed({ data: new Uint8Array(height * width * 4), width, height }, { normalize: true });
  const similarity: number = cosineSimilarity(a, b) + cosineSimilarity([1, 0], new Float32Array(2));
  const kind: OutputKind = model.outputKind;
  const dims: number[] = model.outputShape;
  const real: number = model.outputQuantization ? (output[0] - model.outputQuantization.zeroPoint) * model.outputQuantization.scale : output[0];
  const notes: string[] = model.metadata.notes;
  // @ts-expect-error normalize is a boolean
  await model.embed('cat.jpg', { normalize: 1 });
  console.log(similarity, kind === 'embedding', dims, real, notes);
  try {
    await load(new Uint8Array(4));
  } catch (e) {
    if (e instanceof QwasmError) console.log(e.message);
  }
  console.log(batch, best, indices, ms, model.metadata.labels.length);
  model.dispose();

  const fashion: Model = await load();
  const same: Model = await load(DEFAULT_MODEL, { threads: 1 });
  const qwm: Uint8Array = await convert('model.tflite', { labels: 'labels.txt', mean: 127.5, std: 127.5, cropFraction: 1, colorOrder: 'RGB' });
  const { model: int8, report } = await quantize('model.fp32.onnx', ['a.png', new Float32Array(784)], {
    perChannel: false, keepFloat: ['conv1'], onProgress: (done: number, total: number | null) => console.log(done, total),
  });
  const worst: number | null = report.layers.filter((l) => l.precision === 'int8')[0].sqnrDb;
  const { report: mixed } = await quantize('model.fp32.onnx', ['a.png', { image: 'b.png', label: 3 }], {
    autoMixed: { maxDrop: 0.5 }, labelOffset: 'auto',
    calibration: 'percentile', percentile: 99.99, weights: 'lut4', layerWeights: { conv1: 'int8', fc: 'float16' },
    floatWeights: 'float16',
  });
  const method: CalibrationMethod = mixed.calibration;
  const format: string = mixed.layers[0].weightFormat;
  console.log(method, format);
  console.log(fashion.metadata.cropFraction, same.threads, qwm.length, int8.length, worst, report.outputSqnrDb);
}
void main;

// Worker mode and classifyVideo (web/worker-model.js, web/video.js).
async function inWorker(video: HTMLVideoElement, useWorker: boolean): Promise<void> {
  const model: WorkerModel = await load('model.tflite', { worker: true, threads: 2 });
  const top: Classification[] = await model.classify(video, { topK: 3 });
  const output = await model.run(await model.preprocess(video));
  const nodes: number = (await model.profile(5)).length;
  const loop: VideoClassification = model.classifyVideo(video, (results, { mediaTime, inferenceMs }) => {
    console.log(results[0].label, mediaTime, inferenceMs);
  }, { fps: 10, topK: 1, onError: (e: Error) => console.error(e.message) });
  loop.stop();
  console.log(top, output.length, nodes, loop.frames, loop.dropped, model.labels, model.lastInferenceMs);
  // @ts-expect-error run() is async on a WorkerModel
  const raw: Uint8Array = model.run(new Uint8Array(4));
  const either: Model | WorkerModel = await load(undefined, { worker: useWorker });
  const main: Model = await load('model.tflite', { worker: false });
  main.classifyVideo(video, () => {}).stop();
  model.dispose();
  console.log(raw, either, main);
}
void inWorker;
