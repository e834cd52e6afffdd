// The C++ core's folders are layers (docs/architecture.md): each may include
// only the layers below it, so the quantizer can grow above the graph and
// kernels stay free of graph and quantizer code. Also: kernel variants are
// chosen by the kernel table alone (src/kernels/config.cc), never by
// operators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../src/', import.meta.url));

// Folder -> the folders it may include (besides itself), lowest layer first.
const allowed = {
  core: [],
  quant: ['core'],
  kernels: ['core', 'quant'],
  runtime: ['core'],
  graph: ['core', 'quant', 'kernels', 'runtime'],
  image: ['core'],
  format: ['core', 'quant', 'graph'],
  import: ['core', 'quant', 'graph'],
  api: ['core', 'quant', 'kernels', 'runtime', 'graph', 'image', 'format', 'import'],
  ptq: ['core', 'quant', 'kernels', 'runtime', 'graph', 'image', 'format', 'import', 'api'],
  bindings: ['core', 'quant', 'kernels', 'runtime', 'graph', 'image', 'format', 'import', 'api', 'ptq'],
};

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(h|cc)$/.test(name) ? [path] : [];
  });
}

const files = sources(root).map((path) => ({ rel: relative(root, path), text: readFileSync(path, 'utf8') }));

test('every source file sits in a known layer', () => {
  const unknown = files.map((f) => f.rel.split('/')[0]).filter((layer) => !(layer in allowed));
  assert.deepEqual([...new Set(unknown)], []);
});

test('layers include only the layers below them', () => {
  const back = [];
  for (const f of files) {
    const layer = f.rel.split('/')[0];
    for (const m of f.text.matchAll(/^#include "([a-z_]+)\//gm)) {
      if (m[1] !== layer && !allowed[layer].includes(m[1])) back.push(`${f.rel} includes ${m[1]}/`);
    }
  }
  assert.deepEqual(back, []);
});

test('operators never choose kernel variants; only the kernel table does', () => {
  const offenders = [];
  for (const f of files) {
    if (f.rel.startsWith('graph/') && /QWASM_HAVE_SIMD128|QWASM_KERNELS_WASMSIMD|__wasmsimd|__ref\b|reference_kernels/.test(f.text)) {
      offenders.push(`${f.rel}: names a kernel variant or the SIMD switch`);
    }
    if (/QWASM_KERNELS_WASMSIMD/.test(f.text) && f.rel !== 'kernels/config.cc') {
      offenders.push(`${f.rel}: tests the SIMD build switch`);
    }
    const simdOnly = /-wasm(simd|relaxed)\.(cc|h)$/.test(f.rel) ||
      ['kernels/simd128.h', 'kernels/requantize-simd.h', 'kernels/relaxed-simd.h'].includes(f.rel);
    if (/#include "kernels\/simd128\.h"/.test(f.text) && !simdOnly) {
      offenders.push(`${f.rel}: includes SIMD intrinsics outside a SIMD kernel`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('kernel files are named after the function they define', () => {
  const wrong = [];
  for (const f of files) {
    // Variants: ref (scalar), wasmsimd (SIMD128), wasmrelaxed (relaxed SIMD).
    const m = f.rel.match(/^kernels\/[a-z0-9-]+\/([a-z0-9]+(?:-[a-z0-9]+)*)-(ref|wasmsimd|wasmrelaxed)\.cc$/);
    if (!m) continue;
    // qs8-gemm-4x8c2-wasmsimd.cc defines qs8_gemm_4x8c2__wasmsimd (any return type).
    const fn = `${m[1].replaceAll('-', '_')}__${m[2]}`;
    if (!new RegExp(`^\\w+ ${fn}\\(`, 'm').test(f.text)) wrong.push(`${f.rel} does not define ${fn}`);
  }
  assert.deepEqual(wrong, []);
});
