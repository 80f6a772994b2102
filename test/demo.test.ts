// The demo page (examples/web/, built by scripts/demo.mjs) in headless Debian Chromium (WebGPU on
// SwiftShader), served from 127.0.0.1. The page loads the fluxion bundle with <script type=module>,
// trains the seed model in a module Web Worker for a bounded number of steps, and the test checks:
// the chart has data, held-out accuracy rises above chance (in the worker, and with the weights
// loaded into the page's own model), a digit drawn with the mouse gets a prediction, and the main
// thread never blocks for more than 50 ms while the worker trains (PerformanceObserver 'longtask',
// plus a 10 ms timer probe for the largest event-loop delay). Then the same page trains in the worker
// with the 'gpu' policy (every op of a traced step on WebGPU) and the 'cpu' policy (all on Wasm).
// Screenshots: test-artifacts/demo.png (after the first run), demo-gpu.png, demo-cpu.png.
// No Chromium: a printed skip; no WebGPU adapter: the gpu run is a printed skip. Both fail with
// FLUXION_REQUIRE_GPU=1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './_helpers/chromium.js';
import { ROOT } from './browser/harness.js';
import { buildDemo, serveDir } from '../scripts/demo.mjs';

const REQUIRE = process.env.FLUXION_REQUIRE_GPU === '1';
const STEPS = 150, RUN_TIMEOUT_MS = 100_000;
const QUERY = `?steps=${STEPS}&ntrain=4000&ntest=500&evalEvery=25&epochs=2&batch=32&opt=adam`;
const ART = join(ROOT, 'test-artifacts');
const T = suite('demo page (chromium)');

function skip(what: string, reason: string) {
  if (REQUIRE) assert.unreachable(`${what}: ${reason} and FLUXION_REQUIRE_GPU=1`);
  console.log(`  ${what}: skipped (${reason})`);
}

interface Run {
  config: { policy: string; maxSteps?: number }; reports: number; evals: { loss: number; accuracy: number }[];
  placement?: { policy: string; summary: Record<string, { ops: number; ms: number; transferBytes: number }>; ops: { op: string; device: string }[] };
  result?: { steps: number; samples: number; cancelled: boolean; eval?: { loss: number; accuracy: number }; ms: number; policy: string; weightBytes: number };
  error?: string;
}

/**
 * Clicks Train and waits for the run to end; returns it with the wall time and, for the window of
 * the run, the longest main-thread task seen by the 'longtask' observer (0: none over 50 ms) and
 * the largest delay of the 10 ms timer probe.
 */
