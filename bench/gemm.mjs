// gemm.mjs — shapes and driver of the GEMM microbenchmark, shared by the
// Chromium page (page.js) and the Node side (run.mjs).
export const GEMM_MODULE_PATH = 'build/wasm/bench/gemm-bench.mjs';  // relative to the repo root

// 1x1 convolutions as GEMMs: M = output pixels, K = input channels, N = output channels.
export const GEMM_SHAPES = [
  { layer: 'MobileNetV2 56x56 expand', m: 3136, k: 24, n: 144 },
  { layer: 'MobileNetV2 56x56 project', m: 3136, k: 144, n: 24 },
  { layer: 'MobileNetV2 28x28 project', m: 784, k: 192, n: 32 },
  { layer: 'MobileNetV2 14x14 expand', m: 196, k: 96, n: 576 },
  { layer: 'MobileNetV2 7x7 last 1x1', m: 49, k: 320, n: 1280 },
  { layer: 'MobileNetV1 28x28 pointwise', m: 784, k: 256, n: 256 },
  { layer: 'MobileNetV1 14x14 pointwise', m: 196, k: 512, n: 512 },
];

/**
 * Times the microkernel on each shape, and the dot_i16x8 ceiling before and
 * after (the better of the two counts: it is what this machine can reach);
 * also the loop behind ../shared/README.md's ≈ 43 GMAC/s, whose dot products
 * are loop-invariant (see bench/gemm-bench.cc), for comparison.
 * @returns {{ceilingGmacs: number, hoistedGmacs: number, rows: Array<{layer, m, k, n, gmacs: number}>}}
 */
export function runGemm(module, { seconds, shapes = GEMM_SHAPES }) {
  const before = module._qwasm_bench_dot_ceiling(seconds, 0);
  const rows = shapes.map((s) => ({ ...s, gmacs: module._qwasm_bench_gemm(s.m, s.k, s.n, seconds) }));
  const ceilingGmacs = Math.max(before, module._qwasm_bench_dot_ceiling(seconds, 0));
  return { ceilingGmacs, hoistedGmacs: module._qwasm_bench_dot_ceiling(seconds, 1), rows };
}
