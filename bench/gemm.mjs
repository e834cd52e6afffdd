// gemm.mjs — shapes and driver of the GEMM microbenchmark
// (build/wasm/bench/gemm-bench, see gemm-bench.cc), shared by the Chromium
// page (page.js) and Node (run.mjs spawns `node [flags] bench/gemm.mjs`,
// which prints runGemm's result as JSON).
//
// Per shape: the SIMD128 GEMM (qs8_gemm_4x8c2) and the relaxed-SIMD GEMM
// (qs8_gemm_4x8c4, the product's relaxed table where the engine validates
// its side module and the self-test passes; otherwise the reason it is
// unavailable), each in GMAC/s, beside the ceiling of its dot instruction.
//
//   node [--experimental-wasm-relaxed-simd] bench/gemm.mjs [seconds]
export const GEMM_MODULE_PATH = 'build/wasm/bench/gemm-bench.mjs';  // relative to the repo root

// MobileNet layers as GEMMs, M = output pixels, N = output channels. 1x1
// convolutions: K = input channels, rows of A read in place (k bytes apart).
// im2col: K = kernel_h * kernel_w * input channels, rows of A k_read bytes
// apart (the kernel's K rounded up, the bytes past K zero), as GemmOp::Run
// lays them out.
export const GEMM_SHAPES = [
  { layer: 'MobileNetV2 first conv 3x3/2, im2col', m: 12544, k: 27, n: 32, im2col: true },
  { layer: 'MobileNetV2 112x112 expand', m: 12544, k: 16, n: 96 },
  { layer: 'MobileNetV2 56x56 expand', m: 3136, k: 24, n: 144 },
  { layer: 'MobileNetV2 56x56 project', m: 3136, k: 144, n: 24 },
  { layer: 'MobileNetV2 28x28 project', m: 784, k: 192, n: 32 },
  { layer: 'MobileNetV2 14x14 expand', m: 196, k: 96, n: 576 },
  { layer: 'MobileNetV2 7x7 last 1x1', m: 49, k: 320, n: 1280 },
  { layer: 'MobileNetV1 28x28 pointwise', m: 784, k: 256, n: 256 },
  { layer: 'MobileNetV1 14x14 pointwise', m: 196, k: 512, n: 512 },
];

// Why the relaxed GEMM does not run: from the product side module's probe
// bits (kernels/probe/relaxed-probe-wasmrelaxed.cc) or a ceiling's status.
function unavailable(probe) {
  const bits = `probe bits 0b${probe.toString(2).padStart(3, '0')}`;
  if (probe === -1) return 'no relaxed SIMD (WebAssembly.validate refuses the side module)';
  if (probe === -2) return 'the side module did not start (see the console)';
  if ((probe & 1) && !(probe & 4)) return `the engine's relaxed dot reads the second operand unsigned but saturates its 16-bit pair sums (pmaddubsw; ${bits}): the probe refuses it`;
  if (!(probe & 4)) return `the probe found no exact reading of the relaxed dot's second operand (${bits})`;
  return `the self-test failed (${bits})`;
}

/**
 * Times both GEMMs on each shape, and the two ceilings before and after (the
 * better counts: it is what this machine can reach); also the loop behind
 * ../shared/README.md's ≈ 43 GMAC/s, whose dot products are loop-invariant
 * (see bench/gemm-bench.cc), for comparison.
 * @returns {{
 *   ceilings: {dotI16: number, relaxed: number|null, relaxedError: string|null, hoisted: number},
 *   relaxed: {available: boolean, probe: number, reading: 'unsigned'|'signed'|null, reason: string|null},
 *   rows: Array<{layer, m, k, n, im2col?, simd128: number, relaxed: number|null, sameBytes: boolean|null}>}}
 *   GMAC/s; sameBytes: the relaxed GEMM's output equals the SIMD128 one's (a hash of C)
 */
export function runGemm(module, { seconds, shapes = GEMM_SHAPES }) {
  const probe = module._qwasm_bench_relaxed_probe();
  const table = module._qwasm_bench_relaxed_table();
  const relaxed = {
    available: table > 0, probe, reading: [null, 'unsigned', 'signed'][table], reason: table > 0 ? null : unavailable(probe),
  };
  const ceiling = (kind) => module._qwasm_bench_dot_ceiling(seconds, kind);
  const before = [ceiling(0), ceiling(2)];
  const gemm = (kernel, s) => module._qwasm_bench_gemm(kernel, s.m, s.k, s.n, s.im2col ? 1 : 0, seconds);
  const rows = shapes.map((s) => {
    const simd128 = gemm(0, s);
    if (!relaxed.available) return { ...s, simd128, relaxed: null, sameBytes: null };
    const sum = module._qwasm_bench_checksum();
    const r = gemm(1, s);
    return { ...s, simd128, relaxed: r, sameBytes: module._qwasm_bench_checksum() === sum };
  });
  const relaxedCeiling = before[1] < 0 ? null : Math.max(before[1], ceiling(2));
  return {
    ceilings: {
      dotI16: Math.max(before[0], ceiling(0)),
      relaxed: relaxedCeiling,
      relaxedError: relaxedCeiling == null ? unavailable(before[1]) : null,
      hoisted: ceiling(1),
    },
    relaxed,
    rows,
  };
}

const isMain = typeof process !== 'undefined' && process.argv?.[1] &&
  import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href;
if (isMain) {
  const { readFileSync } = await import('node:fs');
  const root = new URL('../', import.meta.url);
  const { default: create } = await import(new URL(GEMM_MODULE_PATH, root));
  const module = await create({ wasmBinary: readFileSync(new URL(GEMM_MODULE_PATH.replace(/\.mjs$/, '.wasm'), root)) });
  const seconds = Number(process.argv[2] ?? 0.5);
  console.log(JSON.stringify(runGemm(module, { seconds })));
}
