// The demo page (examples/web/, built by scripts/demo.mjs) in headless Debian Chromium (WebGPU on
// SwiftShader), served from 127.0.0.1. The page loads the fluxion bundle with <script type=module>
// and trains the seed model in a module Web Worker for a bounded number of steps. Checked: the
// chart has data, held-out accuracy rises above chance (in the worker, and with the weights loaded
// into the page's own model), a digit drawn with the mouse gets a prediction, and no fluxion op
// runs on the page's thread while the worker trains. That last one is the structural form of "the
// page stays responsive": the page runs its whole wait for the worker's result under fx.trace(),
// which records every op its own fluxion runtime dispatches (RunRecord.mainThreadOps); the drawn
// digit, classified on the page, shows the same mechanism does see ops that run there. How long
// the main thread's tasks are is a measurement, not a test: bench/demo-longtask.ts reports it.
// Then the same page trains with the 'gpu' policy (every op of a traced step on WebGPU) and the
// 'cpu' policy (all on Wasm), LeNet-5, and the names transformer of examples/names.ts (held-out
// nats per character below the add-one bigram baseline, 20 names sampled on the page from the
// worker's weights). Screenshots: test-artifacts/demo.png, demo-gpu.png, demo-cpu.png, demo-names.png.
// No Chromium, or no WebGPU in it: those tests are skipped (printed, counted as skipped), and fail
// under FLUXION_REQUIRE_GPU=1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, chromiumWebGPUMissing, CHROMIUM } from './_helpers/chromium.js';
import { testNeedingGpu } from './_helpers/skip.js';
import { within } from './_helpers/wait.js';
import { ROOT } from './browser/harness.js';
import { buildDemo, serveDir } from '../scripts/demo.mjs';

const STEPS = 150;
const QUERY = `?steps=${STEPS}&ntrain=4000&ntest=500&evalEvery=25&epochs=2&batch=32&opt=adam`;
const ART = join(ROOT, 'test-artifacts');
const T = suite('demo page (chromium)');

interface Run {
  config: { policy: string; maxSteps?: number }; reports: number; evals: { loss: number; accuracy: number; bigram?: number }[];
  placement?: { policy: string; summary: Record<string, { ops: number; ms: number; transferBytes: number }>; ops: { op: string; device: string }[] };
  result?: { steps: number; samples: number; cancelled: boolean; eval?: { loss: number; accuracy: number; bigram?: number }; ms: number; policy: string; weightBytes: number };
  mainThreadOps?: number; mainThreadOpNames?: string[];
  error?: string;
}

/** Clicks Train and awaits the page's 'demo:runend' event; returns that run's record. */
async function trainOnce(page: Page, problems: string[]): Promise<Run> {
  const n = await page.evaluate(() => {
    const g = globalThis as any;
    g.__runEnded = new Promise<void>((r) => addEventListener('demo:runend', () => r(), { once: true }));
    return g.__demo.runs.length as number;
  });
  await page.click('#train');
  await within(page.evaluate(() => (globalThis as any).__runEnded), () => `the training run\n${problems.join('\n')}`);
  return page.evaluate((k) => (globalThis as any).__demo.runs[k], n);
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
  // The worker did the training: the page's own runtime ran nothing from Train to the result.
  assert.is(typeof run.mainThreadOps, 'number', `${label}: the page recorded its own ops`);
  assert.is(run.mainThreadOps, 0, `${label}: fluxion ops ran on the page's thread during the worker run: ${run.mainThreadOpNames}`);
  return acc;
}

