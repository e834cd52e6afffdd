// Compile-only check that the public declarations work in a project without
// the DOM lib and without @types/node (tsconfig.node.json): Node-style usage.
import { clearCache, load, QwasmError, type Classification, type Model, type OutputKind } from 'qwasm';

export async function classifyFile(path: string): Promise<string> {
  const model: Model = await load('models/fashion-mnist.qwm', {
    labels: 'labels.txt', cache: true, onProgress: (loaded: number, total: number | null) => void (loaded - (total ?? 0)),
  });
  try {
    const top: Classification[] = await model.classify(path, { topK: 3, minScore: 0.1, exclude: [0] });
    const kind: OutputKind = model.outputKind;
    const pixels = await model.classify({ data: new Uint8Array(28 * 28), width: 28, height: 28, channels: 1 });
    const removed: number = await clearCache();
    return `${top[0].label} ${kind} ${pixels.length} ${removed}`;
  } catch (e) {
    return e instanceof QwasmError ? e.message : 'unknown error';
  } finally {
    model.dispose();
  }
}

export async function fromBytes(bytes: Uint8Array): Promise<number> {
  const model = await load(bytes, { threads: 1 });
  const logits = model.outputKind === 'logits';
  // @ts-expect-error minScore is a number
  await model.classify(bytes, { minScore: '0.5' });
  // @ts-expect-error exclude is an array of indices
  await model.classify(bytes, { exclude: 0 });
  // @ts-expect-error cache is a boolean
  await load(bytes, { cache: 'yes' });
  return (await model.embed(bytes)).length + Number(logits);
}
