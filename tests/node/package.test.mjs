// What package.json promises: each bin names itself in --help, usage errors
// and failures (not its file name); the LICENSE file is the license it
// names; require('qwasm') works on the Node versions "engines" allows.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8'));

/** Runs `node file args` in the repository; resolves to {code, stdout, stderr}. */
async function run(args) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (typeof e.code !== 'number') throw e;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('bins', () => {
  const bins = Object.entries(pkg.bin);

  it('are the four tools', () => {
    assert.deepEqual(bins.map(([name]) => name).sort(), ['qwasm-classify', 'qwasm-convert', 'qwasm-eval', 'qwasm-quantize']);
  });

  for (const [bin, file] of bins) {
    it(`${bin} --help prints its usage to stdout and exits 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await run([file, flag]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, '');
        assert.ok(r.stdout.startsWith(`usage: ${bin} `), r.stdout);
        assert.ok(!r.stdout.includes('.mjs'), r.stdout);
      }
    });

    it(`${bin} names itself in a usage error (exit 2, usage on stderr)`, async () => {
      const r = await run([file, '--no-such-option']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(`${bin}: error: unknown option --no-such-option\n`), r.stderr);
      assert.ok(r.stderr.includes(`\nusage: ${bin} `), r.stderr);
    });
  }

  it('a failure names the bin and the cause (exit 1)', async () => {
    const r = await run([pkg.bin['qwasm-classify'], '/nonexistent/model.qwm', 'demo/samples/fashion-mnist/0000-ankle-boot.png']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'qwasm-classify: error: could not read model file /nonexistent/model.qwm: ENOENT\n');
    const c = await run([pkg.bin['qwasm-convert'], '/nonexistent/model.tflite', '-o', '/tmp/never.qwm']);
    assert.equal(c.code, 1);
    assert.equal(c.stderr, 'qwasm-convert: error: could not read model file /nonexistent/model.tflite: ENOENT\n');
  });

  it('qwasm-classify prints probabilities for the default model', async () => {
    const r = await run([pkg.bin['qwasm-classify'], 'demo/samples/fashion-mnist/0000-ankle-boot.png', '--top', '10']);
    assert.equal(r.code, 0, r.stderr);
    const scores = [...r.stdout.matchAll(/^ {2}(\d\.\d{4}) +\d+ {2}/gm)].map((m) => Number(m[1]));
    assert.equal(scores.length, 10);
    assert.ok(Math.abs(scores.reduce((a, b) => a + b, 0) - 1) < 2e-3, scores.join(' '));
    assert.match(r.stdout, /^ {2}0\.9\d{3} +9 {2}Ankle boot$/m);
  });
});

describe('package.json', () => {
  it('ships the full Apache License 2.0 text it names', () => {
    assert.equal(pkg.license, 'Apache-2.0');
    const text = readFileSync(`${ROOT}LICENSE`, 'utf8');
    assert.match(text, /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
    assert.match(text, /END OF TERMS AND CONDITIONS/);
    assert.equal(text, readFileSync('/usr/share/common-licenses/Apache-2.0', 'utf8'));
  });

  it(`engines ${pkg.engines.node}: the Node versions whose require() loads the ES module package`, async () => {
    assert.equal(pkg.engines.node, '>=20.19');
    const [major, minor] = process.versions.node.split('.').map(Number);
    assert.ok(major > 20 || (major === 20 && minor >= 19), `this Node (${process.version}) is older than the package needs`);
    const script = "const q = require('qwasm'); q.load(undefined, { threads: 1 })"
      + ".then((m) => m.classify('demo/samples/fashion-mnist/0002-trouser.png', { topK: 1 }))"
      + '.then(([top]) => console.log(top.label));';
    const r = await run(['-e', script]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Trouser\n');
  });
});
