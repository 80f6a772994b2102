// The GPU benchmark in one command (bench/gpu.sh; bench/README-gpu.md says how to run it on a
// machine with no Node): sgemm GFLOP/s, training steps of the benchmark models under the cpu,
// gpu and auto policies, the calibrated profile, and TensorFlow.js's webgpu backend on the same
// adapter. On a fallback (software) adapter, or with --small, the same sections run at small
// sizes, quick enough for CI (test/gpu-bench.test.ts). Writes markdown to --out (default
// bench/RESULTS-gpu.md) and prints it.
//   node --experimental-wasm-relaxed-simd --import ./test/_helpers/register.mjs bench/gpu.bench.ts [--small | --full] [--out FILE]
import * as fx from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import type { WebGPUBackend } from '../src/backends/webgpu.ts';
import { planMatmul } from '../src/backends/gpu-tuning.ts';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';

/** The sections every run writes, in order (the CI test checks each is there). */
export const SECTIONS = ['Adapter', 'sgemm', 'Training step', 'Calibration', 'TensorFlow.js webgpu'];

const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[s.length >> 1] : NaN; };

/** Median ms of `f` (awaited) over at least `min` samples and about `budgetMs`, after one warm-up. */
async function timeMs(f: () => Promise<unknown>, budgetMs: number, min = 3, max = 50): Promise<number> {
  await f();
  const xs: number[] = [], t0 = performance.now();
  while (xs.length < min || (xs.length < max && performance.now() - t0 < budgetMs)) {
    const t = performance.now(); await f(); xs.push(performance.now() - t);
  }
  return median(xs);
}

interface Plan { small: boolean; sgemm: number[]; batches: number[]; budget: number }
const planFor = (small: boolean): Plan => small
  ? { small, sgemm: [64, 128], batches: [16, 64], budget: 40 }
  : { small, sgemm: [256, 512, 1024, 2048, 4096], batches: [64, 256, 1024, 4096], budget: 400 };

/** sgemm on fluxion's WebGPU backend: wall time (dispatch + 4-byte readback) and, where the adapter has timestamps, GPU time. */
async function sgemm(be: WebGPUBackend, plan: Plan, tfRow: (n: number) => Promise<number>): Promise<string> {
  const rows = ['| n | fluxion GFLOP/s (wall, readback included) | fluxion GFLOP/s (GPU timestamps) | A·Bᵀ (timestamps) | matmul entry | tfjs webgpu GFLOP/s (wall) |',
    '|---|---|---|---|---|---|'];
  const one = be.alloc(1);
  for (const n of plan.sgemm) {
    const a = be.alloc(n * n), b = be.alloc(n * n), c = be.alloc(n * n), flops = 2 * n ** 3;
    be.fill(a, n * n, 0.5); be.fill(b, n * n, 0.25);
    const run = (tb: number) => be.matmul(a, b, c, n, n, n, 0, tb, 0);
    const wall = await timeMs(async () => { run(0); await be.read(one, 1); }, plan.budget);
    const gpuMs = async (tb: number) => {
      if (!be.timer) return NaN;
      run(tb); await be.read(one, 1);
      const xs: number[] = [];
      for (let r = 0; r < (plan.small ? 2 : 5); r++) {
        be.timer.start(); run(tb);
        let t = 0; for (const ms of (await be.timer.stop()).values()) t += ms;
        xs.push(t);
      }
      return median(xs);
    };
    const [g0, g1] = [await gpuMs(0), await gpuMs(1)];
    const L = be.info.limits, kernel = planMatmul(n, n, n, 0, 0, 0, be.tuning, L.maxComputeWorkgroupsPerDimension, L.maxStorageBufferBindingSize).entry;
    rows.push(`| ${n} | ${fmt(flops / wall / 1e6)} | ${fmt(flops / g0 / 1e6)} | ${fmt(flops / g1 / 1e6)} | ${kernel} | ${fmt(flops / (await tfRow(n)) / 1e6)} |`);
    for (const x of [a, b, c]) be.free(x, n * n);
  }
  be.free(one, 1);
  return rows.join('\n');
}

