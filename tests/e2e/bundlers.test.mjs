// bundlers.test.mjs — acceptance test for issue 14: the packed npm tarball,
// installed into a fresh project, works with each common toolchain in its
// default configuration.
//
//   1. `npm pack` of this checkout (dist/ must be built), extracted into
//      <tmp>/<toolchain>/node_modules/qwasm of a fresh app per toolchain, as
//      `npm install qwasm-x.y.z.tgz` would (the browser entry needs none of
//      qwasm's own dependencies, which are Node-only). `qwasm` is resolved
//      from there; the bundlers are this repository's devDependencies, run
//      through their JS APIs with the app as root / working directory.
//   2. The app (bundlers/app/: index.html, main.js as src/index.js,
//      public/model.tflite and public/cat.bmp copied from ../shared) loads a
//      MobileNet, classifies the cat and reports on window.__result.
//   3. Built with Vite (build and dev server), webpack 5, esbuild, Rollup 4 +
//      node-resolve, and without a bundler (an import map), each with its
//      defaults; each output served with and without COOP/COEP headers.
//   4. Each case: top-1 is a cat, 1 thread without isolation, 2 with it.
//   5. With the pthreads worker script deleted from the output (Vite build;
//      no bundler): an answer on 1 thread within 5 s of load(), and the
//      `qwasm: threads unavailable…` warning.
//   6. A summary table (time to result, threads, top-1, output sizes).
//
// Runs in about a minute. QWASM_KEEP_TMP=1 keeps the temp projects (their
// path is printed) to look at or serve: node tools/serve.mjs --root DIR.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../../tools/serve.mjs';
import { CHROMIUM_ARGS } from './browser.mjs';

// ───────────────────────────────────────────────────────────────────────────
// ESBUILD_FLAGS — the only thing an esbuild user may add to
//   esbuild src/index.js --bundle --format=esm --outdir=dist
// is a loader flag, e.g. { loader: { '.wasm': 'file' } } for
// `--loader:.wasm=file`. None by default. (QWASM_ESBUILD_FLAGS='{"loader":…}'
// overrides it for a try-out; nothing but `loader` is accepted.)
const ESBUILD_FLAGS = {};
// ───────────────────────────────────────────────────────────────────────────

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHARED = path.resolve(REPO, '..', 'shared');
const FIXTURE = path.join(REPO, 'tests', 'e2e', 'bundlers', 'app');
const MODEL = path.join(SHARED, 'models', 'mobilenet_v1_0.25_128_quant.tflite');
const PHOTO = path.join(SHARED, 'images', 'cat.bmp');
// 1001-class MobileNet (0 = background): 282 tabby, 283 tiger cat, 284
// Persian, 285 Siamese, 286 Egyptian cat (281–285 in 1000-class numbering).
// The Node API gives 286 Egyptian cat (0.73) for this photo and model.
const CAT_CLASSES = [282, 283, 284, 285, 286];
const THREADS_ISOLATED = 2;  // what the app asks for
const CASE_TIMEOUT_MS = 30_000;
const FALLBACK_WITHIN_MS = 5_000;
const FALLBACK_WAIT_MS = 10_000;  // how long a case without the worker script is waited for (a hang is reported as such)
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const run = promisify(execFile);
const esbuildFlags = (() => {
  const flags = process.env.QWASM_ESBUILD_FLAGS ? JSON.parse(process.env.QWASM_ESBUILD_FLAGS) : ESBUILD_FLAGS;
  const extra = Object.keys(flags).filter((k) => k !== 'loader');
  if (extra.length) throw new Error(`ESBUILD_FLAGS may only hold a loader flag, not ${extra.join(', ')}`);
  return flags;
})();

