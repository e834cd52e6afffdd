// report.mjs — statistics and the markdown report of bench/run.mjs.

const sorted = (a) => [...a].sort((x, y) => x - y);
const median = (a) => { const s = sorted(a); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/** Per-run milliseconds -> {runs, medianMs, p90Ms, totalMs} (p90: nearest rank). */
export function summarize(times) {
  if (!times.length) return { runs: 0, medianMs: null, p90Ms: null, totalMs: 0 };
  const s = sorted(times);
  return { runs: s.length, medianMs: median(s), p90Ms: s[Math.ceil(0.9 * s.length) - 1], totalMs: s.reduce((a, b) => a + b, 0) };
}

const ms = (v) => (v == null ? 'n/a' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const bytes = (b) => (b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1e3).toFixed(1)} kB`);
const NAMES = { qwasm: 'qwasm', tflite: 'TFLite-WASM', litert: 'LiteRT.js', ort: 'ORT Web' };
const OTHERS = ['tflite', 'litert', 'ort'];
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

// LiteRT.js picks its wasm build itself (node_modules/@litertjs/core/dist/index.js, load()).
const LITERT_BUILDS = {
  'litert_wasm_internal.wasm': 'relaxed SIMD, single-threaded',
  'litert_wasm_threaded_internal.wasm': 'relaxed SIMD, threaded',
  'litert_wasm_compat_internal.wasm': 'compat: no relaxed SIMD, single-threaded',
  'litert_wasm_jspi_internal.wasm': 'relaxed SIMD, JSPI',
};
const describeBuild = (build) => build.replace(/litert_wasm_\w+\.wasm/g, (f) => (LITERT_BUILDS[f] ? `${f} (${LITERT_BUILDS[f]})` : f));

function latencySection(rows, busy) {
  const models = [...new Set(rows.map((r) => r.model))];
  const get = (model, runtime, threads) => rows.find((r) => r.model === model && r.runtime === runtime && r.threads === threads);
  const med = (m, rt, t) => get(m, rt, t)?.medianMs ?? null;
  const cell = (m, rt, t) => {
    const r = get(m, rt, t);
    if (r?.medianMs == null) return 'n/a';
    const kernels = rt === 'qwasm' && r.build ? ` (${r.build.replace(/^kernels /, '')})` : '';  // qwasm's kernel table
    return `${ms(r.medianMs)} / ${ms(r.p90Ms)}${kernels}`;
  };
  // Paired: the median over rounds of the two medians' ratio within a round.
  // This host's speed steps by up to ~30% for seconds at a time (the same
  // steps show in a plain JS loop), so values measured a round apart differ
  // by more than the runtimes do; values from one round share the step.
  const paired = (x, y) => {
    const a = x?.sliceMedians, b = y?.sliceMedians;
    if (!a?.length || a.length !== b?.length) return null;
    return median(a.map((v, i) => v / b[i]));
  };
  // A table cell: the ratio of two medians, then the paired ratio in parentheses.
  const ratioCell = (a, b, p) => (a == null || b == null ? 'n/a' : `${(a / b).toFixed(2)}×${p == null ? '' : ` (${p.toFixed(2)}×)`}`);
  const pairedRatio = (m, rt, t) => ratioCell(med(m, 'qwasm', t), med(m, rt, t), paired(get(m, 'qwasm', t), get(m, rt, t)));
  const speedup = (m, rt) => ratioCell(med(m, rt, 1), med(m, rt, 2), paired(get(m, rt, 1), get(m, rt, 2)));
  const threadTable = (t) => table(
    ['model', 'qwasm', ...OTHERS.map((rt) => NAMES[rt]), ...OTHERS.map((rt) => `qwasm/${NAMES[rt]}`),
      ...(t === 2 ? ['2t speedup qwasm · TFLite · LiteRT · ORT'] : [])],
    models.map((m) => [m, cell(m, 'qwasm', t), ...OTHERS.map((rt) => cell(m, rt, t)), ...OTHERS.map((rt) => pairedRatio(m, rt, t)),
      ...(t === 2 ? [['qwasm', ...OTHERS].map((rt) => speedup(m, rt)).join(' · ')] : [])]));
  const notes = [...new Set(rows.filter((r) => r.note).map((r) => `${NAMES[r.runtime]} ${r.threads}t: ${r.note}`))];
  const runs = rows.filter((r) => r.runs).map((r) => r.runs);
  const qk = [1, 2].map((t) => [t, [...new Set(rows.filter((r) => r.runtime === 'qwasm' && r.threads === t && r.build).map((r) => r.build))]])
    .filter(([, b]) => b.length).map(([t, b]) => `${t}t ${b.join(', ')}`);
  const builds = [1, 2].map((t) => [t, [...new Set(rows.filter((r) => r.runtime === 'litert' && r.threads === t && r.build).map((r) => r.build))]])
    .filter(([, b]) => b.length).map(([t, b]) => `${t}t ${b.map(describeBuild).join(', ')}`);
  // Top-1 against qwasm's at the same thread count: the same input bytes should give the same class.
  const disagree = rows.filter((r) => r.top1 != null && r.runtime !== 'qwasm').flatMap((r) => {
    const q = get(r.model, 'qwasm', r.threads)?.top1;
    return q != null && q !== r.top1 ? [`${r.model} ${NAMES[r.runtime]} ${r.threads}t class ${r.top1} (qwasm ${q})`] : [];
  });
  // qwasm's 2-thread pool during the timed runs (bench/run.mjs): why a
  // 2-thread run was no faster, if it was not.
  const pools = rows.filter((r) => r.runtime === 'qwasm' && r.pool).map((r) => {
    const p = r.pool, jobs = p.sharedJobs + p.soloJobs, tiles = p.callerTiles + p.workerTiles;
    return `${r.model} ${jobs ? ((100 * p.soloJobs) / jobs).toFixed(1) : 0}% of ${jobs} jobs solo ` +
      `in ${p.soloStarts} solo periods, ${p.stalls} stalls, ` +
      `worker ran ${tiles ? ((100 * p.workerTiles) / tiles).toFixed(1) : 0}% of shared tiles, caller waited ${ms(p.waitMs / (r.runs || 1))} ms per run`;
  });
  const spread = models.flatMap((m) => [1, 2].map((t) => get(m, 'qwasm', t)).filter((r) => r?.sliceMedians?.length).map((r) =>
    `${m} qwasm ${r.threads}t ${ms(Math.min(...r.sliceMedians))}–${ms(Math.max(...r.sliceMedians))}`));
  return [
    `## Latency (ms per inference, median / p90)${busy ? ', with a CPU-bound process per core (--busy)' : ''}`,
    '',
    '### 1 thread',
    '',
    threadTable(1),
    '',
    '### 2 threads',
    '',
    threadTable(2),
    '',
    'Ratios: median / median, below 1× = qwasm faster. Speedup: 1-thread median / 2-thread median. In parentheses, paired: the median',
    'over rounds of the same ratio within each round (the runtimes take turns every round), which the host\'s speed steps do not skew.',
    ...(spread.length ? [`Round medians, fastest–slowest round (the host\'s speed steps): ${spread.join('; ')}.`] : []),
    'qwasm 1t runs dist/qwasm.wasm, 2t dist/qwasm-mt.wasm (pthreads); TFLite-WASM runs its SIMD + threads build at both.',
    ...(qk.length ? [`qwasm ran: ${qk.join('; ')} (model.kernels).`] : []),
    ...(pools.length ? [`qwasm 2t thread pool in the timed runs (runtime/threadpool.cc): ${pools.join('; ')}.`] : []),
    ...(builds.length ? [`LiteRT.js (XNNPACK, CPU) loaded: ${builds.join('; ')}.`] : []),
    `Runs per cell: ${Math.min(...runs)}–${Math.max(...runs)}.`,
    ...notes.map((n) => `n/a: ${n}.`),
    disagree.length ? `**Top-1 differs from qwasm's: ${disagree.join('; ')}.**` : 'Top-1 class: every runtime agrees with qwasm on every model.',
    '',
  ].join('\n');
}