async function trainOnce(page: Page, problems: string[]): Promise<{ run: Run; wallMs: number; longMs: number; lagMs: number; long: unknown[] }> {
  const n = await page.evaluate(() => (globalThis as any).__demo.runs.length);
  const win0 = await page.evaluate(() => { (globalThis as any).__lag.max = 0; return performance.now(); });
  const t0 = Date.now();
  await page.click('#train');
  const deadline = t0 + RUN_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const s = await page.evaluate((k) => { const d = (globalThis as any).__demo; return { training: d.training, run: d.runs[k] }; }, n);
    if (s.run && !s.training && (s.run.result || s.run.error)) {
      const w = await page.evaluate((a) => {
        const g = globalThis as any, b = performance.now();
        return { tasks: g.__longtasks.filter((t: any) => t.start + t.ms >= a && t.start <= b), lag: g.__lag.max };
      }, win0);
      const longMs = w.tasks.reduce((m: number, t: any) => Math.max(m, t.ms), 0);
      return { run: s.run, wallMs: Date.now() - t0, longMs, lagMs: w.lag, long: w.tasks };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return assert.unreachable(`no result within ${RUN_TIMEOUT_MS} ms\n${problems.join('\n')}`) as never;
}

const fmtLong = (r: { longMs: number; lagMs: number }) =>
  `main thread: longest task ${r.longMs ? `${r.longMs.toFixed(0)} ms` : 'none over 50 ms'} (longtask observer), largest 10 ms-timer delay ${r.lagMs.toFixed(0)} ms`;
function checkLong(r: { longMs: number; long: unknown[] }, label: string) {
  assert.ok(r.longMs <= 50, `${label}: the main thread blocked for ${r.longMs.toFixed(0)} ms during training: ${JSON.stringify(r.long)}`);
}

function checkRun(run: Run, label: string): number {
  assert.ok(!run.error, `${label}: ${run.error}`);
  const r = run.result!;
  assert.is(r.steps, STEPS, `${label}: bounded to ${STEPS} steps`);
  assert.is(r.cancelled, false);
  assert.ok(run.reports >= 3, `${label}: ${run.reports} progress reports`);
  assert.ok(run.evals.length >= STEPS / 25, `${label}: ${run.evals.length} held-out evaluations`);
  const acc = r.eval!.accuracy;
  assert.ok(acc > 0.3, `${label}: held-out accuracy ${(acc * 100).toFixed(1)}% is not above chance (10%) by enough`);
  assert.ok(run.evals[run.evals.length - 1].loss < run.evals[0].loss, `${label}: held-out loss falls`);
  return acc;
}

T('demo: trains in a worker without blocking the page, chart and accuracy, drawn digit; then gpu and cpu policies', async () => {
  const t0 = Date.now();
  const out = mkdtempSync(join(tmpdir(), 'fluxion-demo-'));
  let browser: Browser | null = null, server: Awaited<ReturnType<typeof serveDir>> | null = null;
  try {
    const launched = await launchChromium();
    if ('error' in launched) return skip('demo (chromium)', launched.error);
    browser = launched.browser;
    const buildMs = await buildDemo(out);
    server = await serveDir(out);
    mkdirSync(ART, { recursive: true });

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
    page.on('request', (r) => { if (!r.url().startsWith(server!.url) && !r.url().startsWith('data:')) problems.push(`off-site request ${r.url()}`); });
    // Main-thread responsiveness, measured from before the page's own scripts run.
    await page.addInitScript(() => {
      const g = globalThis as any;
      g.__longtasks = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) g.__longtasks.push({ start: e.startTime, ms: e.duration }); })
        .observe({ type: 'longtask', buffered: true });
      g.__lag = { max: 0, since: 0 };
      let last = performance.now();
      setInterval(() => { const now = performance.now(); g.__lag.max = Math.max(g.__lag.max, now - last - 10); last = now; }, 10);
    });
    await page.goto(`${server.url}/${QUERY}`);
    const ready = Date.now() + 30_000;
    let st: { ready: boolean; error: string; webgpu: string } = { ready: false, error: '', webgpu: '' };
    while (Date.now() < ready) {
      st = await page.evaluate(() => { const d = (globalThis as any).__demo; return d ? { ready: d.ready, error: d.error, webgpu: d.webgpu } : { ready: false, error: '', webgpu: '' }; });
      if (st.ready || st.error) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(st.ready, `the page did not get ready: ${st.error}\n${problems.join('\n')}`);

    // 1. The default (auto) policy, with the main thread watched.
    const first = await trainOnce(page, problems);
    const { run, wallMs } = first;
    const acc = checkRun(run, 'auto');
    checkLong(first, 'auto');
    const chart = await page.evaluate(() => {
      const c = document.getElementById('chart') as HTMLCanvasElement, g = c.getContext('2d')!;
      const px = g.getImageData(0, 0, c.width, c.height).data;
      let coloured = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 0 && Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 60) coloured++;
      return { points: (globalThis as any).__demo.chartPoints, coloured };
    });
    assert.ok(chart.points >= STEPS / 25 + 3, `chart points: ${chart.points}`);
    assert.ok(chart.coloured > 500, `the chart has drawn series (${chart.coloured} coloured pixels)`);
    const pageAcc = await page.evaluate(() => (globalThis as any).__demo.evaluateHere(500));
    assert.ok(Math.abs(pageAcc - acc) < 1e-9, `the page's model (worker weights loaded here) scores ${pageAcc}, the worker said ${acc}`);

    // A digit drawn with the mouse: a "7".
    const box = (await page.locator('#pad').boundingBox())!;
    const at = (x: number, y: number) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
    await page.click('#clear');
    await page.mouse.move(...at(70, 60)); await page.mouse.down();
    for (const [x, y] of [[130, 58], [205, 60], [175, 120], [145, 180], [125, 235]]) await page.mouse.move(...at(x, y), { steps: 6 });
    await page.mouse.up();
    const drawn = await page.evaluate(() => (globalThis as any).__demo.prediction);
    assert.ok(drawn && drawn.source === 'drawn' && drawn.digit >= 0 && drawn.digit <= 9, `drawn digit prediction: ${JSON.stringify(drawn)}`);
    assert.ok(Math.abs(drawn.probs.reduce((s: number, p: number) => s + p, 0) - 1) < 1e-4, 'probabilities sum to 1');
    await page.screenshot({ path: join(ART, 'demo.png'), fullPage: true });
    let picks = 0, right = 0;
    for (let i = 0; i < 20; i++) {
      await page.click('#pick');
      const p = await page.evaluate(() => (globalThis as any).__demo.prediction);
      picks++; if (p.digit === p.label) right++;
    }
    console.log(`  demo (chromium; built in ${buildMs} ms): auto policy, ${STEPS} steps in ${(run.result!.ms / 1000).toFixed(1)} s in the worker ` +
      `(${wallMs} ms wall), held-out ${(acc * 100).toFixed(1)}% (page model: ${(pageAcc * 100).toFixed(1)}%); ` +
      `${fmtLong(first)}; ` +
      `drawn "7" → ${drawn.digit} (${(Math.max(...drawn.probs) * 100).toFixed(0)}%); ${right}/${picks} picked test digits right`);

    // 2. The gpu policy in the module worker: every op of the traced step on WebGPU.
    if (st.webgpu !== 'available') skip('demo gpu policy', `WebGPU in Chromium ${browser.version()}: ${st.webgpu}`);
    else {
      await page.selectOption('#policy', 'gpu');
      const g = await trainOnce(page, problems);
      const gacc = checkRun(g.run, 'gpu');
      checkLong(g, 'gpu');
      assert.is(g.run.result!.policy, 'gpu');
      const s = g.run.placement!.summary;
      assert.ok(s.webgpu?.ops > 0, `gpu policy placement: ${JSON.stringify(s)}`);
      await page.screenshot({ path: join(ART, 'demo-gpu.png'), fullPage: true });
      console.log(`  demo gpu policy (module worker, WebGPU on SwiftShader): ${STEPS} steps in ${(g.run.result!.ms / 1000).toFixed(1)} s, ` +
        `held-out ${(gacc * 100).toFixed(1)}%; traced step: ${Object.entries(s).map(([d, v]) => `${d} ${v.ops} ops`).join(', ')}; ${fmtLong(g)}`);
    }

    // 3. The cpu policy: all on Wasm.
    await page.selectOption('#policy', 'cpu');
    const c = await trainOnce(page, problems);
    const cacc = checkRun(c.run, 'cpu');
    checkLong(c, 'cpu');
    const cs = c.run.placement!.summary;
    assert.ok(cs.wasm?.ops > 0 && !cs.webgpu, `cpu policy placement: ${JSON.stringify(cs)}`);
    await page.screenshot({ path: join(ART, 'demo-cpu.png'), fullPage: true });
    console.log(`  demo cpu policy (module worker, Wasm): ${STEPS} steps in ${(c.run.result!.ms / 1000).toFixed(1)} s, held-out ${(cacc * 100).toFixed(1)}%; ${fmtLong(c)}`);
    assert.equal(problems, [], 'no page errors, failed requests or off-site requests');
    console.log(`  screenshots: test-artifacts/demo.png, demo-gpu.png, demo-cpu.png; ${((Date.now() - t0) / 1000).toFixed(1)} s in all`);
  } finally {
    await browser?.close().catch(() => {});
    await server?.close();
    rmSync(out, { recursive: true, force: true });
  }
});

T.run();