/** The seed model (A) and the 784-256-256-10 MLP (B), as bench/train.bench.ts builds them. */
function model(kind: 'A' | 'B', batch: number) {
  fx.seed(1);
  const m = kind === 'A' ? fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax)
    : fx.Chain(fx.Dense(784, 256, fx.relu), fx.Dense(256, 256, fx.relu), fx.Dense(256, 10));
  const ps = fx.params(m), opt = kind === 'A' ? fx.Descent(0.1) : fx.Adam(1e-3);
  const x = fx.rand(784, batch).keep();
  const labels = new Float32Array(10 * batch);
  for (let j = 0; j < batch; j++) labels[(j % 10) * batch + j] = 1;
  const y = kind === 'A' ? fx.rand(10, batch).keep() : fx.tensor(labels, [10, batch]).keep();
  const loss = kind === 'A' ? (x: fx.Tensor, y: fx.Tensor) => fx.mse(m(x), y) : (x: fx.Tensor, y: fx.Tensor) => fx.logitcrossentropy(m(x), y);
  const step = async () => { const l = fx.trainStep(loss, ps, [x, y], opt); await l.item(); l.dispose(); };
  return { step, dispose: () => { for (const t of [...ps, x, y]) t.dispose(); } };
}

async function training(plan: Plan): Promise<string> {
  const rows = ['| model | batch | cpu ms/step | gpu ms/step | auto ms/step | gpu speed-up over cpu | auto / best |', '|---|---|---|---|---|---|---|'];
  const names = { A: 'seed model (784-32-10 σ, softmax, mse, SGD)', B: 'MLP 784-256-256-10 relu, logitCE, Adam' };
  for (const kind of ['A', 'B'] as const) for (const batch of plan.batches) {
    const ms: Record<string, number> = {};
    for (const pol of ['cpu', 'gpu', 'auto'] as const) {
      fx.setPolicy(pol);
      const m = model(kind, batch);   // built under the policy, so parameters start where it puts them
      // a software adapter's gpu steps take ~1 s: two samples; the CPU rows take more on a shared machine
      const min = plan.small ? (pol === 'gpu' ? 2 : 7) : 3;
      try { ms[pol] = await timeMs(m.step, plan.budget, min, 20); } finally { m.dispose(); fx.setPolicy('auto'); }
    }
    rows.push(`| ${names[kind]} | ${batch} | ${fmt(ms.cpu, 3)} | ${fmt(ms.gpu, 3)} | ${fmt(ms.auto, 3)} | ${fmt(ms.cpu / ms.gpu, 2)}x | ` +
      `${fmt(ms.auto / Math.min(ms.cpu, ms.gpu), 2)} |`);
  }
  return rows.join('\n');
}

/**
 * TensorFlow.js's webgpu backend on the same Dawn instance, or why not. tfjs finds WebGPU at
 * navigator.gpu, which Node lacks: it is given fluxion's GPU object.
 */
async function tfjsWebgpu(): Promise<{ note: string; sgemm: (n: number) => Promise<number> }> {
  const none = (why: string) => ({ note: `not measured: ${why}`, sgemm: async () => NaN });
  try {
    const name = ['web', 'gpu'].join('');
    const dawn: any = await import(/* @vite-ignore */ name);
    Object.assign(globalThis, dawn.globals);
    (globalThis as any).navigator ??= {};
    (globalThis as any).navigator.gpu ??= dawn.create([]);
    const tf: any = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) return none('tf.setBackend("webgpu") failed');
    await tf.ready();
    return {
      note: `tfjs ${tf.version_core} webgpu backend on the same adapter`,
      sgemm: async (n: number) => {
        const a = tf.fill([n, n], 0.5), b = tf.fill([n, n], 0.25);
        try {
          // read one element back, as fluxion's rows do (tfjs-core's Node entry has no chained ops)
          return await timeMs(async () => { const c = tf.matMul(a, b), e = tf.slice(c, [0, 0], [1, 1]); await e.data(); c.dispose(); e.dispose(); }, 300, 3, 30);
        } catch (e) { console.error(`tfjs webgpu sgemm ${n}: ${(e as Error).message}`); return NaN; } finally { a.dispose(); b.dispose(); }
      },
    };
  } catch (e) { return none(`${(e as Error).message.split('\n')[0]}`); }
}

