// main.js — the qwasm demo page. Uses only the public API (web/index.js).
//
// Query parameters: ?model=<url>&image=<url> load both and classify at once.
// Test hooks: #app[data-state] is idle | loading (also from the start, until
// the first model is in) | classifying | done | live
// | error; each result is #results li[data-index][data-score] (#results
// [data-model] names the model that produced them, [data-frames] counts
// live results); #timing carries data-inference-ms and data-total-ms;
// #download[data-percent] is the download bar's, [data-updates] counts
// onProgress calls, [data-loaded][data-total] the last; #profile[data-state] is
// running | done | error; #offline[data-state] is ready once the service
// worker holds the demo.
import * as qwasm from '../web/index.js';
import { clearResults, showDownload, showProfile, showResults } from './view.js';

const $ = (id) => document.getElementById(id);
const app = $('app');
const modelSelect = $('model-select');
const video = $('camera');
const PROFILE_RUNS = 20;

let model = null;       // the loaded Model (or WorkerModel)
let modelName = '';
let modelSource = '';   // its URL, or '' for a file
let lastSource = null;  // what it was loaded from (to reload it in or out of a worker)
let image = null;       // {blob, name}: the image on show
let camera = null;      // {stream, loop, frames, since} while the camera runs
let loadCount = 0;      // the latest model load wins; earlier ones are dropped
let modelLoading = false;  // an image chosen meanwhile waits for the new model
let runCount = 0;       // likewise for classifications

function setState(state, message) {
  app.dataset.state = state;
  $('status').textContent = message;
}

// kind is 'model', 'image' or 'camera': choosing a new image clears only image errors.
function showError(message, kind) {
  setState('error', 'Failed (see the message below).');
  $('error').textContent = message;
  $('error').dataset.kind = kind;
  $('error').hidden = false;
}

function clearError(kind) {
  if (kind && $('error').dataset.kind !== kind) return;
  $('error').hidden = true;
  $('error').textContent = '';
}

// Lets the browser paint the status line before a long synchronous run.
const nextPaint = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));

const baseName = (s) => decodeURIComponent(String(s).split(/[?#]/)[0].split('/').pop());

// Fashion-MNIST models take 28x28 pictures; anything else gets the ImageNet photos.
const sampleSet = (m) => (m && m.inputShape[1] === 28 && m.inputShape[2] === 28 ? 'fashion' : 'imagenet');

function showSamples(set) {
  let any = false;
  for (const group of $('samples').querySelectorAll('[data-set]')) {
    const visible = group.dataset.set === set && [...group.children].some((b) => !b.hidden);
    group.hidden = !visible;
    any ||= visible;
  }
  $('samples').hidden = !any;
}

async function selectModel(source, name) {
  const ticket = ++loadCount;
  modelLoading = true;
  clearError('model');
  setState('loading', `Loading model ${name}…`);
  showDownload({ loaded: 0, total: 0 }, name);
  const t0 = performance.now();
  let size = source.size ?? 0;
  const download = $('download').dataset;
  Object.assign(download, { updates: 0, loaded: '', total: '' });
  const onProgress = (loaded, total) => {
    if (ticket !== loadCount) return;
    Object.assign(download, { updates: Number(download.updates) + 1, loaded, total });
    size = total || loaded;
    showDownload({ loaded, total }, name);
  };
  let loaded;
  try {
    loaded = await qwasm.load(source, { worker: $('worker-toggle').checked, cache: $('cache-toggle').checked, onProgress });
  } catch (e) {
    if (ticket !== loadCount) return;
    modelLoading = false;
    showDownload(null);
    // Keep the previous model (if any) so the page stays usable.
    modelSelect.value = modelSource;
    showError(`Could not load model ${name}: ${e.message}`
      + (model ? ` (still using ${modelName})` : ''), 'model');
    return;
  }
  if (ticket !== loadCount) return loaded.dispose();
  modelLoading = false;
  camera?.loop?.stop();
  model?.dispose();
  model = loaded;
  lastSource = source;
  modelSource = typeof source === 'string' ? source : '';
  modelName = name;
  showDownload({ done: size }, name);
  $('model-placeholder').textContent = `(file) ${name}`;  // shown when modelSource is ''
  modelSelect.value = modelSource;
  const [, h, w] = model.inputShape;
  $('model-info').textContent = `${name}: ${w}×${h} input, ${model.labels?.length ?? 'no'} labels, `
    + `loaded in ${(performance.now() - t0).toFixed(0)} ms`
    + `${model.threads > 1 ? `, ${model.threads} threads` : ''}${$('worker-toggle').checked ? ', in a worker' : ''}.`;
  showSamples(sampleSet(model));
  $('profile-run').disabled = false;
  $('profile').hidden = true;  // it was another model's
  if (camera) startLive();
  else if (image) await classify();
  else setState('idle', 'Model ready. Choose an image.');
}

async function selectImage(blob, name) {
  if (camera) stopCamera();
  clearError('image');
  const preview = $('preview');
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.alt = `The image to classify: ${name}`;
  preview.hidden = false;
  $('preview-caption').textContent = name;
  image = { blob, name };
  if (model && !modelLoading) await classify();
  else if (app.dataset.state !== 'loading' && $('error').hidden) setState('idle', 'Image ready. Choose a model.');
}

/** Top 5, without ImageNet's "background" class (index 0 of 1001-class models). */
function classifyOptions(model) {
  return model.labels?.[0] === 'background' ? { topK: 5, exclude: [0] } : { topK: 5 };
}

async function classify() {
  const ticket = ++runCount;
  const current = { model, image, modelName };
  clearError();
  setState('classifying', `Classifying ${image.name} with ${modelName}…`);
  clearResults();
  await nextPaint();
  if (ticket !== runCount) return;
  const t0 = performance.now();
  let results;
  try {
    results = await current.model.classify(current.image.blob, classifyOptions(current.model));
  } catch (e) {
    if (ticket === runCount) showError(`Could not classify ${current.image.name}: ${e.message}`, 'image');
    return;
  }
  if (ticket !== runCount) return;
  const total = performance.now() - t0;
  showResults(results, current.modelName);
  const timing = $('timing');
  timing.dataset.inferenceMs = current.model.lastInferenceMs.toFixed(1);
  timing.dataset.totalMs = total.toFixed(1);
  timing.textContent = `Inference ${current.model.lastInferenceMs.toFixed(1)} ms · total ${total.toFixed(1)} ms `
    + '(decode, resize, inference)';
  setState('done', `Done: ${results[0].label}.`);
}

async function selectImageUrl(url) {
  let blob;
  try {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    blob = await r.blob();
  } catch (e) {
    showError(`Could not fetch image ${url}: ${e.message}`, 'image');
    return;
  }
  await selectImage(blob, baseName(url));
}

function handleFile(file) {
  if (!file) return;
  if (/\.(qwm|tflite|onnx)$/i.test(file.name)) selectModel(file, file.name);
  else selectImage(file, file.name);
}

// --- Camera: classifyVideo() on the camera's <video>, live. ---

async function startCamera() {
  clearError('camera');
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: 'environment', width: { ideal: 640 }, height: { ideal: 480 } }, audio: false,
    });
  } catch (e) {
    showError(`Could not start the camera: ${e.message}`, 'camera');
    return;
  }
  runCount++;  // an image classification under way is no longer wanted
  camera = { stream, loop: null };
  video.srcObject = stream;
  video.hidden = false;
  $('preview').hidden = true;
  $('preview-caption').textContent = 'Camera';
  $('camera-toggle').textContent = 'Stop camera';
  $('camera-toggle').dataset.on = 'true';
  await video.play();
  if (model) startLive();
  else setState('idle', 'Camera on. Choose a model.');
}