function loadSection({ results, sizes, distWasm }) {
  const reps = Math.max(...results.map((r) => r.runs.length));
  const body = results.map((r) => {
    const first = r.runs.map((x) => x.firstResultMs);
    return [r.model, NAMES[r.runtime], ms(median(first)), ms(median(r.runs.map((x) => x.readyMs))), ms(median(r.runs.map((x) => x.loadedMs))),
      `${ms(Math.min(...first))}–${ms(Math.max(...first))}`];
  });
  const verdicts = [...new Set(results.map((r) => r.model))].map((m) => {
    const t = (rt) => median(results.find((r) => r.model === m && r.runtime === rt).runs.map((x) => x.firstResultMs));
    const against = ['tflite', 'litert'].filter((rt) => results.some((r) => r.runtime === rt))  // the same .tflite file
      .map((rt) => `${t('qwasm') < t(rt) ? 'sooner' : '**not sooner**'} than ${NAMES[rt]}'s (${ms(t('qwasm'))} vs ${ms(t(rt))} ms)`);
    return `- ${m}: qwasm's first result ${against.join(', ')}.`;
  });
  const failed = Object.entries(sizes).flatMap(([rt, files]) => files.filter((f) => f.status !== 200).map((f) => `${NAMES[rt]} ${f.path} (HTTP ${f.status})`));
  const sizeRows = Object.entries(sizes).map(([rt, all]) => {
    const files = all.filter((f) => f.status === 200);
    const sum = (kind, key) => files.filter((f) => f.kind === kind).reduce((a, f) => a + f[key], 0);
    return [NAMES[rt], files.filter((f) => f.kind === 'wasm').map((f) => f.path.split('/').pop()).join(', '),
      `${bytes(sum('wasm', 'bytes'))} (${bytes(sum('wasm', 'gzip'))})`, `${bytes(sum('js', 'bytes'))} (${bytes(sum('js', 'gzip'))})`,
      String(files.filter((f) => f.kind === 'js').length)];
  });
  return [
    `## Load time (ms from navigation start, fresh page, median of ${reps})`,
    '',
    table(['model', 'runtime', 'first result', 'runtime ready', 'model loaded', 'first result range'], body),
    '',
    'One thread; the page loads the runtime\'s code, then the model file, then runs one inference.',
    ...verdicts,
    '',
    '## Sizes (bytes fetched by the load-time pages; gzip -6 in parentheses)',
    '',
    table(['runtime', 'wasm fetched', 'wasm', 'JS glue', 'JS files'], sizeRows),
    '',
    `qwasm builds on disk: ${distWasm.map((f) => `${f.path} ${bytes(f.bytes)}`).join(', ')}.`,
    ...(failed.length ? [`Requested but not found (not counted): ${failed.join(', ')}.`] : []),
    '',
  ].join('\n');
}

