// view.js — the demo's rendering: result lists, the download bar, the
// profile view. No state of its own; main.js decides what to show.

const $ = (id) => document.getElementById(id);

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

/** A bar as wide as `fraction` of its row (decorative: the number is in the text). */
function bar(fraction) {
  const span = el('span', { className: 'bar' });
  span.setAttribute('aria-hidden', 'true');
  span.style.setProperty('--fraction', fraction);
  return span;
}

/** The top-k list. Scores are shown as they come (probabilities: 0–100%). */
export function showResults(results, modelName) {
  const items = results.map(({ index, label, score }) => {
    const name = el('span', { className: 'label', textContent: label, title: `class ${index}` });
    const li = el('li', {}, name, el('span', { className: 'score', textContent: `${(score * 100).toFixed(1)}%` }), bar(score));
    li.dataset.index = index;
    li.dataset.score = score;
    return li;
  });
  $('results').replaceChildren(...items);
  $('results').dataset.model = modelName;
}

export function clearResults() {
  $('results').replaceChildren();
  $('timing').textContent = '';
}

const megabytes = (bytes) => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB`;

/**
 * The download bar: null hides it; {loaded, total} shows progress (total 0
 * or unknown: indeterminate); {done: bytes} shows it full.
 */
export function showDownload(state, name) {
  const box = $('download');
  const progress = $('progress');
  const label = $('progress-label');
  box.hidden = state == null;
  if (state == null) return;
  if (state.done != null) {
    progress.max = 1;
    progress.value = 1;
    label.textContent = `Loaded ${name}${state.done ? ` (${megabytes(state.done)})` : ''}`;
  } else if (state.total > 0) {
    progress.max = state.total;
    progress.value = Math.min(state.loaded, state.total);
    label.textContent = `Downloading ${name}: ${megabytes(state.loaded)} of ${megabytes(state.total)} `
      + `(${Math.round((100 * state.loaded) / state.total)}%)`;
  } else {
    progress.removeAttribute('value');  // indeterminate
    label.textContent = state.loaded ? `Downloading ${name}: ${megabytes(state.loaded)}` : `Loading ${name}…`;
  }
  box.dataset.percent = progress.position >= 0 ? Math.round(progress.position * 100) : '';
}

/** The profile: time by operator type as bars, and every node in a table. */
export function showProfile(nodes, runs) {
  const total = nodes.reduce((s, n) => s + n.ms, 0);
  const byOp = new Map();
  for (const { op, ms } of nodes) byOp.set(op, (byOp.get(op) ?? 0) + ms);
  const ops = [...byOp].sort((a, b) => b[1] - a[1]);
  const max = ops[0]?.[1] || 1;
  $('profile-total').textContent = `${total.toFixed(2)} ms per inference over ${nodes.length} nodes `
    + `(mean of ${runs} runs).`;
  $('profile-ops').replaceChildren(...ops.map(([op, ms]) => el('li', {},
    el('span', { className: 'label', textContent: op }),
    el('span', { className: 'score', textContent: `${ms.toFixed(2)} ms · ${((100 * ms) / (total || 1)).toFixed(0)}%` }),
    bar(ms / max))));
  $('profile-nodes-summary').textContent = `Every node (${nodes.length})`;
  $('profile-table').tBodies[0].replaceChildren(...nodes.map((n, i) => el('tr', {},
    el('td', { textContent: i + 1 }), el('td', { textContent: n.op }),
    el('td', { textContent: n.output, className: 'output' }), el('td', { textContent: n.ms.toFixed(3) }))));
  $('profile').hidden = false;
}
