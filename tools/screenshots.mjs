#!/usr/bin/env node
// screenshots.mjs — the demo's screenshots in docs/ (README shows them):
//   docs/demo-desktop.png  1024 px wide, down to the results: MobileNet v2
//                          on the cat photo;
//   docs/demo-mobile.png   a 390 x 844 phone screen scrolled to the image
//                          and results: MobileNet v1 0.25 on the parrot.
// Without ../shared, both show the default model on one of its samples.
//
//   node tools/screenshots.mjs
//
// Debian's Chromium through playwright-core (tests/e2e/browser.mjs), light
// colour scheme, 1x pixels, so that the PNGs stay under 200 kB (photos
// cost most: one each).
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startBrowser } from '../tests/e2e/browser.mjs';

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));
const HAVE_SHARED = existsSync(fileURLToPath(new URL('../../shared/models/', import.meta.url)));
const MAX_BYTES = 200_000;

const env = await startBrowser();
try {
  const shot = async (file, viewport, { model, image }, frame) => {
    const page = await env.browser.newPage({ viewport, colorScheme: 'light', deviceScaleFactor: 1 });
    await page.goto(`${env.url}/demo/`);
    await page.waitForSelector('#app[data-state="idle"]');
    if (HAVE_SHARED) {
      await page.selectOption('#model-select', model);
      await page.waitForFunction(() => !/28×28/.test(document.getElementById('model-info').textContent)
        && document.getElementById('app').dataset.state === 'idle');
    }
    await page.getByRole('button', { name: HAVE_SHARED ? image : 'Ankle boot', exact: true }).click();
    await page.waitForSelector('#app[data-state="done"]');
    await page.waitForSelector('#offline[data-state="ready"]');
    await page.mouse.move(0, 0);  // no hover or focus ring in the picture
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: `${DOCS}${file}`, ...await frame(page) });
    await page.close();
    const { size } = await stat(`${DOCS}${file}`);
    console.log(`docs/${file}: ${(size / 1000).toFixed(0)} kB`);
    if (size > MAX_BYTES) throw new Error(`docs/${file} is larger than ${MAX_BYTES / 1000} kB`);
  };
  const sectionEnd = (page, id) => page.$eval(id, (e) => e.closest('section').getBoundingClientRect().bottom + scrollY);

  await shot('demo-desktop.png', { width: 1024, height: 800 },
    { model: '/shared/models/mobilenet_v2_1.0_224_quant.tflite', image: 'cat' },
    async (page) => ({ fullPage: true, clip: { x: 0, y: 0, width: 1024, height: Math.ceil(await sectionEnd(page, '#result-heading')) + 16 } }));
  await shot('demo-mobile.png', { width: 390, height: 844 },
    { model: '/shared/models/mobilenet_v1_0.25_128_quant.tflite', image: 'parrot' },
    async (page) => {
      await page.$eval('#image-heading', (e) => e.closest('section').scrollIntoView());
      return {};
    });
} finally {
  await env.close();
}
