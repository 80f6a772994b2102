// The WebGPU suite in a real browser: headless Debian Chromium (WebGPU on SwiftShader) loads the
// built fluxion in a page and in a module Web Worker, checks every kernel against the float64
// reference and trains the same MLP with setPolicy('cpu') and setPolicy('gpu').
// No Chromium or no adapter in it (asked before the test is registered): the test is skipped,
// printed and counted as skipped, and fails under FLUXION_REQUIRE_GPU=1. Leaves a screenshot of
// the results page in test-artifacts/browser-gpu.png.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, chromiumWebGPUMissing, CHROMIUM_ARGS } from './_helpers/chromium.js';
import { testNeedingGpu } from './_helpers/skip.js';
import { within } from './_helpers/wait.js';
import { buildBundles, serve, removeBundles, ROOT, type Bundles, type StaticServer } from './browser/harness.js';
import type { SuiteResult } from './browser/gpu-suite.js';

const TIMEOUT_MS = 300_000;
const SCREENSHOT = join(ROOT, 'test-artifacts/browser-gpu.png');
const T = suite('webgpu (chromium)');

function summary(r: SuiteResult): string {
  if (r.skipped) return `  ${r.where}: skipped (${r.skipped})`;
  const k = r.kernels, t = r.training;
  return `  ${r.where}: ${r.adapter}; ${k ? `${k.cases} kernel cases in ${k.groups.length} groups, ${k.failed} failed, ${k.ms} ms` : 'kernels did not run'}`
    + (t ? `; training ${t.steps} steps cpu ${t.cpu[t.steps - 1].toFixed(6)} gpu ${t.gpu[t.steps - 1].toFixed(6)} max rel ${t.maxRel.toExponential(2)}` : '')
    + `; ${r.ms} ms`;
}

testNeedingGpu(T, 'page and module worker: every kernel vs the reference, training cpu vs gpu', await chromiumWebGPUMissing(), async () => {
  const t0 = Date.now();
  let bundles: Bundles | null = null, server: StaticServer | null = null, browser: Browser | null = null;
  try {
    const launched = await launchChromium();
    if ('error' in launched) return assert.unreachable(`Chromium launched for the WebGPU probe but not now: ${launched.error}`);
    browser = launched.browser;
    bundles = await buildBundles();
    server = await serve(bundles);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
    await page.goto(`${server.url}/`);

    // The page settles __fluxionDone when the suite ends, or at once when it cannot start.
    const state: { done?: boolean; page?: SuiteResult; worker?: SuiteResult; error?: string } =
      await within(page.evaluate(() => (globalThis as any).__fluxionDone), () => `the browser suite\n${problems.join('\n')}`, TIMEOUT_MS);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    if (state.error || !state.page || !state.worker)
      return assert.unreachable(`the page failed: ${state.error ?? 'no result'}\n${problems.join('\n')}`);

    const { page: p, worker: w } = state as { page: SuiteResult; worker: SuiteResult };
    if (p.skipped && w.skipped) return assert.unreachable(`the probe found a WebGPU adapter in Chromium ${browser.version()}, the suite did not: ${p.skipped}`);
    console.log(`webgpu (chromium ${browser.version()}; ${CHROMIUM_ARGS.slice(0, 2).join(' ')}; fluxion from ${bundles.fluxionSource}; bundles ${bundles.ms} ms)`);
    console.log(summary(p));
    console.log(summary(w));
    const failures = [...p.failures.map((f) => `page: ${f}`), ...w.failures.map((f) => `worker: ${f}`)];
    if (p.skipped) failures.push(`page skipped but the worker did not: ${p.skipped}`);
    if (w.skipped) failures.push(`worker skipped but the page did not: ${w.skipped}`);
    for (const r of [p, w]) if (!r.skipped && (!r.kernels || !r.training)) failures.push(`${r.where}: the suite did not complete`);
    assert.ok(failures.length === 0, `${failures.length} failure(s):\n${failures.slice(0, 40).join('\n')}${failures.length > 40 ? `\n… ${failures.length - 40} more` : ''}`);
    console.log(`  screenshot: test-artifacts/browser-gpu.png; ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
    removeBundles(bundles);
  }
});

T.run();
