// Compile-only check that the public declarations describe real usage.
import { load, QwasmError, topK, type Classification, type Model } from 'qwasm';

async function main(): Promise<void> {
  const model: Model = await load('model.tflite', { labels: ['a', 'b'], cropFraction: 0.875, mean: 127.5, std: [127.5, 127.5, 127.5] });
  const [batch, height, width, channels] = model.inputShape;
  const top: Classification[] = await model.classify('cat.jpg', { topK: 3 });
  const best: string = top[0].label;
  const input = await model.preprocess({ data: new Uint8Array(height * width * channels), width, height });
  const output = model.run(input);
  const indices: number[] = topK(output, 5);
  const ms: number = model.lastInferenceMs;
  const arena: number = model.arenaBytes;
  const slowest: string = model.profile(5).sort((a, b) => b.ms - a.ms)[0].op;
  try {
    await load(new Uint8Array(4));
  } catch (e) {
    if (e instanceof QwasmError) console.log(e.message);
  }
  console.log(batch, best, indices, ms, model.metadata.labels.length);
  model.dispose();
}
void main;
