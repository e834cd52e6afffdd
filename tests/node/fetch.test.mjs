// load() over HTTP in Node (web/fetch.js): progress with and without a
// Content-Length, errors that name the URL and the reason (a closed port,
// HTTP 404, a connection cut mid-file), `cache` as the documented no-op
// where there is no Cache API or IndexedDB; and every other source kind
// (file path, bytes, Blob, Response) with its one progress call.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { describe, it, before, after } from 'node:test';
import { clearCache, DEFAULT_MODEL, load, QwasmError } from 'qwasm';

const SAMPLE = new URL('../../demo/samples/fashion-mnist/0000-ankle-boot.png', import.meta.url).pathname;
const CHUNK = 8192;
const pause = () => new Promise((ok) => setTimeout(ok, 5));

/**
 * A server for the default model: /model.qwm with a Content-Length,
 * /chunked.qwm without, /cut.qwm announcing the full length but closing the
 * connection halfway, /labels.txt, /sample.png; anything else 404. Bodies go
 * out in 8 kB pieces, a few ms apart, so the client sees several chunks.
 * `requests[path]` counts what was asked for.
 */
async function startModelServer(model, png) {
  const requests = {};
  const server = createServer(async (req, res) => {
    requests[req.url] = (requests[req.url] ?? 0) + 1;
    const send = async (body, { length = true, cut = false } = {}) => {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', ...(length ? { 'Content-Length': body.length } : {}) });
      const end = cut ? body.length >> 1 : body.length;
      for (let at = 0; at < end; at += CHUNK) {
        res.write(body.subarray(at, Math.min(at + CHUNK, end)));
        await pause();
      }
      if (cut) res.destroy(); else res.end();
    };
    if (req.url === '/model.qwm') await send(model);
    else if (req.url === '/chunked.qwm') await send(model, { length: false });
    else if (req.url === '/cut.qwm') await send(model, { cut: true });
    else if (req.url === '/sample.png') await send(png);
    else if (req.url === '/labels.txt') await send(Buffer.from(Array.from({ length: 10 }, (_, i) => `label ${i}`).join('\n')));
    else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, requests, close: () => new Promise((ok) => { server.closeAllConnections(); server.close(ok); }) };
}

/** A port nothing listens on: one the system just gave and took back. */
async function closedPort() {
  const s = createServer();
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address();
  await new Promise((ok) => s.close(ok));
  return port;
}

/** load() with onProgress recording its calls. */
async function loadRecording(source, options = {}) {
  const calls = [];
  const model = await load(source, { threads: 1, ...options, onProgress: (loaded, total) => calls.push([loaded, total]) });
  return { model, calls };
}

function assertProgress(calls, size, total) {
  assert.ok(calls.length >= 2, `${calls.length} progress calls`);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i][0] > calls[i - 1][0], `loaded not increasing: ${JSON.stringify(calls)}`);
  for (const [loaded, t] of calls.slice(0, -1)) {
    assert.equal(t, total);
    assert.ok(loaded > 0 && loaded < size);
  }
  assert.deepEqual(calls.at(-1), [size, size]);
}

const isError = (message) => (e) => e instanceof QwasmError && e.message === message;

