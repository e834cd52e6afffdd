// browser.mjs — starts the static server and Debian's Chromium (headless,
// through playwright-core) for browser tests and benchmarks. Never downloads
// a browser: QWASM_CHROMIUM or /usr/bin/chromium is used.
import { chromium } from 'playwright-core';
import { startServer } from '../../tools/serve.mjs';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A fake camera (a moving test pattern) that getUserMedia gets without asking. */
export const FAKE_CAMERA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

/**
 * @param {{isolation?: boolean, args?: string[], root?: string, shared?: string}} [options] isolation: serve
 *   COOP/COEP headers; args: more Chromium switches (e.g. FAKE_CAMERA_ARGS);
 *   root, shared: what the server serves at / and /shared/ (tools/serve.mjs;
 *   default: this repository and ../shared)
 * @returns {Promise<{browser, server, url: string, newPage: () => Promise<any>, close: () => Promise<void>}>}
 */
export async function startBrowser({ isolation = true, args = [], root, shared } = {}) {
  const server = await startServer({ isolation, root, shared });
  const browser = await chromium.launch({
    executablePath: process.env.QWASM_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...args],
  });
  const newPage = async () => {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    return page;
  };
  const close = async () => {
    await browser.close().catch(() => {});
    await server.close();
  };
  return { browser, server, url: server.url, newPage, close };
}

/**
 * A new page on an empty same-origin document (nothing of the demo loaded),
 * cross-origin isolated or not.
 */
export async function blankPage(env, { isolation = true } = {}) {
  const page = await env.newPage();
  await page.route(`${env.url}/__blank`, (route) => route.fulfill({
    contentType: 'text/html',
    headers: isolation ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {},
    body: '<!doctype html><title>blank</title>',
  }));
  await page.goto(`${env.url}/__blank`);
  return page;
}
