// The demo page's main thread while the worker trains: the longest task the 'longtask'
// PerformanceObserver saw (tasks over 50 ms) and the largest delay of a 10 ms timer probe, per
// policy, in headless Debian Chromium (WebGPU on SwiftShader). Then the same page trains the seed
// model on its own main thread with `train` (which yields every ~25 ms): the longest task, the
// timer's delay, the animation frames during training and how many of them showed a new value a
// callback wrote into the page. A measurement, not a test: the figures depend on the machine and
// its load (test/demo.test.ts asserts the structural fact instead: no fluxion op runs
// on the page's thread during a worker run; test/train-page.test.ts that train lets frames in).
// Run alone:  node --experimental-wasm-relaxed-simd --import ./test/_helpers/register.mjs bench/demo-longtask.ts
//   (needs build/ from `npm run asbuild`); it prints the table and replaces its section of
//   bench/RESULTS.md. `npm run bench` runs it as the section 'demo' (bench/run.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../test/_helpers/chromium.ts';
import { buildDemo, serveDir } from '../scripts/demo.mjs';

export const TITLE = 'Demo page: main-thread long tasks during a worker run';
const STEPS = 150;
const QUERY = `?steps=${STEPS}&ntrain=4000&ntest=500&evalEvery=25&epochs=2&batch=32&opt=adam`;
/** The main-thread run: the seed model (784-32-10 σ, softmax, mse, Descent(0.1)) on random batches. */
const MAIN_STEPS = 1000, MAIN_BATCH = 32;

interface Row { policy: string; steps: number; workerMs: number; wallMs: number; longest: number; longCount: number; lag: number; pageOps: number }
interface MainRow { steps: number; wallMs: number; longest: number; longCount: number; lag: number; frames: number; shown: number }

export async function runDemoLongtaskBench(): Promise<string> {
  const launched = await launchChromium();
  if ('error' in launched) return `not measured: ${launched.error}`;
  const browser = launched.browser, out = mkdtempSync(join(tmpdir(), 'fluxion-demo-bench-'));
  const server = await serveDir(out);
  try {
    await buildDemo(out);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    // Installed before the page's scripts: every long task, and a 10 ms timer whose lateness
    // is how long the event loop was busy (it also sees busy stretches under 50 ms).
    await page.addInitScript(() => {
      const g = globalThis as any;
      g.__longtasks = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) g.__longtasks.push({ start: e.startTime, ms: e.duration }); })
        .observe({ type: 'longtask', buffered: true });
      g.__lag = { max: 0 };
      let last = performance.now();
      setInterval(() => { const now = performance.now(); g.__lag.max = Math.max(g.__lag.max, now - last - 10); last = now; }, 10);
    });
    // tsx keeps function names by wrapping them in __name(); mainThreadRun's code brings the calls.
    await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    await page.goto(`${server.url}/${QUERY}`);
    await page.evaluate(() => (globalThis as any).__demo.started);
    const webgpu: string = await page.evaluate(() => (globalThis as any).__demo.webgpu);
    const rows: Row[] = [];
    for (const policy of ['auto', 'cpu', ...(webgpu === 'available' ? ['gpu'] : [])]) {
      await page.selectOption('#policy', policy);
      const { n, t0 } = await page.evaluate(() => {
        const g = globalThis as any;
        g.__runEnded = new Promise<void>((r) => addEventListener('demo:runend', () => r(), { once: true }));
        g.__lag.max = 0;
        return { n: g.__demo.runs.length as number, t0: performance.now() };
      });
      await page.click('#train');
      await page.evaluate(() => (globalThis as any).__runEnded);
      const r = await page.evaluate(({ k, a }) => {
        const g = globalThis as any, b = performance.now();
        const tasks = g.__longtasks.filter((t: any) => t.start + t.ms >= a && t.start <= b);
        return { run: g.__demo.runs[k], tasks, lag: g.__lag.max, wall: b - a };
      }, { k: n, a: t0 });
      if (r.run.error) throw new Error(`demo ${policy}: ${r.run.error}`);
      rows.push({ policy, steps: r.run.result.steps, workerMs: r.run.result.ms, wallMs: r.wall,
        longest: r.tasks.reduce((m: number, t: any) => Math.max(m, t.ms), 0), longCount: r.tasks.length, lag: r.lag, pageOps: r.run.mainThreadOps });
    }
    const main = await mainThreadRun(page, `${server.url}/fluxion.js`);
    const f = (x: number) => x.toFixed(0);
    return `Chromium ${browser.version()} headless (WebGPU on the page: ${webgpu}); the seed model, ${STEPS} Adam steps of batch 32 in the ` +
      `demo's module worker; the page's main thread watched from Train to the result. Long tasks are those over 50 ms ` +
      `('longtask' observer); the timer column is the largest lateness of a 10 ms setInterval. Machine load moves these ` +
      `figures; test/demo.test.ts checks the structural fact (the page ran no fluxion op meanwhile) instead.\n\n` +
      `| policy | steps | worker ms | wall ms | long tasks | longest task ms | largest 10 ms-timer delay ms | fluxion ops on the page |\n` +
      `|---|---:|---:|---:|---:|---:|---:|---:|\n` +
      rows.map((r) => `| ${r.policy} | ${r.steps} | ${f(r.workerMs)} | ${f(r.wallMs)} | ${r.longCount} | ${r.longCount ? f(r.longest) : '—'} | ${f(r.lag)} | ${r.pageOps} |`).join('\n') +
      `\n\nThe same page training on its main thread: \`train\` of the seed model (784-32-10 σ, softmax, mse, Descent(0.1)), ` +
      `${MAIN_STEPS} steps of batch ${MAIN_BATCH} on the CPU (Wasm), a callback writing the step number into the page. Frames: ` +
      `animation frames while it trained; shown: frames that showed a new step number (the callback's update painted).\n\n` +
      `| steps | wall ms | long tasks | longest task ms | largest 10 ms-timer delay ms | frames | shown |\n` +
      `|---:|---:|---:|---:|---:|---:|---:|\n` +
      `| ${main.steps} | ${f(main.wallMs)} | ${main.longCount} | ${main.longCount ? f(main.longest) : '—'} | ${f(main.lag)} | ${main.frames} | ${main.shown} |`;
  } finally {
    await browser.close().catch(() => {});
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Trains the seed model on the page's main thread (the page's own fluxion module, policy 'cpu'),
 * watching the longest task, the 10 ms timer, and animation frames.
 */