// ── which bundlers are installed ───────────────────────────────────────────
// A toolchain whose packages are missing is skipped, saying so; everything
// else fails loudly.
async function tryImport(name) {
  try {
    return { module: await import(name) };
  } catch (e) {
    if (e.code === 'ERR_MODULE_NOT_FOUND') return { missing: `${name} is not installed (npm ci installs the devDependencies)` };
    throw e;
  }
}
const pkgs = {};
for (const name of ['vite', 'webpack', 'esbuild', 'rollup', '@rollup/plugin-node-resolve']) pkgs[name] = await tryImport(name);
const missing = (...names) => names.map((n) => pkgs[n].missing).find(Boolean) ?? false;
const version = (name) => pkgs[name].module?.version ?? pkgs[name].module?.VERSION ?? pkgs[name].module?.default?.version ?? '?';

// ── the temp projects ──────────────────────────────────────────────────────
let tmp;
let tarball;
let browser;
const rows = [];  // the summary table

async function sh(cmd, args, cwd) {
  try {
    return (await run(cmd, args, { cwd, maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stderr || e.message}`);
  }
}

const exists = (file) => access(file).then(() => true, () => false);

/** A fresh project for one toolchain: the fixture, the photo and model in public/, qwasm in node_modules/. */
async function makeApp(id) {
  const app = path.join(tmp, id);
  await mkdir(path.join(app, 'src'), { recursive: true });
  await mkdir(path.join(app, 'public'));
  await mkdir(path.join(app, 'node_modules', 'qwasm'), { recursive: true });
  await cp(path.join(FIXTURE, 'package.json'), path.join(app, 'package.json'));
  await cp(path.join(FIXTURE, 'index.html'), path.join(app, 'index.html'));
  await cp(path.join(FIXTURE, 'main.js'), path.join(app, 'src', 'index.js'));
  await cp(MODEL, path.join(app, 'public', 'model.tflite'));
  await cp(PHOTO, path.join(app, 'public', 'cat.bmp'));
  await sh('tar', ['-xzf', tarball, '-C', path.join(app, 'node_modules', 'qwasm'), '--strip-components=1'], app);
  // `qwasm` resolves to this copy, as for a user, and to nothing else should
  // the copy be incomplete: no other node_modules/qwasm on the way up (the
  // repository is not an ancestor of the temp directory).
  assert.ok(await exists(path.join(app, 'node_modules', 'qwasm', 'package.json')), `the tarball did not extract into ${app}`);
  for (let dir = tmp; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const other = path.join(dir, 'node_modules', 'qwasm');
    assert.ok(!(await exists(other)), `${other} exists: the temp apps could resolve qwasm there; remove it or set TMPDIR`);
  }
  return app;
}

/** The fixture page with another script tag (and extra head markup). */
async function writePage(dir, scriptTag, head = '') {
  let html = await readFile(path.join(FIXTURE, 'index.html'), 'utf8');
  const tag = '<script type="module" src="/src/index.js"></script>';
  assert.ok(html.includes(tag), `${FIXTURE}/index.html lost its script tag`);
  html = html.replace(tag, scriptTag).replace('</head>', `${head}</head>`);
  await writeFile(path.join(dir, 'index.html'), html);
}

/** What a developer does without a public/ convention: the files next to the page. */
const copyPublic = (app, out) => cp(path.join(app, 'public'), out, { recursive: true });

async function listFiles(dir, { skip = ['node_modules'] } = {}) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    const rel = path.relative(dir, file);
    if (skip.some((s) => rel.split(path.sep).includes(s))) continue;
    out.push({ rel, size: (await stat(file)).size });
  }
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

const isJs = (f) => /\.(m|c)?js$/.test(f);
const kb = (n) => (n == null ? '–' : `${(n / 1024).toFixed(0)} KiB`);
function sizes(files) {
  const sum = (test) => files.filter((f) => test(f.rel)).reduce((s, f) => s + f.size, 0);
  return { js: sum(isJs), wasm: sum((f) => f.endsWith('.wasm')) };
}

/** Short text of the first lines of a long message. */
const head = (text, lines = 12) => {
  const all = String(text).trim().split('\n');
  return all.slice(0, lines).join('\n') + (all.length > lines ? `\n… (${all.length - lines} more lines)` : '');
};

// ── the toolchains: each returns {dir (served), files (output), notes} or a dev server ──
const TOOLCHAINS = [
  {
    id: 'vite-build',
    name: 'Vite build',
    skip: missing('vite'),
    cli: () => `vite build (vite ${version('vite')})`,
    async build(app) {
      const { build } = pkgs.vite.module;
      const warnings = [];
      await build({ root: app, configFile: false, logLevel: 'warn', customLogger: quietLogger(warnings) });
      const out = path.join(app, 'dist');
      return { dir: out, files: await listFiles(out), warnings };
    },
  },
  {
    id: 'vite-dev',
    name: 'Vite dev server',
    skip: missing('vite'),
    cli: () => `vite (dev server, vite ${version('vite')})`,
    dev: true,
    async build(app) {
      return { dir: app, files: null, warnings: [] };
    },
    async serve(app, isolation) {
      const { createServer } = pkgs.vite.module;
      const warnings = [];
      const server = await createServer({
        root: app,
        configFile: false,
        logLevel: 'warn',
        customLogger: quietLogger(warnings),
        // The documented way to send isolation headers; nothing else is set.
        server: { host: '127.0.0.1', port: 0, headers: isolation ? ISOLATION_HEADERS : {} },
      });
      await server.listen();
      const url = server.resolvedUrls.local[0].replace(/\/$/, '');
      return { url, warnings, close: () => server.close() };
    },
  },
  {
    id: 'webpack',
    name: 'webpack',
    skip: missing('webpack'),
    cli: () => `webpack (webpack ${version('webpack')}, no config: ./src → dist/main.js)`,
    async build(app) {
      const webpack = pkgs.webpack.module.default;
      // What `npx webpack` does in the app directory without a config file:
      // entry ./src, output dist/main.js, production mode (webpack's
      // default, set here only to leave out its "mode not set" warning).
      const out = path.join(app, 'dist');
      const compiler = webpack({ context: app, mode: 'production', output: { path: out } });
      const stats = await new Promise((ok, fail) => compiler.run((e, s) => (e ? fail(e) : ok(s))));
      await new Promise((ok) => compiler.close(ok));
      const info = stats.toJson({ all: false, errors: true, warnings: true, moduleTrace: false });
      const describeProblem = (p) => `${p.moduleName ? `${p.moduleName}: ` : ''}${
        String(p.message).trim().split('\n')[0].replace(/ in '[^']*'$/, '')}`;
      if (stats.hasErrors()) {
        throw new Error(`webpack: ${info.errors.length} error(s):\n${info.errors.slice(0, 8).map(describeProblem).join('\n')}`);
      }
      await writePage(out, '<script defer src="main.js"></script>');  // as html-webpack-plugin writes it
      await copyPublic(app, out);
      return { dir: out, files: await listFiles(out), warnings: info.warnings.map(describeProblem) };
    },
  },
  {
    id: 'esbuild',
    name: 'esbuild',
    skip: missing('esbuild'),
    cli: () => `esbuild src/index.js --bundle --format=esm --outdir=dist${
      Object.entries(esbuildFlags.loader ?? {}).map(([ext, l]) => ` --loader:${ext}=${l}`).join('')} (esbuild ${version('esbuild')})`,
    async build(app) {
      const esbuild = pkgs.esbuild.module;
      const out = path.join(app, 'dist');
      let result;
      try {
        result = await esbuild.build({
          absWorkingDir: app, entryPoints: ['src/index.js'], bundle: true, format: 'esm', outdir: 'dist',
          logLevel: 'silent', ...esbuildFlags,
        });
      } catch (e) {
        const errors = e.errors ?? [];
        const text = errors.map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`);
        throw new Error(`esbuild: ${errors.length} error(s):\n${head(text.join('\n') || e.message, 10)}`);
      }
      await writePage(out, '<script type="module" src="index.js"></script>');
      await copyPublic(app, out);
      return { dir: out, files: await listFiles(out), warnings: result.warnings.map((w) => w.text) };
    },
  },
  {
    id: 'rollup',
    name: 'Rollup + node-resolve',
    skip: missing('rollup', '@rollup/plugin-node-resolve'),
    cli: () => `rollup src/index.js -d dist -f es -p node-resolve={browser:true} (rollup ${version('rollup')})`,
    async build(app) {
      const { rollup } = pkgs.rollup.module;
      const { nodeResolve } = pkgs['@rollup/plugin-node-resolve'].module;
      const warnings = [];
      const out = path.join(app, 'dist');
      // rootDir: the working directory of `rollup` run in the app.
      const bundle = await rollup({
        input: path.join(app, 'src', 'index.js'),
        plugins: [nodeResolve({ browser: true, rootDir: app })],
        onwarn: (w) => warnings.push(`${w.code}: ${w.message}`),
      });
      await bundle.write({ dir: out, format: 'es' });
      await bundle.close();
      await writePage(out, '<script type="module" src="index.js"></script>');
      await copyPublic(app, out);
      return { dir: out, files: await listFiles(out), warnings };
    },
  },
  {
    id: 'no-bundler',
    name: 'no bundler (import map)',
    skip: false,
    cli: () => 'no bundler: <script type="importmap"> → node_modules/qwasm, browser entry of its "exports"',
    async build(app) {
      const pkg = JSON.parse(await readFile(path.join(app, 'node_modules', 'qwasm', 'package.json'), 'utf8'));
      const entry = browserEntry(pkg);
      const map = { imports: { qwasm: `/node_modules/qwasm/${entry.replace(/^\.\//, '')}` } };
      await writePage(app, '<script type="module" src="/src/index.js"></script>',
        `  <script type="importmap">${JSON.stringify(map)}</script>\n  `);
      await copyPublic(app, app);
      return { dir: app, files: null, warnings: [], note: `qwasm → ${map.imports.qwasm}` };
    },
  },
];

/** The file a browser import map points at: the package's "exports" for a browser, as bundlers read it. */
function browserEntry(pkg) {
  const conditions = ['browser', 'import', 'module', 'default'];
  const pick = (target) => {
    if (typeof target === 'string') return target;
    if (Array.isArray(target)) return target.map(pick).find(Boolean);
    if (target && typeof target === 'object') {
      for (const [key, value] of Object.entries(target)) if (conditions.includes(key)) return pick(value) ?? undefined;
    }
    return undefined;
  };
  const root = pkg.exports && (typeof pkg.exports === 'string' || Array.isArray(pkg.exports) || !('.' in pkg.exports)
    ? pkg.exports : pkg.exports['.']);
  const entry = (root && pick(root)) ?? pkg.browser ?? pkg.module ?? pkg.main ?? 'index.js';
  return typeof entry === 'string' ? entry : 'index.js';
}

function quietLogger(warnings) {
  const logger = {
    hasWarned: false,
    info() {},
    warn(msg) { logger.hasWarned = true; warnings.push(String(msg)); },
    warnOnce(msg) { if (!warnings.includes(String(msg))) logger.warn(msg); },
    error(msg) { warnings.push(`error: ${msg}`); },
    clearScreen() {},
    hasErrorLogged: () => false,
  };
  return logger;
}

// ── one page in Chromium ───────────────────────────────────────────────────
/**
 * Opens url in a fresh browser context and waits for window.__result or
 * window.__error. Resolves to what happened, never throws for the page's
 * own failures: {result, error, timedOut, console, pageErrors, badRequests, fetched}.
 */
async function openApp(url, { timeoutMs = CASE_TIMEOUT_MS } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = { console: [], pageErrors: [], badRequests: [] };
  const onConsole = (where) => (m) => {
    if (['warning', 'error'].includes(m.type())) seen.console.push({ type: m.type(), where, text: m.text() });
  };
  page.on('console', onConsole('page'));
  page.on('worker', (w) => w.on('console', onConsole(`worker ${w.url().split('/').pop()}`)));
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  context.on('requestfailed', (r) => seen.badRequests.push(`${r.url()}: ${r.failure()?.errorText}`));
  context.on('response', (r) => { if (r.status() >= 400) seen.badRequests.push(`${r.url()}: HTTP ${r.status()}`); });
  const started = Date.now();
  let state = {};
  try {
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
    while (Date.now() - started < timeoutMs) {
      // Evaluated afresh each time: a dev server may reload the page once.
      state = await page.evaluate(() => ({
        result: window.__result, error: window.__error, started: window.__loadStartedAt,
        isolated: globalThis.crossOriginIsolated === true,
      })).catch(() => ({}));
      if (state.result || state.error) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    state.fetched = await page.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => ({ url: e.name, size: e.encodedBodySize }))).catch(() => []);
  } catch (e) {
    seen.pageErrors.push(`navigation: ${e.message.split('\n')[0]}`);
  } finally {
    await context.close().catch(() => {});
  }
  const timedOut = !state.result && !state.error;
  return { ...state, ...seen, timedOut, wallMs: Date.now() - started };
}

/** Everything the page said, for a failure message. */
function explain(page) {
  const lines = [];
  if (page.error) lines.push(`window.__error: ${page.error.name}: ${page.error.message} (after ${page.error.ms?.toFixed(0)} ms)`);
  if (page.timedOut) {
    lines.push(page.started == null
      ? `no answer within ${page.wallMs} ms and load() was never called (the bundle did not run)`
      : `no answer within ${page.wallMs} ms (load() was called; it hangs)`);
  }
  for (const e of page.pageErrors.slice(0, 5)) lines.push(`page error: ${e}`);
  for (const m of page.console.slice(0, 8)) lines.push(`console.${m.type} (${m.where}): ${head(m.text, 2)}`);
  for (const r of [...new Set(page.badRequests)].slice(0, 8)) lines.push(`request failed: ${r}`);
  return lines.join('\n  ');
}

function fetchedSizes(page) {
  if (!page.fetched?.length) return { js: null, wasm: null };
  const sum = (test) => page.fetched.filter((f) => test(new URL(f.url).pathname)).reduce((s, f) => s + f.size, 0);
  return { js: sum(isJs), wasm: sum((p) => p.endsWith('.wasm')) };
}

function record(toolchain, isolation, page, built, extra = '', failure = null) {
  const top = page?.result?.top?.[0];
  const out = built?.files ? sizes(built.files) : { js: null, wasm: null };
  const fetched = page ? fetchedSizes(page) : {};
  const outcome = failure ?? (page.result ? 'ok' : page.error ? page.error.message : explain(page));
  rows.push({
    case: `${toolchain.name}${extra}`,
    isolation: isolation ? 'COOP/COEP' : 'none',
    buildMs: built && !toolchain.dev ? built.buildMs : '–',
    ms: page?.result ? page.result.totalMs.toFixed(0) : '–',
    threads: page?.result?.threads ?? '–',
    top1: top ? `${top.index} ${top.label.split(',')[0]}` : '–',
    outJs: kb(out.js), outWasm: kb(out.wasm), fetchedJs: kb(fetched.js), fetchedWasm: kb(fetched.wasm),
    outcome: outcome.split('\n')[0].replaceAll(`${tmp}${path.sep}`, '<tmp>/').slice(0, 140),
  });
}

/** The assertions every case shares, with everything the page said on failure. */
function assertCat(page, { isolation, threads }) {
  assert.ok(page.result, `no result:\n  ${explain(page)}`);
  assert.equal(page.result.isolated, isolation, `harness: the page is ${page.result.isolated ? '' : 'not '}cross-origin isolated`);
  const [top] = page.result.top;
  assert.ok(CAT_CLASSES.includes(top.index), `top-1 is ${top.index} ${top.label}, not a cat (${CAT_CLASSES.join(', ')})`);
  assert.equal(page.result.threads, threads, `model.threads is ${page.result.threads}, expected ${threads}\n  ${explain(page)}`);
}

// ── the tests ──────────────────────────────────────────────────────────────
describe('the packed package with bundlers (issue 14)', () => {
  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'qwasm-bundlers-'));
    const packed = JSON.parse(await sh('npm', ['pack', '--pack-destination', tmp, '--json', '--silent'], REPO));
    const [{ filename, files }] = packed;
    tarball = path.join(tmp, filename);
    const wasm = files.filter((f) => f.path.endsWith('.wasm'));
    assert.ok(wasm.length > 0, `npm pack took no .wasm file: is dist/ built? (npm run build)\n${files.map((f) => f.path).join('\n')}`);
    browser = await chromium.launch({ executablePath: process.env.QWASM_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (rows.length) printSummary();
    if (tmp && !process.env.QWASM_KEEP_TMP) await rm(tmp, { recursive: true, force: true });
    else if (tmp) console.log(`temp projects kept in ${tmp}`);
  });

  const built = new Map();  // toolchain id → Promise<{dir, files, warnings}>
  const buildOnce = (t) => {
    if (!built.has(t.id)) {
      built.set(t.id, (async () => {
        const started = Date.now();
        const app = await makeApp(t.id);
        const result = await t.build(app);
        return { ...result, app, buildMs: Date.now() - started };
      })());
    }
    return built.get(t.id);
  };
  /** The build, or an error saying the build failed (the build test has the details). */
  const builtOrFail = async (t) => {
    try {
      return await buildOnce(t);
    } catch (e) {
      throw new Error(`${t.name} did not build (see its "builds" test):\n${head(e.message, 6)}`);
    }
  };

  /** builtOrFail(), with a row in the summary when the build failed. */
  const builtOrRecord = async (t, isolation, label) => {
    try {
      return await builtOrFail(t);
    } catch (e) {
      record(t, isolation, null, null, label, `build failed: ${e.message.split('\n')[2] ?? e.message}`);
      throw e;
    }
  };

  /** Serves what t built (or runs its dev server) with or without isolation; runs the page. */
  async function runCase(t, isolation, { dir, label = '', timeoutMs } = {}) {
    const b = await builtOrRecord(t, isolation, label);
    const serverLog = [];
    const server = t.dev
      ? await t.serve(b.app, isolation)
      : await startServer({ root: dir ?? b.dir, isolation, onRequest: (url, status) => serverLog.push({ url, status }) });
    try {
      const page = await openApp(`${server.url}/`, { timeoutMs });
      // What the server refused that the browser did not report (a worker's requests).
      for (const l of serverLog) {
        const u = `${server.url}${l.url}`;
        if (l.status >= 400 && !page.badRequests.some((r) => r.startsWith(`${u}:`))) page.badRequests.push(`${u}: HTTP ${l.status} (server)`);
      }
      if (server.warnings?.length) page.console.push(...server.warnings.map((w) => ({ type: 'warning', where: 'vite', text: w })));
      record(t, isolation, page, b, label);
      return page;
    } finally {
      await server.close();
    }
  }

  for (const t of TOOLCHAINS) {
    describe(t.name, { skip: t.skip }, () => {
      test(t.dev || t.id === 'no-bundler' ? 'project set up' : 'builds', { timeout: 120_000 }, async (ctx) => {
        ctx.diagnostic(t.cli());
        const b = await buildOnce(t);
        ctx.diagnostic(`${t.dev || t.id === 'no-bundler' ? 'set up' : 'built'} in ${b.buildMs} ms${b.note ? `; ${b.note}` : ''}`);
        if (b.files) ctx.diagnostic(`output: ${b.files.map((f) => `${f.rel} (${kb(f.size)})`).join(', ')}`);
        for (const w of b.warnings.slice(0, 5)) ctx.diagnostic(`warning: ${head(w, 2)}`);
      });

      for (const isolation of [false, true]) {
        const threads = isolation ? THREADS_ISOLATED : 1;
        test(`${isolation ? 'with' : 'without'} COOP/COEP: a cat on ${threads} thread(s)`, { timeout: CASE_TIMEOUT_MS + 30_000 }, async () => {
          const page = await runCase(t, isolation);
          assertCat(page, { isolation, threads });
        });
      }
    });
  }

  // The pthreads worker script missing from what is served: load() must give
  // up on threads quickly, warn, and answer on one thread.
  const NO_WORKER = [
    { t: TOOLCHAINS.find((x) => x.id === 'vite-build'), skip: missing('vite') },
    { t: TOOLCHAINS.find((x) => x.id === 'no-bundler'), skip: false },
  ];
  for (const { t, skip } of NO_WORKER) {
    test(`${t.name}, pthreads worker deleted, with COOP/COEP: 1 thread within ${FALLBACK_WITHIN_MS / 1000} s and a warning`,
      { skip, timeout: CASE_TIMEOUT_MS + 30_000 }, async (ctx) => {
        const label = ' − worker';
        const b = await builtOrRecord(t, true, label);
        // A copy of what is served, less every script the build emitted for
        // qwasm whose name says worker (without a bundler: the package's dist/).
        const copy = `${b.dir}-noworker`;
        await cp(b.dir, copy, { recursive: true });
        const emitted = t.id === 'no-bundler' ? path.join('node_modules', 'qwasm', 'dist') : '';
        const candidates = (await listFiles(path.join(copy, emitted), { skip: emitted ? [] : ['node_modules'] }))
          .map((f) => ({ ...f, rel: path.join(emitted, f.rel) }));
        const workers = candidates.filter((f) => /worker/i.test(path.basename(f.rel)) && isJs(f.rel));
        assert.ok(workers.length > 0, `no file whose name contains "worker" in ${t.name}'s output, so none to delete:\n  ${
          candidates.map((f) => f.rel).join('\n  ')}`);
        for (const w of workers) await rm(path.join(copy, w.rel));
        ctx.diagnostic(`deleted ${workers.map((w) => w.rel).join(', ')}`);
        const page = await runCase(t, true, { dir: copy, label, timeoutMs: FALLBACK_WAIT_MS });
        assert.ok(page.result, `no result without the worker script:\n  ${explain(page)}`);
        assert.ok(page.result.totalMs <= FALLBACK_WITHIN_MS,
          `the answer took ${page.result.totalMs.toFixed(0)} ms after load() was called (limit ${FALLBACK_WITHIN_MS} ms)`);
        assert.equal(page.result.threads, 1, `model.threads is ${page.result.threads} without ${
          workers.map((w) => w.rel).join(', ')}: is the pthreads worker another file, or inlined?`);
        assertCat(page, { isolation: true, threads: 1 });
        const warned = page.console.filter((m) => m.type === 'warning' && /qwasm: threads unavailable/.test(m.text));
        assert.ok(warned.length > 0, `no "qwasm: threads unavailable…" console warning; the console had:\n  ${
          page.console.map((m) => `${m.type}: ${head(m.text, 1)}`).join('\n  ') || '(nothing)'}`);
      });
  }
});

function printSummary() {
  const cols = [
    ['case', 'case'], ['isolation', 'isolation'], ['buildMs', 'build ms'], ['ms', 'ms to result'], ['threads', 'threads'], ['top1', 'top-1'],
    ['outJs', 'output JS'], ['outWasm', 'output wasm'], ['fetchedJs', 'fetched JS'], ['fetchedWasm', 'fetched wasm'],
    ['outcome', 'outcome'],
  ];
  const lines = [
    `| ${cols.map(([, h]) => h).join(' | ')} |`,
    `| ${cols.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${cols.map(([k]) => String(r[k]).replaceAll('|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`),
  ];
  console.log(`\nqwasm bundler acceptance (issue 14), node ${process.version}:\n${lines.join('\n')}\n`);
}
