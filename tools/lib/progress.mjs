// progress.mjs — one-line progress bar on stderr for long jobs (eval,
// quantize): count, percent, rate, time left. Redraws at most 10 times a
// second; on a non-TTY stderr prints a line every 10%.

export class Progress {
  /** @param {string} label @param {number} total @param {number} [start] when the work began
   * (a stage created at its first tick passes the previous stage's `last`, so that tick's rate is true) */
  constructor(label, total, start = performance.now()) {
    this.label = label;
    this.total = total;
    this.done = 0;
    this.start = start;
    this.last = start;  // time of the latest tick
    this.lastDraw = 0;
    this.lastDecile = -1;
    this.tty = Boolean(process.stderr.isTTY);
  }

  /** @param {number} n items finished since the last call @param {string} [note] */
  tick(n = 1, note = '') {
    this.done += n;
    const now = performance.now();
    this.last = now;
    if (this.tty) {
      if (now - this.lastDraw < 100 && this.done < this.total) return;
      this.lastDraw = now;
      process.stderr.write(`\r${this.line(now, note)}\x1b[K`);
    } else {
      const decile = Math.floor((10 * this.done) / Math.max(1, this.total));
      if (decile === this.lastDecile && this.done < this.total) return;
      this.lastDecile = decile;
      process.stderr.write(`${this.line(now, note)}\n`);
    }
  }

  line(now, note) {
    const frac = this.total ? this.done / this.total : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    const left = rate > 0 ? (this.total - this.done) / rate : 0;
    return `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} ` +
      `${(100 * frac).toFixed(0)}% ${rate.toFixed(1)}/s ${this.done < this.total ? `${left.toFixed(0)} s left` : `${secs.toFixed(1)} s`}` +
      (note ? ` ${note}` : '');
  }

  finish() {
    if (this.tty) process.stderr.write('\n');
  }
}
