// video.js — model.classifyVideo(video, callback, options): classifies the
// frames of a playing <video> as they are shown. Never queues: a frame shown
// while an inference runs is dropped (counted), so results follow the video
// however slow the model is. `fps` caps the rate. Works with Model and with
// the worker proxy (web/worker-model.js), whose classify() sends the frame
// on show as a transferred VideoFrame.
import { QwasmError } from './errors.js';
import { CLASSIFY_OPTIONS, CLASSIFY_VIDEO_OPTIONS, pick } from './options.js';

// Frame times jitter by a few ms; without slack fps: 15 on a 30 fps video
// would often wait for a third frame.
const FPS_SLACK_MS = 5;

/**
 * @returns {{stop(): void, frames: number, classified: number, dropped: number}}
 *   frames seen, classified, and dropped because an inference was running
 */
export function classifyVideo(model, video, callback, options = {}) {
  if (typeof HTMLVideoElement === 'undefined' || !(video instanceof HTMLVideoElement)) {
    throw new QwasmError('classifyVideo needs an HTMLVideoElement (browsers only)');
  }
  if (typeof callback !== 'function') throw new QwasmError('classifyVideo needs a callback function');
  const o = pick(options, CLASSIFY_VIDEO_OPTIONS);
  const fps = o.fps ?? Infinity;
  if (typeof fps !== 'number' || !(fps > 0)) throw new QwasmError(`option fps must be a number > 0, got ${o.fps}`);
  const classifyOptions = pick(o, CLASSIFY_OPTIONS);
  const onError = o.onError ?? ((e) => console.error('qwasm classifyVideo stopped:', e));
  // requestVideoFrameCallback fires once per frame shown; requestAnimationFrame
  // once per display refresh, so there new frames are told by their time.
  const perFrame = typeof video.requestVideoFrameCallback === 'function';

  const stats = { frames: 0, classified: 0, dropped: 0 };
  let stopped = false;
  let busy = false;
  let handle = 0;
  let lastStart = -Infinity;
  let lastMediaTime = -1;
  let lastPresented = null;

  const next = () => {
    handle = perFrame ? video.requestVideoFrameCallback(onFrame) : requestAnimationFrame((now) => onFrame(now, null));
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (perFrame) video.cancelVideoFrameCallback(handle);
    else cancelAnimationFrame(handle);
  };

  function onFrame(now, meta) {
    if (stopped) return;
    next();
    const mediaTime = meta?.mediaTime ?? video.currentTime;
    if (video.readyState < 2 || (!meta && mediaTime === lastMediaTime)) return;  // HAVE_CURRENT_DATA
    lastMediaTime = mediaTime;
    // Frames shown while this thread was busy (a main-thread Model blocks
    // it) got no callback: presentedFrames counts them.
    const missed = meta && lastPresented != null ? Math.max(0, meta.presentedFrames - lastPresented - 1) : 0;
    lastPresented = meta?.presentedFrames ?? null;
    stats.frames += 1 + missed;
    stats.dropped += missed;
    if (busy) {
      stats.dropped++;
      return;
    }
    if (now - lastStart < 1000 / fps - FPS_SLACK_MS) return;
    busy = true;
    lastStart = now;
    model.classify(video, classifyOptions).then((results) => {
      if (stopped) return;
      stats.classified++;
      callback(results, { mediaTime, inferenceMs: model.lastInferenceMs });
    }).catch((e) => {
      if (stopped) return;
      stop();
      onError(e);
    }).finally(() => { busy = false; });
  }

  next();
  return {
    stop,
    get frames() { return stats.frames; },
    get classified() { return stats.classified; },
    get dropped() { return stats.dropped; },
  };
}
