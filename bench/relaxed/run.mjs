// run.mjs — drives relaxed-bench.wasm (see relaxed-bench.c): probe bits,
// dot ceilings and 4x8 GEMM tiles in GMAC/s, relaxed results checked
// against dot_i16x8 ones. Node: node --experimental-wasm-relaxed-simd
// bench/relaxed/run.mjs build/relaxed-bench.wasm; in Chromium: runInPage().
export async function measure(bytes, now, seconds = 0.4) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const x = instance.exports;
  const mem = () => x.memory.buffer;
  const rate = (f) => {  // calls per second after a warm-up
    const warm = now() + 150;
    while (now() < warm) f();
    let calls = 0;
    const t0 = now();
    let t;
    do { f(); ++calls; } while ((t = now()) - t0 < seconds * 1000);
    return (calls * 1000) / (t - t0);
  };
  const out = { probe: x.probe() };
  const reps = 4096;
  const ceiling16 = rate(() => x.ceiling_dot16(reps)) * reps * 64 * 8 / 1e9;
  const ceilingR = rate(() => x.ceiling_relaxed(reps)) * reps * 64 * 16 / 1e9;
  out.ceiling = { dot16: +ceiling16.toFixed(1), relaxed: +ceilingR.toFixed(1), ratio: +(ceilingR / ceiling16).toFixed(2) };
  out.gemm = [];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16);
  for (const [m, k, n] of [[784, 32, 192], [784, 192, 32], [196, 384, 64], [196, 64, 384], [48, 960, 160], [48, 160, 960], [4, 1280, 1000]]) {
    const a = new Int8Array(mem(), x.buf_a(), m * k);
    const w = new Int8Array(mem(), x.buf_w(), n * k);
    for (let i = 0; i < a.length; ++i) a[i] = (rnd() & 255) - 128;
    for (let i = 0; i < w.length; ++i) w[i] = (rnd() % 255) - 127;
    x.pack(n, k);
    x.gemm_dot16(m, k, n);
    x.gemm_relaxed(m, k, n);
    const c = new Int32Array(mem(), x.buf_c(), 1 << 20);
    let bad = 0;
    for (let j = 0; j < n; ++j) {
      let sw = 0;
      for (let i = 0; i < k; ++i) sw += w[j * k + i];
      for (let r = 0; r < m; ++r) if (c[(1 << 19) + r * n + j] - 128 * sw !== c[r * n + j]) ++bad;
    }
    const g16 = rate(() => x.gemm_dot16(m, k, n)) * m * k * n / 1e9;
    const gR = rate(() => x.gemm_relaxed(m, k, n)) * m * k * n / 1e9;
    out.gemm.push({ shape: `${m}x${k}x${n}`, dot16: +g16.toFixed(1), relaxed: +gR.toFixed(1), ratio: +(gR / g16).toFixed(2), mismatches: bad });
  }
  return out;
}

if (typeof process !== 'undefined' && import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import('node:fs');
  const result = await measure(readFileSync(process.argv[2]), () => performance.now());
  console.log(JSON.stringify(result, null, 1));
}