/**
 * Runs every section; resolves to the markdown, also written to `out` when given. `small`
 * defaults to whether the adapter is a software one.
 *   const md = await runGpuBench({ small: true, out: '/tmp/RESULTS-gpu.md' });
 */
export async function runGpuBench(opts: { small?: boolean; out?: string } = {}): Promise<string> {
  const t0 = performance.now();
  await fx.init();
  const be = runtime.gpu as WebGPUBackend | null;
  if (!be) throw new Error(`no WebGPU adapter: ${JSON.stringify(fx.devices().gpu)}`);
  const i = be.info, soft = i.fallback || /swiftshader|llvmpipe|lavapipe/i.test(`${i.vendor} ${i.architecture} ${i.description}`);
  const plan = planFor(opts.small ?? soft);
  const adapter = `${i.vendor} ${i.architecture} ${i.device} (${i.description})`.replace(/\s+/g, ' ').trim();
  const sections: [string, string][] = [];
  sections.push(['Adapter', [
    `${adapter}${soft ? ': a software adapter (a CPU), so the figures show the benchmark works, not GPU speed' : ''}.`,
    `Mode: ${plan.small ? 'small (sizes for a software adapter or CI)' : 'full'}. GPU timing: ${be.timer ? 'timestamp queries' : 'wall clock only (no timestamp-query)'}.`,
    `Limits: ${Object.entries(i.limits).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    `Tuning: ${JSON.stringify(be.tuning, (_, v) => (v === Infinity ? '∞' : v))}.`,
  ].join('\n')]);
  const tfjs = await tfjsWebgpu();
  sections.push(['sgemm', `n×n·n×n, f32. ${tfjs.note}.\n\n` + await sgemm(be, plan, tfjs.sgemm)]);
  const cal = await fx.calibrate();
  sections.push(['Training step', 'ms per step (each awaits its loss: one readback), medians; batch is the last axis.\n\n' + await training(plan)]);
  const g = cal.gpu!, c = cal.cpu;
  sections.push(['Calibration', [
    `calibrate(): ${fmt(cal.ms, 0)} ms (plus ${fmt(cal.compileMs, 0)} ms compiling the matmul pipeline), GPU timed by ${cal.gpuTiming}.`, '',
    '| figure | cpu | gpu |', '|---|---|---|',
    `| per-op overhead µs | ${fmt(c.overheadMs * 1e3, 2)} | ${fmt(g.overheadMs * 1e3, 2)} |`,
    `| matmul GFLOP/s by n | ${c.matmul.map(([n, f]) => `${n}: ${fmt(f, 1)}`).join(', ')} | ${g.matmul.map(([n, f]) => `${n}: ${fmt(f, f < 1 ? 3 : 1)}`).join(', ')} |`,
    `| memory-bound GB/s | ${fmt(c.bandwidthGBs, 1)} | ${fmt(g.bandwidthGBs, 1)} |`,
    `| upload: latency ms, GB/s | - | ${fmt(g.upload!.ms, 3)}, ${fmt(g.upload!.GBs, 2)} |`,
    `| download: latency ms, GB/s | - | ${fmt(g.download!.ms, 3)}, ${fmt(g.download!.GBs, 2)} |`,
  ].join('\n')]);
  sections.push(['TensorFlow.js webgpu', `${tfjs.note}; its sgemm figures are the last column of the sgemm table.`]);
  const doc = `# fluxion GPU benchmark\n\nAdapter: ${adapter}.\nMachine: ${os.cpus()[0]?.model ?? 'CPU'} (${os.cpus().length} cores), ` +
    `Node ${process.version}, ${os.platform()} ${os.arch()}. Run ${new Date().toISOString()} by bench/gpu.sh in ${fmt((performance.now() - t0) / 1000, 0)} s.\n\n` +
    sections.map(([h, b]) => `## ${h}\n\n${b}`).join('\n\n') + '\n';
  if (opts.out) writeFileSync(opts.out, doc);
  return doc;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2), at = args.indexOf('--out');
  const out = at >= 0 ? args[at + 1] : new URL('./RESULTS-gpu.md', import.meta.url).pathname;
  console.log(await runGpuBench({ small: args.includes('--small') ? true : args.includes('--full') ? false : undefined, out }));
  process.exit(0);   // dawn.node keeps the event loop alive
}
