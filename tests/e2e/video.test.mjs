// video.test.mjs — model.classifyVideo() (web/video.js) on Chromium's fake
// camera (a moving test pattern): each result is classify() of the frame it
// was given, slow inference drops frames instead of queueing them, fps caps
// the rate, stop() stops; on the main thread and in worker mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAKE_CAMERA_ARGS, blankPage, startBrowser } from './browser.mjs';

const MODEL = '/shared/models/mobilenet_v1_0.25_128_quant.tflite';

let env;
let page;
before(async () => {
  env = await startBrowser({ args: FAKE_CAMERA_ARGS });
  page = await blankPage(env);
  // window.setup(url, worker, delayMs): a model on the camera's <video>, its
  // classify() wrapped to record each frame it is given and how many calls
  // overlap; `delayMs` makes inference look that much slower. A live
  // video's current frame can change within a task, so the frame is drawn
  // just before and just after classify() reads it, and kept (else null)
  // only when both are the same.
  await page.evaluate(async () => {
    const { load } = await import('/web/index.js');
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
    const video = Object.assign(document.createElement('video'), { muted: true, playsInline: true, srcObject: stream });
    document.body.append(video);
    await video.play();
    window.video = video;
    const draw = (image) => {
      const canvas = new OffscreenCanvas(image.videoWidth, image.videoHeight);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(image, 0, 0);
      return ctx.getImageData(0, 0, canvas.width, canvas.height);
    };
    const same = (a, b) => a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);
    window.setup = async (url, worker, delayMs = 0) => {
      const model = await load(url, { worker });
      const classify = model.classify.bind(model);
      const calls = { frames: [], inFlight: 0, maxInFlight: 0 };
      model.classify = async (image, options) => {
        calls.maxInFlight = Math.max(calls.maxInFlight, ++calls.inFlight);
        try {
          const before = draw(image);
          const running = classify(image, options);  // reads the frame before returning
          const after = draw(image);
          calls.frames.push(same(before, after) ? before : null);
          const results = await running;
          await new Promise((r) => setTimeout(r, delayMs));
          return results;
        } finally {
          calls.inFlight--;
        }
      };
      return { model, classify, calls };
    };
    // Frames the video has shown, known independently of classifyVideo.
    window.shownFrames = 0;
    const count = (now, meta) => {
      window.shownFrames = meta.presentedFrames;
      video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
  });
});
after(async () => { await env?.close(); });