// What the page needs: Chromium for every test here, WebGPU in it for the gpu policy.
const noChromium = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found`;
const noWebGPU = noChromium ?? await chromiumWebGPUMissing();

let browser: Browser | null = null, server: Awaited<ReturnType<typeof serveDir>> | null = null;
let page: Page, out = '';
const problems: string[] = [];
let webgpuOnPage = '', accAuto = 0;

// The page, loaded once and shared by the tests in order. Not a before() hook: uvu swallows a
// hook's error (the suite then reports nothing failed), so each test awaits this instead and
// fails with the setup's error.
let loading: Promise<void> | null = null;
const loaded = () => (loading ??= loadPage());
async function loadPage() {
  out = mkdtempSync(join(tmpdir(), 'fluxion-demo-'));
  const launched = await launchChromium();
  if ('error' in launched) throw new Error(launched.error);
  browser = launched.browser;
  const buildMs = await buildDemo(out);
  server = await serveDir(out);
  mkdirSync(ART, { recursive: true });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  // blob: URLs of this origin are the Wasm thread pool's workers (made from a string in the bundle)
  page.on('request', (r) => { if (!r.url().startsWith(server!.url) && !r.url().startsWith(`blob:${server!.url}/`) && !r.url().startsWith('data:')) problems.push(`off-site request ${r.url()}`); });
  await page.goto(`${server.url}/${QUERY}`);
  // Module scripts run before 'load', so __demo.started exists once goto returns.
  await within(page.evaluate(() => (globalThis as any).__demo.started), () => `the demo page start\n${problems.join('\n')}`);
  const st = await page.evaluate(() => { const d = (globalThis as any).__demo; return { ready: d.ready, error: d.error, webgpu: d.webgpu }; });
  assert.ok(st.ready, `the page did not get ready: ${st.error}\n${problems.join('\n')}`);
  webgpuOnPage = st.webgpu;
  console.log(`  demo (chromium ${browser.version()}; built in ${buildMs} ms); WebGPU on the page: ${st.webgpu}`);
}
T.after(async () => {
  await browser?.close().catch(() => {});
  await server?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

const needsChromium = (name: string, fn: () => Promise<void>) => testNeedingGpu(T, name, noChromium, async () => { await loaded(); await fn(); });

needsChromium('auto policy: trains in the module worker, no fluxion op on the page\'s thread meanwhile; chart, accuracy, weights in the page', async () => {
  const run = await trainOnce(page, problems);
  const acc = accAuto = checkRun(run, 'auto');
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
  console.log(`  auto policy: ${STEPS} steps in ${(run.result!.ms / 1000).toFixed(1)} s in the worker, held-out ${(acc * 100).toFixed(1)}% ` +
    `(page model: ${(pageAcc * 100).toFixed(1)}%); ${run.mainThreadOps} fluxion ops on the page's thread during the run`);
});

needsChromium('a digit drawn with the mouse is classified by the page\'s model, whose ops the page does record', async () => {
  // A "7".
  const box = (await page.locator('#pad').boundingBox())!;
  const at = (x: number, y: number) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  await page.click('#clear');
  await page.mouse.move(...at(70, 60)); await page.mouse.down();
  for (const [x, y] of [[130, 58], [205, 60], [175, 120], [145, 180], [125, 235]]) await page.mouse.move(...at(x, y), { steps: 6 });
  await page.mouse.up();
  const drawn = await page.evaluate(() => (globalThis as any).__demo.prediction);
  assert.ok(drawn && drawn.source === 'drawn' && drawn.digit >= 0 && drawn.digit <= 9, `drawn digit prediction: ${JSON.stringify(drawn)}`);
  assert.ok(Math.abs(drawn.probs.reduce((s: number, p: number) => s + p, 0) - 1) < 1e-4, 'probabilities sum to 1');
  // The control for mainThreadOps = 0 above: a forward pass on this thread is seen by the same trace.
  assert.ok(drawn.ops >= 3, `the page's forward pass recorded ${drawn.ops} ops on its thread`);
  await page.screenshot({ path: join(ART, 'demo.png'), fullPage: true });
  let right = 0;
  for (let i = 0; i < 20; i++) {
    await page.click('#pick');
    const p = await page.evaluate(() => (globalThis as any).__demo.prediction);
    assert.is(p.source, 'test');
    if (p.digit === p.label) right++;
  }
  console.log(`  drawn "7" → ${drawn.digit} (${(Math.max(...drawn.probs) * 100).toFixed(0)}%, ${drawn.ops} ops on the page); ` +
    `${right}/20 picked test digits right (held-out accuracy ${(accAuto * 100).toFixed(1)}%)`);
});

testNeedingGpu(T, 'gpu policy: every op of the traced step on WebGPU in the worker, none on the page\'s thread', noWebGPU, async () => {
  await loaded();
  assert.is(webgpuOnPage, 'available', 'the probe found a WebGPU adapter in this Chromium; the page must too');
  await page.selectOption('#policy', 'gpu');
  const g = await trainOnce(page, problems);
  const gacc = checkRun(g, 'gpu');
  assert.is(g.result!.policy, 'gpu');
  const s = g.placement!.summary;
  assert.ok(s.webgpu?.ops > 0, `gpu policy placement: ${JSON.stringify(s)}`);
  const off = g.placement!.ops.filter((o) => o.device !== 'webgpu').map((o) => `${o.op}@${o.device}`);
  assert.equal(off, [], 'every op of the traced step ran on WebGPU');
  await page.screenshot({ path: join(ART, 'demo-gpu.png'), fullPage: true });
  console.log(`  gpu policy (module worker, WebGPU on SwiftShader): ${STEPS} steps in ${(g.result!.ms / 1000).toFixed(1)} s, ` +
    `held-out ${(gacc * 100).toFixed(1)}%; traced step: ${Object.entries(s).map(([d, v]) => `${d} ${v.ops} ops`).join(', ')}`);
});

