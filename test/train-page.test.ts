// train on a page's main thread, in headless Debian Chromium: while it trains, the page renders
// (an animation frame shows what a train callback wrote into the page) and its other tasks run (a
// message and a timer queued before train run before it resolves). Shown by what runs, never by a
// clock: training ends only once all three have happened, so a train that never yielded, or one
// that yielded with scheduler.yield (whose continuation runs ahead of queued tasks: the message
// waits), would run all 200,000 steps and fail. How long the page's tasks are is a measurement:
// bench/demo-longtask.ts reports it. The bundle is built in memory and served through a route
// (http://localhost/, no server). No Chromium: skipped (printed, counted), a failure under
// FLUXION_REQUIRE_GPU=1, as the other browser suites.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { launchChromium, CHROMIUM } from './_helpers/chromium.js';
import { testNeedingGpu } from './_helpers/skip.js';
import { ROOT } from './browser/harness.js';

const T = suite('train on a page (chromium)');
const missing = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (sudo bash .ci/install-gpu.sh installs it)`;

interface PageRun { stopped: boolean; steps: number; shownStep: number; message: boolean; timer: boolean }

testNeedingGpu(T, 'a page training on its main thread renders a callback\'s update and runs queued tasks before train resolves', missing, async () => {
  const launched = await launchChromium();
  if ('error' in launched) return assert.unreachable(launched.error);
  const browser = launched.browser;
  try {
    const out = await build({
      entryPoints: [join(ROOT, 'src/index.ts')], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022',
      write: false, loader: { '.wasm': 'binary', '.wgsl': 'text' }, external: ['webgpu', 'node:*'], logLevel: 'warning',
    });
    const bundle = out.outputFiles[0].text;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('http://localhost/**', (r) => {
      const path = new URL(r.request().url()).pathname;
      if (path === '/fluxion.js') return r.fulfill({ body: bundle, contentType: 'text/javascript' });
      if (path === '/') return r.fulfill({ body: '<!doctype html><title>train</title><div id="out"></div>', contentType: 'text/html' });
      return r.fulfill({ status: 404, body: '' });
    });
    // tsx keeps function names by wrapping them in __name(); the evaluated code brings the calls.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.goto('http://localhost/');
    const r: PageRun = await page.evaluate(async () => {
      const fx: typeof import('../src/index.ts') = await import('/fluxion.js' as string);
      await fx.init({ gpu: false });
      fx.seed(1);
      const m = fx.Chain(fx.Dense(4, 8, fx.sigmoid), fx.Dense(8, 2));
      const x = fx.rand(4, 3).keep(), y = fx.rand(2, 3).keep();
      await fx.train((x: any, y: any) => fx.mse(m(x), y), m, fx.repeated([x, y], 200), fx.Descent(0.01));   // warm: steps as fast as they get
      const el = document.getElementById('out')!;
      // A frame that finds a step number in the page: the callback's update reached rendering.
      let shownStep = 0, k = 0, message = false, timer = false;
      const frame = () => { if (el.textContent) shownStep = Number(el.textContent); else requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { message = true; ch.port1.close(); };
      ch.port2.postMessage(0);
      setTimeout(() => { timer = true; }, 0);
      const s = await fx.train((x: any, y: any) => fx.mse(m(x), y), m, fx.repeated([x, y], 200_000), fx.Descent(0.01), {
        cb: () => { el.textContent = String(++k); if (shownStep > 0 && message && timer) fx.stop(); },
      });
      const seen = { message, timer };
      x.dispose(); y.dispose();
      return { stopped: s.stopped, steps: s.steps, shownStep, ...seen };
    });
    console.log(`  train on a page: stopped after ${r.steps} steps; a frame showed step ${r.shownStep}`);
    assert.equal(errors, []);
    assert.ok(r.stopped && r.steps < 200_000, `training ended because a frame, the message and the timer got in (${r.steps} steps)`);
    assert.ok(r.shownStep >= 1 && r.shownStep <= r.steps, `a frame showed step ${r.shownStep}`);
    assert.ok(r.message && r.timer, 'the message and the timer ran before train resolved');
  } finally {
    await browser.close().catch(() => {});
  }
});

T.run();