async function mainThreadRun(page: import('playwright-core').Page, url: string): Promise<MainRow> {
  return page.evaluate(async ({ url, steps, batch }) => {
    const fx: typeof import('../src/index.ts') = await import(url);
    const g = globalThis as any;
    fx.seed(1);
    const m = fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax);
    const x = fx.rand(784, batch).keep(), y = fx.rand(10, batch).keep();
    const el = document.createElement('div');
    document.body.append(el);
    let frames = 0, shown = 0, seen = '', on = true, k = 0;
    const frame = () => { if (!on) return; frames++; if (el.textContent !== seen) { shown++; seen = el.textContent ?? ''; } requestAnimationFrame(frame); };
    await new Promise((r) => requestAnimationFrame(r));
    requestAnimationFrame(frame);
    g.__lag.max = 0;
    const t0 = performance.now();
    const s = await fx.withPolicy('cpu', () => fx.train((x: any, y: any) => fx.mse(m(x), y), fx.params(m), fx.repeated([x, y], steps),
      fx.Descent(0.1), { cb: () => { el.textContent = String(++k); } }));
    const t1 = performance.now();
    on = false;
    // The longtask observer reports after the task, and the timer measures the lateness when it
    // finally runs: both are read once training has let them in.
    await new Promise((r) => setTimeout(r, 300));
    const lag = g.__lag.max;
    const tasks = g.__longtasks.filter((t: any) => t.start + t.ms >= t0 && t.start <= t1);
    x.dispose(); y.dispose(); el.remove();
    return { steps: s.steps, wallMs: t1 - t0, longest: tasks.reduce((a: number, t: any) => Math.max(a, t.ms), 0),
      longCount: tasks.length, lag, frames, shown };
  }, { url, steps: MAIN_STEPS, batch: MAIN_BATCH });
}

/** Replaces (or appends) this bench's section of bench/RESULTS.md, leaving the others as they are. */
function writeSection(body: string) {
  const file = new URL('./RESULTS.md', import.meta.url);
  const doc = readFileSync(file, 'utf8'), head = `## ${TITLE}`;
  const section = `${head}\n\nRun: ${new Date().toISOString()} with bench/demo-longtask.ts.\n\n${body}\n`;
  const at = doc.indexOf(head);
  if (at < 0) { writeFileSync(file, `${doc.trimEnd()}\n\n${section}`); return; }
  const next = doc.indexOf('\n## ', at + head.length);
  writeFileSync(file, doc.slice(0, at) + section + (next < 0 ? '' : doc.slice(next)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const body = await runDemoLongtaskBench();
  console.log(`## ${TITLE}\n\n${body}`);
  writeSection(body);
  console.log('\n(bench/RESULTS.md: section written)');
}