needsChromium('cpu policy: all on Wasm in the worker, none on the page\'s thread; no page errors, failed or off-site requests', async () => {
  await page.selectOption('#policy', 'cpu');
  const c = await trainOnce(page, problems);
  const cacc = checkRun(c, 'cpu');
  const cs = c.placement!.summary;
  assert.ok(cs.wasm?.ops > 0 && !cs.webgpu, `cpu policy placement: ${JSON.stringify(cs)}`);
  await page.screenshot({ path: join(ART, 'demo-cpu.png'), fullPage: true });
  console.log(`  cpu policy (module worker, Wasm): ${STEPS} steps in ${(c.result!.ms / 1000).toFixed(1)} s, held-out ${(cacc * 100).toFixed(1)}%`);
  assert.equal(problems, [], 'no page errors, failed requests or off-site requests');
});

needsChromium('LeNet-5: the page offers it; it trains in the worker and the page classifies with its weights', async () => {
  await page.selectOption('#policy', 'cpu');
  await page.selectOption('#model', 'lenet');
  const l = await trainOnce(page, problems);
  const lacc = checkRun(l, 'lenet');
  const pageAcc = await page.evaluate(() => (globalThis as any).__demo.evaluateHere(500));
  assert.ok(Math.abs(pageAcc - lacc) < 1e-9, `the page's LeNet-5 (worker weights loaded here) scores ${pageAcc}, the worker said ${lacc}`);
  const ops = l.placement!.ops.map((o) => o.op);
  assert.ok(ops.includes('im2col') && ops.includes('pool'), `a LeNet step runs the conv ops: ${[...new Set(ops)].join(', ')}`);
  await page.click('#pick');
  const p = await page.evaluate(() => (globalThis as any).__demo.prediction);
  assert.ok(Math.abs(p.probs.reduce((s: number, v: number) => s + v, 0) - 1) < 1e-4, 'LeNet-5\'s logits become probabilities on the page');
  console.log(`  LeNet-5 (cpu policy, module worker): ${STEPS} steps in ${(l.result!.ms / 1000).toFixed(1)} s, held-out ${(lacc * 100).toFixed(1)}%`);
  assert.equal(problems, [], 'no page errors, failed requests or off-site requests');
});

needsChromium('names: the transformer trains in the worker below the bigram baseline; the page samples 20 names from its weights', async () => {
  await page.selectOption('#policy', 'cpu');
  await page.selectOption('#model', 'names');
  assert.ok(await page.isHidden('#pad') && await page.isVisible('#namesBox'), 'the names model shows the samples, not the drawing pad');
  const n = await trainOnce(page, problems);
  assert.ok(!n.error, `names: ${n.error}`);
  const r = n.result!;
  assert.is(r.steps, STEPS, `names: bounded to ${STEPS} steps`);
  assert.ok(n.evals.length >= STEPS / 25, `names: ${n.evals.length} held-out evaluations`);
  const first = n.evals[0].loss, last = r.eval!.loss, bigram = r.eval!.bigram!;
  // The add-one bigram model counted on the same training names, scored on the same held-out ones.
  assert.ok(bigram > 2 && bigram < Math.log(27), `names: the bigram baseline ${bigram} lies between 2 and uniform (ln 27)`);
  assert.ok(last < bigram, `names: held-out ${last.toFixed(4)} nats per character is not below the add-one bigram's ${bigram.toFixed(4)}`);
  assert.ok(last < first - 0.1, `names: held-out loss falls (${first.toFixed(4)} at step 25 → ${last.toFixed(4)})`);
  assert.is(n.mainThreadOps, 0, `names: fluxion ops ran on the page's thread during the worker run: ${n.mainThreadOpNames}`);
  // The worker's weights, loaded into the page's own model, score what the worker said.
  const here = await page.evaluate(() => (globalThis as any).__demo.namesHeldOutHere());
  assert.ok(Math.abs(here - last) < 1e-4, `names: the page's model scores ${here} held out, the worker said ${last}`);
  const shown = async () => ({
    state: await page.evaluate(() => (globalThis as any).__demo.names as string[]),
    list: await page.locator('#names li').allTextContents(),
  });
  const a = await shown();
  assert.is(a.list.length, 20, `20 names on the page: ${a.list}`);
  assert.equal(a.list, a.state);
  for (const s of a.list) assert.ok(/^[a-z]{1,15}$/.test(s), `a sampled name of lower-case a–z: ${JSON.stringify(s)}`);
  await page.screenshot({ path: join(ART, 'demo-names.png'), fullPage: true });
  await page.click('#resample');
  await page.waitForFunction((prev) => (globalThis as any).__demo.names.join() !== prev, a.state.join());
  const b = await shown();
  assert.is(b.list.length, 20);
  for (const s of b.list) assert.ok(/^[a-z]{1,15}$/.test(s), `a resampled name: ${JSON.stringify(s)}`);
  console.log(`  names (cpu policy, module worker): ${STEPS} steps in ${(r.ms / 1000).toFixed(1)} s, held-out ${first.toFixed(3)} → ${last.toFixed(3)} ` +
    `nats per character (add-one bigram ${bigram.toFixed(3)}); sampled: ${a.list.join(', ')}`);
  assert.equal(problems, [], 'no page errors, failed requests or off-site requests');
});

T.run();