function startLive() {
  camera.loop?.stop();
  Object.assign(camera, { frames: 0, since: performance.now() });
  const current = { model, modelName };
  clearResults();
  setState('live', `Live: classifying the camera with ${modelName}.`);
  const loop = current.model.classifyVideo(video, (results, { inferenceMs }) => {
    camera.frames++;
    showResults(results, current.modelName);
    $('results').dataset.frames = camera.frames;
    const rate = (1000 * camera.frames) / (performance.now() - camera.since);
    $('timing').dataset.inferenceMs = inferenceMs.toFixed(1);
    $('timing').textContent = `Inference ${inferenceMs.toFixed(1)} ms · ${rate.toFixed(1)} frames/s classified · `
      + `${loop.dropped} dropped while busy`;
  }, { ...classifyOptions(current.model), onError: (e) => showError(`Live classification stopped: ${e.message}`, 'camera') });
  camera.loop = loop;
}

function stopCamera() {
  camera.loop?.stop();
  for (const track of camera.stream.getTracks()) track.stop();
  camera = null;
  video.srcObject = null;
  video.hidden = true;
  $('camera-toggle').textContent = 'Start camera';
  $('camera-toggle').dataset.on = 'false';
  $('preview').hidden = !image;
  $('preview-caption').textContent = image?.name ?? '';
  if (app.dataset.state === 'live') setState('idle', 'Camera stopped.');
}

// --- Profile: model.profile(runs), per node and by operator type. ---

async function runProfile() {
  const current = model;
  const box = $('profile');
  box.dataset.state = 'running';
  $('profile-run').disabled = true;
  $('profile-total').textContent = `Profiling ${PROFILE_RUNS} runs…`;
  box.hidden = false;
  await nextPaint();
  try {
    const nodes = await current.profile(PROFILE_RUNS);  // a promise in worker mode
    if (current === model) showProfile(nodes, PROFILE_RUNS);
    box.dataset.state = 'done';
  } catch (e) {
    $('profile-total').textContent = `Could not profile: ${e.message}`;
    box.dataset.state = 'error';
  } finally {
    $('profile-run').disabled = !model;
  }
}

// --- Setup ---

