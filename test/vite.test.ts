// A Vite app uses the built bundle with no configuration: test/fixtures/vite-app (index.html,
// main.js, worker.js, importing 'fluxion') is copied to a temp dir where node_modules/fluxion is
// the package as npm would install it (package.json + dist/fluxion.js), and built with Vite's API
// (no config file, offline, from this repo's node_modules). Then the built app runs in headless
// Chromium from 127.0.0.1: it trains a toy model on the main thread and in a module worker
// (TrainingWorker + serveTraining), and both must learn. No Chromium: the build is still checked,
// the run is a skip (printed, counted as skipped; a failure with FLUXION_REQUIRE_GPU=1, where CI
// installs Chromium for WebGPU).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundles, removeBundles, ROOT, type Bundles } from './browser/harness.js';
import { launchChromium, CHROMIUM } from './_helpers/chromium.js';
import { testNeedingGpu } from './_helpers/skip.js';
import { within } from './_helpers/wait.js';
import { serveDir } from '../scripts/demo.mjs';

const app = mkdtempSync(join(tmpdir(), 'fluxion-vite-'));
let built = false, viteVersion = '';
test.after(() => rmSync(app, { recursive: true, force: true }));

test('vite build of an app importing fluxion, with no config: the app and its worker bundled, the kernels embedded', async () => {
  const t0 = Date.now();
  let bundles: Bundles | null = null;
  try {
    bundles = await buildBundles();
    cpSync(join(ROOT, 'test/fixtures/vite-app'), app, { recursive: true });
    const pkg = join(app, 'node_modules/fluxion');
    mkdirSync(join(pkg, 'dist'), { recursive: true });
    const meta = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'fluxion', version: meta.version, type: 'module', main: meta.main, exports: meta.exports, sideEffects: false }));
    cpSync(join(bundles.fluxionDir, 'fluxion.js'), join(pkg, 'dist/fluxion.js'));

    const vite = await import('vite');
    const warnings: string[] = [];
    const logger = vite.createLogger('warn');
    const warn = logger.warn;
    logger.warn = (msg, o) => { warnings.push(msg); warn(msg, o); };
    await vite.build({ root: app, configFile: false, logLevel: 'warn', customLogger: logger, build: { outDir: join(app, 'out'), emptyOutDir: true } });
    const assets = readdirSync(join(app, 'out/assets'));
    const js = assets.filter((f) => f.endsWith('.js'));
    assert.ok(js.length >= 2, `the app and its worker are bundled: ${assets.join(', ')}`);
    assert.ok(!assets.some((f) => f.endsWith('.wasm')), 'no separate .wasm to fetch: the kernels are embedded');
    built = true; viteVersion = vite.version;
    console.log(`  vite ${vite.version}: built with no config in ${Date.now() - t0} ms (${js.length} scripts${warnings.length ? `, ${warnings.length} warning(s)` : ', no warnings'})`);
  } finally {
    removeBundles(bundles);
  }
});

testNeedingGpu(test, 'the built app in Chromium: trains on the page and in a module worker', existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`, async () => {
  assert.ok(built, 'the build above failed');
  let server: Awaited<ReturnType<typeof serveDir>> | null = null;
  let browser: import('playwright-core').Browser | null = null;
  try {
    const launched = await launchChromium();
    if ('error' in launched) return assert.unreachable(launched.error);
    browser = launched.browser;
    server = await serveDir(join(app, 'out'));
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
    await page.goto(`${server.url}/`);
    // main.js settles __viteDone when it has finished (or failed); module scripts ran before 'load'.
    const s: any = await within(page.evaluate(() => (globalThis as any).__viteDone), () => `the app\n${problems.join('\n')}`);
    assert.ok(s?.done, `the app did not finish\n${problems.join('\n')}`);
    assert.ok(!s.error, `the app failed: ${s.error}\n${problems.join('\n')}`);
    assert.ok(s.page.after < s.page.before / 4 && s.page.after < 0.05, `main thread: loss ${s.page.before} → ${s.page.after}`);
    assert.is(s.worker.steps, 300);
    assert.ok(s.worker.reports >= 3, `${s.worker.reports} progress reports`);
    assert.ok(s.worker.after < 0.05, `worker: final loss ${s.worker.after}`);
    const pred = s.worker.pred.map((p: number) => (p > 0.5 ? 1 : 0));
    assert.equal(pred, [0, 1, 1, 0], `XOR learned in the worker: ${s.worker.pred}`);
    assert.equal(problems, []);
    console.log(`  vite ${viteVersion} app in Chromium: page loss ${s.page.before.toFixed(3)} → ${s.page.after.toFixed(4)}, ` +
      `worker ${s.worker.steps} steps → ${s.worker.after.toFixed(4)}`);
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
  }
});

test.run();
