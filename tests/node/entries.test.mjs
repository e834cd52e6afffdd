// The browser entry point (web/index.js) must run without Node: no module
// it imports, statically or dynamically, however indirectly, may be a node:
// builtin or a Node-only package — a bundler would try to resolve it
// (web/node.js decodes images with pngjs and @jsquash/jpeg and starts wasm
// through web/wasm-node.js). And every asset the browser entry needs is
// named by a literal `new URL('...', import.meta.url)` that a bundler can
// follow to a file in the package.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'|\bimport\('([^']+)'\)/gm;

/** Every specifier imported from `entry` and the package files it reaches. */
function imports(entry) {
  const seen = new Set();
  const specifiers = new Set();
  const visit = (url) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    for (const m of readFileSync(url, 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      specifiers.add(spec);
      if (spec.startsWith('.')) visit(new URL(spec, url));
    }
  };
  visit(entry);
  return { files: seen, specifiers };
}

for (const entry of ['index.js']) {
  test(`web/${entry} reaches no node: module, no Node-only package, no Node glue`, () => {
    const { files, specifiers } = imports(new URL(`../../web/${entry}`, import.meta.url));
    assert.ok(files.size > 5, [...files].join(', '));
    assert.deepEqual([...specifiers].filter((s) => !s.startsWith('.')), []);
    const reached = [...files].map((f) => f.replace(/^.*?\/(web|dist)\//, '$1/'));
    assert.deepEqual(reached.filter((f) => /node|dist\/node\//.test(f)), []);
    for (const f of files) {
      if (f.includes('/dist/')) assert.doesNotMatch(readFileSync(new URL(f), 'utf8'), /\brequire\(|new Worker\(/, f);
    }
  });
}

test('web/node.js is the entry that decodes images with Node packages', () => {
  const { specifiers } = imports(new URL('../../web/node.js', import.meta.url));
  for (const s of ['node:fs/promises', 'pngjs', './jpeg-node.js', './entry.js', './wasm-node.js']) assert.ok(specifiers.has(s), s);
});

test('the browser assets are literal new URL(..., import.meta.url) to files that exist', () => {
  const url = new URL('../../web/assets.js', import.meta.url);
  const text = readFileSync(url, 'utf8');
  const literals = [...text.matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)].map((m) => m[1]);
  assert.deepEqual(literals.sort(), ['../dist/qwasm-mt.wasm', '../dist/qwasm-mt.worker.mjs', '../dist/qwasm-tools.wasm',
    '../dist/qwasm.wasm', '../models/fashion-mnist/fashion-mnist.qwm']);
  for (const l of literals) assert.ok(existsSync(new URL(l, url)), l);
  assert.match(text, /new Worker\(new URL\('\.\.\/dist\/qwasm-mt\.worker\.mjs', import\.meta\.url\), \{ type: 'module' \}\)/);
});

test('package.json sends Node to web/node.js and everything else to web/index.js', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.deepEqual(pkg.exports['.'], { types: './web/index.d.ts', node: './web/node.js', default: './web/index.js' });
  assert.equal(pkg.module, './web/index.js');
});

test('every asset has an inline copy, for bundlers that emit none', () => {
  const text = readFileSync(new URL('../../web/assets.js', import.meta.url), 'utf8');
  const inline = [...text.matchAll(/import\('\.\.\/dist\/inline\/([^']+)\.js'\)/g)].map((m) => m[1]);
  assert.deepEqual(inline.sort(), ['default-model.qwm', 'qwasm-mt.wasm', 'qwasm-mt.worker.mjs', 'qwasm-tools.wasm', 'qwasm.wasm']);
  for (const f of inline) assert.ok(existsSync(new URL(`../../dist/inline/${f}.js`, import.meta.url)), f);
});

test('the Node build of qwasm-mt uses the same .wasm as the browser build (the package ships one)', () => {
  const dist = new URL('../../dist/', import.meta.url);
  const own = new URL('node/qwasm-mt.wasm', dist);
  if (!existsSync(own)) return;
  assert.ok(readFileSync(own).equals(readFileSync(new URL('qwasm-mt.wasm', dist))));
});
