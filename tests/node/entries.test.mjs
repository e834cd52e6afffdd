// The browser entry point (web/index.js) must run without Node: no module it
// imports statically, however indirectly, may be a node: builtin or a
// Node-only package (web/node.js decodes images with pngjs and
// @jsquash/jpeg; web/wasm.js imports node: modules dynamically, only in Node).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** Every specifier imported statically from `entry` and the web/ files it reaches. */
function staticImports(entry) {
  const seen = new Set();
  const specifiers = new Set();
  const visit = (url) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    for (const m of readFileSync(url, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1] ?? m[2];
      specifiers.add(spec);
      if (spec.startsWith('.')) visit(new URL(spec, url));
    }
  };
  visit(entry);
  return { files: seen, specifiers };
}

test('web/index.js reaches no node: module and no Node-only package', () => {
  const { files, specifiers } = staticImports(new URL('../../web/index.js', import.meta.url));
  assert.ok(files.size > 5, [...files].join(', '));
  assert.deepEqual([...specifiers].filter((s) => !s.startsWith('./')), []);
});

test('web/node.js is the entry that decodes images with Node packages', () => {
  const { specifiers } = staticImports(new URL('../../web/node.js', import.meta.url));
  for (const s of ['node:fs/promises', 'pngjs', './jpeg-node.js', './entry.js']) assert.ok(specifiers.has(s), s);
});