// One table per engine: each GEMM beside the ceiling of its own dot.
function gemmEngine(e) {
  if (e.error) return [`### ${e.engine}`, '', `n/a: ${e.error}`, ''];
  const { ceilings: c, relaxed } = e;
  const gmacs = (v) => (v == null ? 'n/a' : v.toFixed(1));
  const pct = (v, ceiling) => (v == null || ceiling == null ? 'n/a' : `${((100 * v) / ceiling).toFixed(0)}%`);
  const speedup = (r, s) => (r == null ? 'n/a' : `${(r / s).toFixed(2)}×`);
  const rows = e.rows.map((r) => [r.layer, `${r.m}×${r.k}×${r.n}`, gmacs(r.simd128), pct(r.simd128, c.dotI16),
    gmacs(r.relaxed), pct(r.relaxed, c.relaxed), speedup(r.relaxed, r.simd128)]);
  const differ = e.rows.filter((r) => r.sameBytes === false).map((r) => r.layer);
  const sameReason = !relaxed.available && c.relaxed == null && relaxed.reason === c.relaxedError;
  const state = sameReason ? `relaxed GEMM and ceiling unavailable: ${relaxed.reason}.` : relaxed.available
    ? `relaxed GEMM: the product's relaxed table (dot's second operand read ${relaxed.reading}, probe bits ` +
      `0b${relaxed.probe.toString(2).padStart(3, '0')}, self-test passed); ` +
      (differ.length ? `**its output differs from SIMD128's on ${differ.join(', ')}**.` : 'its output equals SIMD128\'s on every shape.')
    : `relaxed GEMM unavailable: ${relaxed.reason}.`;
  return [
    `### ${e.engine}`,
    '',
    table(['layer', 'M×K×N', 'SIMD128', '% of dot_i16x8 ceiling', 'relaxed', '% of relaxed ceiling', 'relaxed / SIMD128'], [
      ['**ceiling** (measured)', '', gmacs(c.dotI16), '100%', gmacs(c.relaxed), c.relaxed == null ? 'n/a' : '100%', speedup(c.relaxed, c.dotI16)],
      ...rows,
      ['README loop, dots hoisted (not a ceiling)', '', gmacs(c.hoisted), '', '', '', '']]),
    '',
    `${state}${c.relaxed == null && !sameReason ? ` Relaxed ceiling unavailable: ${c.relaxedError}.` : ''}`,
    '',
  ];
}

