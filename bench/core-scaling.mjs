// core-scaling.mjs — how much two threads can do on this machine right now,
// for reading 2-thread figures: a fixed integer loop timed on one worker
// thread, then on two at once. 2.0x means two free cores; on a shared or
// oversubscribed host (vCPUs that are hyperthread siblings, other tenants)
// it drops, and so does every runtime's 2-thread speedup.
import { Worker } from 'node:worker_threads';

const LOOP = `
  const { parentPort, workerData } = require('node:worker_threads');
  let x = 2463534242 | 0;
  for (let i = 0; i < workerData; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; }
  parentPort.postMessage(x);
`;

function spin(iterations) {
  return new Promise((resolve, reject) => {
    const w = new Worker(LOOP, { eval: true, workerData: iterations });
    w.once('message', () => { w.terminate(); resolve(); });
    w.once('error', reject);
  });
}

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/**
 * Throughput of two threads over one, best of `reps` pairs of runs (each
 * run about `ms` milliseconds on one thread).
 * @returns {Promise<number>} e.g. 1.97
 */
export async function coreScaling({ ms = 150, reps = 3 } = {}) {
  await spin(1e6);  // worker start-up and JIT warm-up
  // Calibrate: iterations for ~ms on one thread.
  const probe = 2e7;
  const iterations = Math.max(probe, Math.round((probe * ms) / (await timed(() => spin(probe)))));
  let best = 0;
  for (let r = 0; r < reps; r++) {
    const one = await timed(() => spin(iterations));
    const two = await timed(() => Promise.all([spin(iterations), spin(iterations)]));
    best = Math.max(best, (2 * one) / two);
  }
  return best;
}