for (const worker of [false, true]) {
  describe(worker ? 'worker mode' : 'main thread', () => {
    test('each result is classify() of the frame it was given', { timeout: 60_000 }, async () => {
      const r = await page.evaluate(async ({ url, worker }) => {
        const { model, classify, calls } = await window.setup(url, worker);
        const got = [];
        await new Promise((done) => {
          const loop = model.classifyVideo(window.video, (results, info) => {
            got.push({ results, info });
            if (got.length === 6) {
              loop.stop();
              done();
            }
          }, { topK: 5 });
        });
        const again = [];
        for (const frame of calls.frames.slice(0, got.length)) again.push(frame && await classify(frame, { topK: 5 }));
        model.dispose();
        return { got, again, calls: calls.frames.length };
      }, { url: MODEL, worker });
      assert.equal(r.got.length, 6);
      assert.ok(r.calls === 6 || r.calls === 7, `${r.calls} classify() calls`);
      assert.ok(r.again.filter(Boolean).length >= 3, `${r.again.filter(Boolean).length} of 6 frames held still`);
      for (let i = 0; i < r.got.length; i++) {
        assert.equal(r.got[i].results.length, 5);
        if (r.again[i]) assert.deepEqual(r.got[i].results, r.again[i], `frame ${i}`);
        assert.ok(r.got[i].info.inferenceMs > 0);
        if (i > 0) assert.ok(r.got[i].info.mediaTime > r.got[i - 1].info.mediaTime, 'later frames');
      }
    });

    test('slow inference drops frames instead of queueing them; stop() stops', { timeout: 60_000 }, async () => {
      const r = await page.evaluate(async ({ url, worker }) => {
        const { model, calls } = await window.setup(url, worker, 250);
        let callbacks = 0;
        const shown0 = window.shownFrames;
        const t0 = performance.now();
        const loop = model.classifyVideo(window.video, () => { callbacks++; });
        await new Promise((r) => setTimeout(r, 2500));
        loop.stop();
        const out = {
          ms: performance.now() - t0, shown: window.shownFrames - shown0, callbacks,
          frames: loop.frames, classified: loop.classified, dropped: loop.dropped, maxInFlight: calls.maxInFlight,
        };
        await new Promise((r) => setTimeout(r, 600));  // a result in flight is not delivered
        out.callbacksAfterStop = callbacks - out.callbacks;
        model.dispose();
        return out;
      }, { url: MODEL, worker });
      assert.equal(r.maxInFlight, 1, 'one inference at a time');
      assert.ok(r.callbacks >= 3 && r.callbacks <= r.ms / 250 + 1, `${r.callbacks} callbacks in ${r.ms} ms`);
      assert.ok(r.shown >= 3 * r.callbacks, `${r.shown} frames shown, ${r.callbacks} classified`);
      assert.equal(r.classified, r.callbacks);
      assert.ok(r.dropped >= r.shown / 2, `${r.dropped} dropped of ${r.shown}`);
      assert.ok(Math.abs(r.frames - r.shown) <= 2, `loop saw ${r.frames} frames, ${r.shown} shown`);
      assert.equal(r.callbacksAfterStop, 0);
    });

    test('fps caps the rate', { timeout: 60_000 }, async () => {
      const r = await page.evaluate(async ({ url, worker }) => {
        const { model } = await window.setup(url, worker);
        let callbacks = 0;
        const loop = model.classifyVideo(window.video, () => { callbacks++; }, { fps: 4 });
        await new Promise((r) => setTimeout(r, 2000));
        loop.stop();
        model.dispose();
        return { callbacks, frames: loop.frames };
      }, { url: MODEL, worker });
      assert.ok(r.callbacks >= 4 && r.callbacks <= 9, `${r.callbacks} callbacks in 2 s at fps 4 (${r.frames} frames)`);
    });
  });
}

test('bad arguments throw QwasmError; an error stops the loop and goes to onError', { timeout: 60_000 }, async () => {
  const r = await page.evaluate(async (url) => {
    const { load, QwasmError } = await import('/web/index.js');
    const model = await load(url);
    const caught = (f) => {
      try {
        f();
        return null;
      } catch (e) {
        return [e instanceof QwasmError, e.message];
      }
    };
    const out = {
      notVideo: caught(() => model.classifyVideo(document.createElement('canvas'), () => {})),
      noCallback: caught(() => model.classifyVideo(window.video)),
      badFps: caught(() => model.classifyVideo(window.video, () => {}, { fps: 0 })),
    };
    let callbacks = 0;
    out.error = await new Promise((resolve) => {
      model.classifyVideo(window.video, () => {
        callbacks++;
        model.dispose();  // the next frame's classify() fails
      }, { onError: (e) => resolve([e instanceof QwasmError, e.message]) });
    });
    await new Promise((r) => setTimeout(r, 300));
    out.callbacks = callbacks;
    return out;
  }, MODEL);
  assert.deepEqual(r.notVideo, [true, 'classifyVideo needs an HTMLVideoElement (browsers only)']);
  assert.deepEqual(r.noCallback, [true, 'classifyVideo needs a callback function']);
  assert.deepEqual(r.badFps, [true, 'option fps must be a number > 0, got 0']);
  assert.deepEqual(r.error, [true, 'this model was disposed']);
  assert.equal(r.callbacks, 1);
});