function gemmSection(g) {
  if (g.error) return `## int8 GEMM microkernels\n\nn/a: ${g.error}\n`;
  return [
    '## int8 GEMM microkernels, src/kernels/gemm (GMAC/s, one thread)',
    '',
    'SIMD128: qs8_gemm_4x8c2__wasmsimd (int16 operands, i32x4.dot_i16x8_s). Relaxed: qs8_gemm_4x8c4__wasmrelaxed, the product\'s',
    'relaxed-SIMD side module through its kernel table (i32x4.relaxed_dot_i8x16_i7x16_add_s), where the engine validates the module',
    'and the self-test passes. MACs counted: M·K·N (requantization and stores included; K padding not counted: the relaxed kernel',
    'runs K rounded up to 4, SIMD128 to 2). The im2col row reads rows of A k_read bytes apart, as GemmOp lays them out.',
    'Ceilings, measured in the same module and run by the same loops (bench/dot-ceiling.h): operands from L1, 8 independent',
    'accumulators, 2 loads per 8 dots, A held in registers; 8 MACs per dot_i16x8, 16 per relaxed dot (its loops are compiled by',
    'clang-19 into a side module of the benchmark).',
    '',
    ...g.engines.flatMap(gemmEngine),
    'The last row of each table is the loop behind ../shared/README.md\'s "≈ 43 GMAC/s": it reads the same operands every',
    'repetition, so clang hoists its loop-invariant dot products out of the loop and the figure counts MACs never computed.',
    '',
  ].join('\n');
}

export function formatReport(report) {
  const m = report.meta;
  const inputs = Object.entries(report.inputs ?? {});
  return [
    `# qwasm benchmark — ${m.date}`,
    '',
    `qwasm ${m.commit}${m.dirty ? ' (uncommitted changes)' : ''} · Chromium ${m.chromium} · Node ${m.node} · ${m.cpu}, ${m.cores} cores · ` +
      `load average ${m.loadavgStart.map((x) => x.toFixed(1)).join(' ')} at start, ${m.loadavgEnd.map((x) => x.toFixed(1)).join(' ')} at end · ` +
      `${m.wallSeconds} s${m.options.quick ? ' · --quick' : ''}`,
    m.loadavgStart[0] > m.cores / 2 ? `**The machine was busy (load average ${m.loadavgStart[0].toFixed(1)} on ${m.cores} cores): figures are noisy, 2-thread ones unreliable.**` : '',
    m.coreScaling ? `Two threads of a plain integer loop ran ${m.coreScaling.map((x) => `${x.toFixed(2)}×`).join(' before and ')} ` +
      'after the latency rounds as fast as one (bench/core-scaling.mjs): the most any 2-thread speedup could be on this host then.' : '',
    m.busy ? `**Busy-machine mode (--busy): ${m.busy.processes} CPU-bound background processes (one per core, normal priority) ran during ` +
      `the latency rounds; load average ${m.busy.loadavgAtStop.map((x) => x.toFixed(1)).join(' ')} when they stopped.**` : '',
    inputs.length ? `Input: ${m.image} preprocessed by qwasm (sha256 ${inputs.map(([k, v]) => `${k} ${v.sha256.slice(0, 8)}`).join(', ')}), the same bytes for every runtime.` : '',
    '',
    report.latency ? latencySection(report.latency, m.busy) : '',
    report.load ? loadSection(report.load) : '',
    report.gemm ? gemmSection(report.gemm) : '',
  ].filter((s, i, a) => s !== '' || a[i - 1] !== '').join('\n');
}
