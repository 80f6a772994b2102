// The scheduler with this machine's calibrated profile: `auto` next to `cpu`-only and
// `gpu`-only for matmuls and training steps (each sample ends with a readback, so GPU work is
// counted), the calibration time, and the per-op decision overhead.
import * as fx from '../src/index.ts';
import { place } from '../src/scheduler.ts';
import { unaryDef } from '../src/ops/unary.ts';
import { runtime } from '../src/runtime.ts';
import { runTasks, fmt } from './_util.ts';

async function timed(policy: 'auto' | 'cpu' | 'gpu', make: () => () => Promise<unknown>): Promise<number> {
  return fx.withPolicy(policy, async () => {
    const step = make();
    const ms = (await runTasks([['t', step]], 400)).get('t')!;
    return ms;
  });
}

/** Runs the scheduler benchmark; returns its markdown. */
export async function runSchedulerBench(): Promise<string> {
  await fx.init();
  if (!runtime.gpu) return `no WebGPU adapter here (${JSON.stringify(fx.devices().gpu)}): nothing to schedule between`;
  const cal = await fx.calibrate();
  const rows: string[] = [];
  const row = async (name: string, make: () => () => Promise<unknown>) => {
    // auto and cpu are timed twice in alternating order (min of the medians): the machine is shared
    const ms = { auto: await timed('auto', make), cpu: await timed('cpu', make), gpu: await timed('gpu', make) };
    ms.cpu = Math.min(ms.cpu, await timed('cpu', make));
    ms.auto = Math.min(ms.auto, await timed('auto', make));
    const best = Math.min(ms.cpu, ms.gpu);
    const f = fx.withPolicy('auto', make);
    const placed = (await fx.trace(() => fx.withPolicy('auto', f))).records;
    const where = [...new Set(placed.map((r) => r.device))].join('+');
    rows.push(`| ${name} | ${fmt(ms.auto, 3)} | ${fmt(ms.cpu, 3)} | ${fmt(ms.gpu, 3)} | ${fmt(ms.auto / best, 2)} | ${where} |`);
  };
  for (const n of [64, 256, 512]) {
    await row(`matmul ${n}×${n}·${n}×${n}`, () => {
      const a = fx.rand(n, n).keep(), b = fx.rand(n, n).keep();
      return async () => { const c = fx.matmul(a, b); await c.data(); c.dispose(); };
    });
  }
  const model = (sizes: number[], act: typeof fx.relu) => fx.Chain(...sizes.slice(1).map((o, i) =>
    fx.Dense(sizes[i], o, i + 2 < sizes.length ? act : fx.identity)));
  await row('train step A (784-32-10 σ, mse, SGD), batch 64', () => {
    fx.seed(1);
    const m = fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax), ps = fx.params(m), opt = fx.Descent(0.1);
    const x = fx.rand(784, 64).keep(), y = fx.rand(10, 64).keep();
    const loss = (x: fx.Tensor, y: fx.Tensor) => fx.mse(m(x), y);
    return async () => { const l = fx.trainStep(loss, ps, [x, y], opt); await l.item(); l.dispose(); };
  });
  await row('train step B (784-256-256-10 relu, logitCE, Adam), batch 128', () => {
    fx.seed(1);
    const m = model([784, 256, 256, 10], fx.relu), ps = fx.params(m), opt = fx.Adam(1e-3);
    const x = fx.rand(784, 128).keep(), y = fx.onehotbatch(Array.from({ length: 128 }, (_, j) => j % 10), [...Array(10).keys()]).keep();
    const loss = (x: fx.Tensor, y: fx.Tensor) => fx.logitcrossentropy(m(x), y);
    return async () => { const l = fx.trainStep(loss, ps, [x, y], opt); await l.item(); l.dispose(); };
  });
  // Decision overhead: place() for an op whose decision is memoised (the steady state of a loop).
  const t = fx.rand(1).keep(), shape = [1];
  const p = { code: 0, alpha: 0, beta: 0 };
  const N = 100000;
  const ov = (await runTasks([['place', () => { for (let i = 0; i < N; i++) place(unaryDef, [t], p, shape); }]], 400)).get('place')! / N * 1000;
  const g = cal.gpu!;
  return [
    `Calibrated in ${fmt(cal.ms, 0)} ms (plus ${fmt(cal.compileMs, 0)} ms compiling the GPU matmul pipeline once) on ${fx.devices().gpu.info?.description ?? 'no GPU'}` +
    ` (CPU: ${fmt(cal.cpu.overheadMs * 1000, 2)} µs/op, matmul ${cal.cpu.matmul.map(([n, f]) => `${n}: ${fmt(f, 1)}`).join(', ')} GFLOP/s;` +
    ` GPU: ${fmt(g.overheadMs * 1000, 1)} µs/dispatch, matmul ${g.matmul.map(([n, f]) => `${n}: ${fmt(f, 2)}`).join(', ')} GFLOP/s,` +
    ` upload ${fmt(g.upload!.GBs, 1)} GB/s, readback ${fmt(g.download!.ms, 3)} ms + ${fmt(g.download!.GBs, 1)} GB/s).`,
    `Decision overhead (memoised, per op): ${fmt(ov, 3)} µs.`, '',
    '| row (median ms per sample, readback included) | auto | cpu only | gpu only | auto / best | auto placed on |',
    '|---|---|---|---|---|---|', ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runSchedulerBench());
