// web/index.d.ts, the hand-written public types, against the runtime: the
// TypeScript compiler reads the declarations; every export of web/index.js
// and web/node.js is declared and every declared value is exported (Node-only
// ones, documented "Node only", by web/node.js alone); every options
// interface lists exactly the keys its parser takes (web/options.js); and
// the objects the API returns carry the keys their interfaces declare.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as browser from '../../web/index.js';
import * as node from '../../web/node.js';
import { OPTION_TYPES } from '../../web/options.js';

const DTS = fileURLToPath(new URL('../../web/index.d.ts', import.meta.url));
const program = ts.createProgram([DTS], { noEmit: true, strict: true, types: [], lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] });
const checker = program.getTypeChecker();
const source = program.getSourceFile(DTS);
const declared = checker.getExportsOfModule(checker.getSymbolAtLocation(source));
const sorted = (a) => [...a].sort();

/** Names of the exported values (functions, classes, constants). */
function values({ nodeOnly }) {
  return sorted(declared.filter((s) => s.flags & ts.SymbolFlags.Value)
    .filter((s) => nodeOnly || !/^Node only/.test(ts.displayPartsToString(s.getDocumentationComment(checker))))
    .map((s) => s.name));
}

/** The properties of an exported interface, or of a property of one ('QuantizeOptions.autoMixed'). */
function properties(path) {
  const [name, ...rest] = path.split('.');
  const symbol = declared.find((s) => s.name === name);
  assert.ok(symbol, `web/index.d.ts declares no ${name}`);
  let type = checker.getDeclaredTypeOfSymbol(symbol);
  for (const key of rest) {
    type = checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(checker.getPropertyOfType(type, key), source));
  }
  return checker.getPropertiesOfType(type).map((p) => ({ name: p.name, optional: (p.flags & ts.SymbolFlags.Optional) !== 0 }));
}

/** Every key of `object` is declared by `type`, and every required key of `type` is in `object`. */
function assertShape(object, type) {
  const props = properties(type);
  assert.deepEqual(sorted(Object.keys(object).filter((k) => !k.startsWith('_'))).filter((k) => !props.some((p) => p.name === k)), [],
    `${type}: keys the runtime has but the types lack`);
  assert.deepEqual(props.filter((p) => !p.optional && !(p.name in object)).map((p) => p.name), [],
    `${type}: required keys the runtime lacks`);
}

describe('web/index.d.ts matches the runtime', () => {
  it('declares every export of web/index.js and web/node.js, and nothing else', () => {
    assert.deepEqual(sorted(Object.keys(browser)), values({ nodeOnly: false }));
    assert.deepEqual(sorted(Object.keys(node)), values({ nodeOnly: true }));
  });

  for (const [type, keys] of Object.entries(OPTION_TYPES)) {
    it(`${type} lists exactly the options its parser takes`, () => {
      assert.deepEqual(sorted(properties(type).map((p) => p.name)), sorted(keys));
    });
  }

  it('Model, ModelMetadata and the quantize report have the keys they declare', async () => {
    const model = await node.load(node.DEFAULT_MODEL, { threads: 1 });
    try {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(model)).filter((k) => k !== 'constructor');
      assertShape(Object.fromEntries([...Object.keys(model), ...methods].map((k) => [k, true])), 'Model');
      assertShape(model.metadata, 'ModelMetadata');
    } finally {
      model.dispose();
    }
    const fp32 = fileURLToPath(new URL('../../models/fashion-mnist/fashion-mnist.fp32.onnx', import.meta.url));
    const tensor = new Float32Array(28 * 28).map((_, i) => Math.sin(i));
    const { report } = await node.quantize(fp32, [tensor, { image: tensor.map((x) => -x), label: 1 }],
      { equalize: true, autoMixed: { maxDrop: 100, confidence: 0 } });
    assertShape(report, 'QuantizeReport');
    assertShape(report.layers.find((l) => l.choice != null), 'QuantizeLayerReport');
    assertShape(report.equalization, 'QuantizeReport.equalization');
    assertShape(report.mixed, 'QuantizeReport.mixed');
  });
});
