// main.js — the qwasm demo page. Uses only the public API (web/index.js).
//
// Query parameters: ?model=<url>&image=<url> load both and classify at once.
// Test hooks: #app[data-state] is idle | loading | classifying | done | error;
// each result is #results li[data-index][data-score] (#results[data-model]
// names the model that produced them); #timing carries
// data-inference-ms and data-total-ms.
import { load } from '../web/index.js';

const $ = (id) => document.getElementById(id);
const app = $('app');
const modelSelect = $('model-select');

let model = null;       // the loaded Model
let modelName = '';
let modelSource = '';   // its URL, or '' for a file
let image = null;       // {blob, name}: the image on show
let loadCount = 0;      // the latest model load wins; earlier ones are dropped
let runCount = 0;       // likewise for classifications

function setState(state, message) {
  app.dataset.state = state;
  $('status').textContent = message;
}

// kind is 'model' or 'image': choosing a new image clears only image errors.
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

async function selectModel(source, name) {
  const ticket = ++loadCount;
  clearError('model');
  setState('loading', `Loading model ${name}…`);
  const t0 = performance.now();
  let loaded;
  try {
    loaded = await load(source);
  } catch (e) {
    if (ticket !== loadCount) return;
    // Keep the previous model (if any) so the page stays usable.
    modelSelect.value = modelSource;
    showError(`Could not load model ${name}: ${e.message}`
      + (model ? ` (still using ${modelName})` : ''), 'model');
    return;
  }
  if (ticket !== loadCount) return loaded.dispose();
  model?.dispose();
  model = loaded;
  modelSource = typeof source === 'string' ? source : '';
  modelName = name;
  $('model-placeholder').textContent = `(file) ${name}`;  // shown when modelSource is ''
  modelSelect.value = modelSource;
  const [, h, w] = model.inputShape;
  $('model-info').textContent = `${name}: ${w}×${h} input, ${model.labels?.length ?? 'no'} labels, `
    + `loaded in ${(performance.now() - t0).toFixed(0)} ms.`;
  if (image) await classify();
  else setState('idle', 'Model ready. Choose an image.');
}

async function selectImage(blob, name) {
  clearError('image');
  const preview = $('preview');
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(blob);
  preview.alt = `The image to classify: ${name}`;
  preview.hidden = false;
  $('preview-caption').textContent = name;
  image = { blob, name };
  if (model) await classify();
  else if (app.dataset.state !== 'loading' && $('error').hidden) setState('idle', 'Image ready. Choose a model.');
}

async function classify() {
  const ticket = ++runCount;
  const current = { model, image, modelName };
  clearError();
  setState('classifying', `Classifying ${image.name} with ${modelName}…`);
  $('results').replaceChildren();
  $('timing').textContent = '';
  await nextPaint();
  if (ticket !== runCount) return;
  const t0 = performance.now();
  let results;
  try {
    results = await current.model.classify(current.image.blob, { topK: 5 });
  } catch (e) {
    if (ticket === runCount) showError(`Could not classify ${current.image.name}: ${e.message}`, 'image');
    return;
  }
  if (ticket !== runCount) return;
  const total = performance.now() - t0;
  $('results').replaceChildren(...results.map(resultItem));
  $('results').dataset.model = current.modelName;
  const timing = $('timing');
  timing.dataset.inferenceMs = current.model.lastInferenceMs.toFixed(1);
  timing.dataset.totalMs = total.toFixed(1);
  timing.textContent = `Inference ${current.model.lastInferenceMs.toFixed(1)} ms · total ${total.toFixed(1)} ms `
    + '(decode, resize, inference)';
  setState('done', `Done: ${results[0].label}.`);
}

function resultItem({ index, label, score }) {
  const li = document.createElement('li');
  li.dataset.index = index;
  li.dataset.score = score;
  const pct = `${(score * 100).toFixed(1)}%`;
  const name = Object.assign(document.createElement('span'), { className: 'label', textContent: label });
  const value = Object.assign(document.createElement('span'), { className: 'score', textContent: pct });
  const bar = Object.assign(document.createElement('span'), { className: 'bar' });
  bar.setAttribute('aria-hidden', 'true');
  bar.style.setProperty('--score', score);
  name.title = `class ${index}`;
  li.append(name, value, bar);
  return li;
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

// Enables the sample models and images only when /shared/ is served.
async function probeSamples() {
  const exists = (url) => fetch(url, { method: 'HEAD' }).then((r) => r.ok, () => false);
  const options = [...modelSelect.options].filter((o) => o.value);
  const buttons = [...$('samples').querySelectorAll('button')];
  const [modelsOk, imagesOk] = await Promise.all([
    Promise.all(options.map((o) => exists(o.value))),
    Promise.all(buttons.map((b) => exists(b.dataset.src))),
  ]);
  options.forEach((o, i) => { o.disabled = !modelsOk[i]; });
  modelSelect.closest('.row').hidden = !modelsOk.some(Boolean);
  buttons.forEach((b, i) => { b.hidden = !imagesOk[i]; });
  $('samples').hidden = !imagesOk.some(Boolean);
  return modelsOk[0];
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
}

main();