describe('load() from an http URL in Node', () => {
  let server;
  let bytes;
  let expected;
  before(async () => {
    bytes = await readFile(DEFAULT_MODEL);
    server = await startModelServer(bytes, await readFile(SAMPLE));
    const local = await load(DEFAULT_MODEL, { threads: 1 });
    expected = await local.classify(SAMPLE, { topK: 10 });
    local.dispose();
  });
  after(() => server?.close());

  it('with a Content-Length: progress rises to (size, size), total the length throughout; the model works', async () => {
    const { model, calls } = await loadRecording(`${server.url}/model.qwm`);
    try {
      assertProgress(calls, bytes.length, bytes.length);
      assert.deepEqual(await model.classify(SAMPLE, { topK: 10 }), expected);
    } finally {
      model.dispose();
    }
  });

  it('without a Content-Length (chunked): total is null until the last call, (size, size)', async () => {
    const { model, calls } = await loadRecording(`${server.url}/chunked.qwm`);
    try {
      assertProgress(calls, bytes.length, null);
      assert.deepEqual(await model.classify(SAMPLE, { topK: 10 }), expected);
    } finally {
      model.dispose();
    }
  });

  it('labels and images load from http URLs too', async () => {
    const model = await load(`${server.url}/model.qwm`, { threads: 1, labels: `${server.url}/labels.txt` });
    try {
      const top = await model.classify(`${server.url}/sample.png`, { topK: 10 });
      assert.deepEqual(top, expected.map((r) => ({ ...r, label: `label ${r.index}` })));
    } finally {
      model.dispose();
    }
  });

  it('a closed port: QwasmError naming the URL and "connection refused"', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/model.qwm`;
    await assert.rejects(load(url, { threads: 1 }), (e) => {
      assert.ok(e instanceof QwasmError, e);
      assert.equal(e.message, `could not fetch model from ${url}: connection refused (ECONNREFUSED)`);
      assert.equal(e.cause?.cause?.code, 'ECONNREFUSED');
      return true;
    });
  });

  it('HTTP 404: QwasmError naming the URL and the status, for the model and for labels', async () => {
    await assert.rejects(load(`${server.url}/missing.qwm`, { threads: 1 }),
      isError(`could not fetch model from ${server.url}/missing.qwm: HTTP 404`));
    await assert.rejects(load(`${server.url}/model.qwm`, { threads: 1, labels: `${server.url}/nolabels.txt` }),
      isError(`could not fetch labels from ${server.url}/nolabels.txt: HTTP 404`));
  });

  it('a connection cut halfway: QwasmError naming the URL and how far it got', async () => {
    await assert.rejects(load(`${server.url}/cut.qwm`, { threads: 1 }), (e) => {
      assert.ok(e instanceof QwasmError, e);
      assert.match(e.message, new RegExp(`^could not fetch model from ${server.url}/cut\\.qwm: .+ after \\d+ of ${bytes.length} bytes$`));
      return true;
    });
  });

  it('cache: true is a no-op in Node (no Cache API, no IndexedDB): every load fetches; clearCache() finds 0', async () => {
    const before = server.requests['/model.qwm'] ?? 0;
    for (let i = 0; i < 2; i++) (await load(`${server.url}/model.qwm`, { threads: 1, cache: true })).dispose();
    assert.equal(server.requests['/model.qwm'] - before, 2);
    assert.equal(await clearCache(), 0);
  });
});

describe('other sources: one progress call (size, size); Blob and Response accepted', () => {
  let bytes;
  let expected;
  before(async () => {
    bytes = await readFile(DEFAULT_MODEL);
    const model = await load(bytes, { threads: 1 });
    expected = await model.classify(SAMPLE, { topK: 3 });
    model.dispose();
  });

  for (const [kind, source] of [
    ['a file path', () => DEFAULT_MODEL.pathname],
    ['a file URL', () => DEFAULT_MODEL],
    ['bytes', () => new Uint8Array(bytes)],
    ['a Blob', () => new Blob([bytes])],
    ['a Response', () => new Response(bytes, { headers: { 'content-length': String(bytes.length) } })],
  ]) {
    it(kind, async () => {
      const { model, calls } = await loadRecording(source());
      try {
        if (kind === 'a Response') assert.deepEqual(calls.at(-1), [bytes.length, bytes.length]);
        else assert.deepEqual(calls, [[bytes.length, bytes.length]]);
        assert.deepEqual(await model.classify(SAMPLE, { topK: 3 }), expected);
      } finally {
        model.dispose();
      }
    });
  }

  it('an image as a Blob gives what its file gives', async () => {
    const model = await load(bytes, { threads: 1 });
    try {
      assert.deepEqual(await model.classify(new Blob([await readFile(SAMPLE)]), { topK: 3 }), expected);
    } finally {
      model.dispose();
    }
  });

  it('a Response with an error status names it', async () => {
    await assert.rejects(load(new Response('gone', { status: 410, statusText: 'Gone' }), { threads: 1 }),
      isError('could not fetch model from a Response: HTTP 410'));
  });

  it('refuses an onProgress that is no function and a cache that is no boolean', async () => {
    await assert.rejects(load(bytes, { onProgress: 'yes' }), isError('option onProgress must be a function, got string'));
    await assert.rejects(load(bytes, { cache: 1 }), isError('option cache must be true or false, got number'));
  });
});
