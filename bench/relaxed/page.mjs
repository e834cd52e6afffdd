// page.mjs — runs bench/relaxed/run.mjs's measure() in headless Chromium on
// build/relaxed/relaxed-bench.wasm (bash bench/relaxed/build.sh first).
//   node bench/relaxed/page.mjs
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const root = new URL('../../', import.meta.url);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  // measure() is self-contained: its source goes to the page as text.
  const src = readFileSync(new URL('bench/relaxed/run.mjs', root), 'utf8')
    .replace(/^export /m, '').replace(/\nif \(typeof process[\s\S]*$/, '');
  const bytes = [...readFileSync(new URL('build/relaxed/relaxed-bench.wasm', root))];
  const result = await page.evaluate(async ([src, bytes]) => {
    const measure = new Function(`${src}; return measure;`)();
    return measure(new Uint8Array(bytes), () => performance.now());
  }, [src, bytes]);
  console.log(JSON.stringify({ chromium: browser.version(), ...result }, null, 1));
} finally {
  await browser.close();
}
