// The demo page's main thread while the worker trains: the longest task the 'longtask'
// PerformanceObserver saw (tasks over 50 ms) and the largest delay of a 10 ms timer probe, per
// policy, in headless Debian Chromium (WebGPU on SwiftShader). A measurement, not a test: the
// figure depends on the machine and its load (test/demo.test.ts asserts the structural fact
// instead: no fluxion op runs on the page's thread during a worker run).
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

interface Row { policy: string; steps: number; workerMs: number; wallMs: number; longest: number; longCount: number; lag: number; pageOps: number }

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
    const f = (x: number) => x.toFixed(0);
    return `Chromium ${browser.version()} headless (WebGPU on the page: ${webgpu}); the seed model, ${STEPS} Adam steps of batch 32 in the ` +
      `demo's module worker; the page's main thread watched from Train to the result. Long tasks are those over 50 ms ` +
      `('longtask' observer); the timer column is the largest lateness of a 10 ms setInterval. Machine load moves these ` +
      `figures; test/demo.test.ts checks the structural fact (the page ran no fluxion op meanwhile) instead.\n\n` +
      `| policy | steps | worker ms | wall ms | long tasks | longest task ms | largest 10 ms-timer delay ms | fluxion ops on the page |\n` +
      `|---|---:|---:|---:|---:|---:|---:|---:|\n` +
      rows.map((r) => `| ${r.policy} | ${r.steps} | ${f(r.workerMs)} | ${f(r.wallMs)} | ${r.longCount} | ${r.longCount ? f(r.longest) : '—'} | ${f(r.lag)} | ${r.pageOps} |`).join('\n');
  } finally {
    await browser.close().catch(() => {});
    await server.close();
    rmSync(out, { recursive: true, force: true });
  }
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