// Enables the sample models and images only when they are served (/shared/ may be absent).
async function probeSamples() {
  const exists = (url) => fetch(url, { method: 'HEAD' }).then((r) => r.ok, () => false);
  const options = [...modelSelect.options].filter((o) => o.value);
  const buttons = [...$('samples').querySelectorAll('[data-set="imagenet"] button')];
  const [modelsOk, imagesOk] = await Promise.all([
    Promise.all(options.map((o) => exists(o.value))),
    Promise.all(buttons.map((b) => exists(b.dataset.src))),
  ]);
  options.forEach((o, i) => { o.disabled = !modelsOk[i]; });
  modelSelect.closest('.row').hidden = !modelsOk.some(Boolean);
  buttons.forEach((b, i) => { b.hidden = !imagesOk[i]; });
  return modelsOk[0];
}

// The service worker (sw.js) makes the demo work offline after this visit.
async function registerServiceWorker() {
  const note = $('offline');
  if (!('serviceWorker' in navigator)) {
    note.textContent = 'Offline use: not available in this browser.';
    return;
  }
  let registration;
  try {
    // The package root as scope covers workers' requests too; it needs the
    // server's permission (Service-Worker-Allowed), else the demo folder.
    registration = await navigator.serviceWorker.register('sw.js', { scope: '../' })
      .catch(() => navigator.serviceWorker.register('sw.js'));
  } catch (e) {
    note.textContent = `Offline use: not available (${e.message}).`;
    return;
  }
  const worker = (await navigator.serviceWorker.ready).active;
  // What this page loaded before the service worker ran is stored now.
  const urls = [location.href, ...performance.getEntriesByType('resource').map((e) => e.name)]
    .filter((u) => u.startsWith(registration.scope));
  const channel = new MessageChannel();
  await new Promise((resolve) => {
    channel.port1.onmessage = resolve;
    worker.postMessage({ cache: urls }, [channel.port2]);
  });
  note.dataset.state = 'ready';
  note.textContent = 'Offline use: ready (this page works without a network now).';
}

function wireUp() {
  $('isolation').textContent = globalThis.crossOriginIsolated
    ? 'Cross-origin isolated: yes (SharedArrayBuffer and threads available).'
    : 'Cross-origin isolated: no (single-threaded only).';
  $('isolation').dataset.isolated = String(Boolean(globalThis.crossOriginIsolated));

  modelSelect.addEventListener('change', () => {
    if (modelSelect.value) selectModel(modelSelect.value, modelSelect.selectedOptions[0].textContent);
  });
  $('model-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';  // choosing the same file again fires 'change' again
    if (file) selectModel(file, file.name);
  });
  $('image-file').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) selectImage(file, file.name);
  });
  $('samples').addEventListener('click', (e) => {
    const src = e.target.closest('button')?.dataset.src;
    if (src) selectImageUrl(src);
  });
  $('worker-toggle').addEventListener('change', () => {
    if (lastSource) selectModel(lastSource, modelName);
  });
  const cacheToggle = $('cache-toggle');
  cacheToggle.checked = localStorage.getItem('qwasm-demo-cache') !== 'off';
  cacheToggle.addEventListener('change', () => localStorage.setItem('qwasm-demo-cache', cacheToggle.checked ? 'on' : 'off'));
  // clearCache() arrives with the library's model cache; until then there is nothing to clear.
  $('clear-cache').hidden = typeof qwasm.clearCache !== 'function';
  $('clear-cache').addEventListener('click', async () => {
    try {
      await qwasm.clearCache();
      $('model-info').textContent = 'Model cache cleared.';
    } catch (e) {
      showError(`Could not clear the model cache: ${e.message}`, 'model');
    }
  });
  if (navigator.mediaDevices?.getUserMedia) {
    $('camera-toggle').addEventListener('click', () => (camera ? stopCamera() : startCamera()));
  } else {
    $('camera-toggle').disabled = true;
    $('camera-note').textContent = 'No camera access here (it needs HTTPS or localhost).';
  }
  $('profile-run').addEventListener('click', runProfile);

  const zone = $('drop-zone');
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    handleFile(e.dataTransfer.files[0]);
  });
}

async function main() {
  wireUp();
  const params = new URLSearchParams(location.search);
  const modelUrl = params.get('model');
  const imageUrl = params.get('image');
  const defaultAvailable = await probeSamples();
  showSamples(modelUrl ? null : 'fashion');

  if (modelUrl) {
    if (![...modelSelect.options].some((o) => o.value === modelUrl)) {
      modelSelect.add(new Option(baseName(modelUrl), modelUrl));
    }
    await selectModel(modelUrl, baseName(modelUrl));
  } else if (defaultAvailable) {
    await selectModel(modelSelect.value, modelSelect.selectedOptions[0].textContent);
  } else {
    modelSelect.value = '';
    setState('idle', 'Choose a model file (.qwm, .tflite or .onnx).');
  }
  if (imageUrl) await selectImageUrl(imageUrl);
  await registerServiceWorker();
}

main();
