// progress.js — one load() progress from several downloads (the model file
// and, on a first load, the .wasm), keeping the contract of
// LoadOptions.onProgress: `loaded` strictly increases, `total` is the sum of
// the known sizes (null while one is unknown), and only the last call —
// made by finish(), once everything has arrived — has loaded === total.

/**
 * @param onProgress {(loaded: number, total: number | null) => void | undefined}
 * @returns {{part: () => ((loaded: number, total: number | null) => void) | undefined, finish: () => void}}
 */
export function sumProgress(onProgress) {
  if (!onProgress) return { part: () => undefined, finish: () => {} };
  const parts = [];
  let last = 0;
  const report = (final) => {
    const active = parts.filter((p) => p.active);  // a download that never started is not waited for
    const loaded = active.reduce((sum, p) => sum + p.loaded, 0);
    const total = active.every((p) => p.total != null) ? active.reduce((sum, p) => sum + p.total, 0) : null;
    if (final) {
      if (active.length) onProgress(loaded, loaded);
      return;
    }
    if (loaded <= last || loaded === total) return;  // not an increase, or what only finish() may say
    last = loaded;
    onProgress(loaded, total);
  };
  return {
    part() {
      const p = { loaded: 0, total: null, active: false };
      parts.push(p);
      return (loaded, total) => {
        p.active = true;
        p.loaded = loaded;
        p.total = total;
        report(false);
      };
    },
    finish: () => report(true),
  };
}
