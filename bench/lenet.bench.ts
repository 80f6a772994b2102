// LeNet-5 training step (Flux's model zoo: Conv(5×5, 1⇒6, relu), MaxPool(2×2), Conv(5×5, 6⇒16, relu),
// MaxPool(2×2), flatten, Dense(256, 120, relu), Dense(120, 84, relu), Dense(84, 10), logitcrossentropy,
// Adam(1e-3)) at batch 1, 64 and 256: fluxion next to TensorFlow.js's cpu and wasm backends in the
// same run, plus conv forward/backward GFLOP/s next to the matmul rate of this run.
import * as fx from '../src/index.ts';
import { tfReady, useTf } from './tfjs.ts';
import type * as TF from '@tensorflow/tfjs-core';
import { runTasks, fmt } from './_util.ts';
import { webgpuColumn, type Column } from './train.bench.ts';

/** LeNet-5 as Flux's model zoo writes it. */
export const lenet = () => fx.Chain(
  fx.Conv([5, 5], [1, 6], fx.relu), fx.MaxPool([2, 2]),
  fx.Conv([5, 5], [6, 16], fx.relu), fx.MaxPool([2, 2]),
  fx.flatten, fx.Dense(256, 120, fx.relu), fx.Dense(120, 84, fx.relu), fx.Dense(84, 10));

function labels(batch: number): Float32Array {
  const v = new Float32Array(10 * batch);
  for (let j = 0; j < batch; j++) v[(j % 10) * batch + j] = 1;
  return v;
}

export function fluxStep(batch: number, awaitLoss = false) {
  fx.seed(1);
  const m = lenet(), ps = fx.params(m), opt = fx.Adam(1e-3);
  const x = fx.rand(28, 28, 1, batch).keep(), y = fx.tensor(labels(batch), [10, batch]).keep();
  const loss = (x: fx.Tensor, y: fx.Tensor) => fx.logitcrossentropy(m(x), y);
  if (!awaitLoss) return () => fx.trainStep(loss, ps, [x, y], opt).dispose();
  return async () => { const l = fx.trainStep(loss, ps, [x, y], opt); await l.item(); l.dispose(); };
}

async function tfStep(batch: number): Promise<() => void> {
  const tf = await tfReady();
  const v = (s: number[]) => tf.variable(tf.randomUniform(s, -0.1, 0.1));
  const vars = [v([5, 5, 1, 6]), tf.variable(tf.zeros([6])), v([5, 5, 6, 16]), tf.variable(tf.zeros([16])),
    v([256, 120]), tf.variable(tf.zeros([120])), v([120, 84]), tf.variable(tf.zeros([84])), v([84, 10]), tf.variable(tf.zeros([10]))];
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const y = tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, j) => j % 10), 'int32'), 10), 'float32');
  const opt = tf.train.adam(1e-3);
  const f = () => {
    let h: TF.Tensor = x;
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h as TF.Tensor4D, vars[0] as TF.Tensor4D, 1, 'valid'), vars[1])) as TF.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h as TF.Tensor4D, vars[2] as TF.Tensor4D, 1, 'valid'), vars[3])) as TF.Tensor4D, 2, 2, 'valid');
    h = tf.reshape(h, [batch, 256]);
    h = tf.relu(tf.add(tf.matMul(h as TF.Tensor2D, vars[4] as TF.Tensor2D), vars[5]));
    h = tf.relu(tf.add(tf.matMul(h as TF.Tensor2D, vars[6] as TF.Tensor2D), vars[7]));
    h = tf.add(tf.matMul(h as TF.Tensor2D, vars[8] as TF.Tensor2D), vars[9]);
    return tf.losses.softmaxCrossEntropy(y, h) as TF.Scalar;
  };
  return () => { const l = opt.minimize(f, true, vars as TF.Variable[]); l!.dataSync(); l!.dispose(); };
}

/** Flops of one LeNet-5 training step at `batch` (forward 2·MACs; backward: dW and dx, none for conv1's input). */
export function lenetFlops(batch: number): number {
  const conv1 = 2 * 6 * 25 * 1 * 24 * 24, conv2 = 2 * 16 * 25 * 6 * 8 * 8, dense = 2 * (256 * 120 + 120 * 84 + 84 * 10);
  return batch * (conv1 * 2 + conv2 * 3 + dense * 3);
}

/** conv2 of LeNet at batch 64 (x [12,12,6,64], w [5,5,6,16]): forward and forward+backward GFLOP/s, and matmul 256³ in the same run. */
async function convRates(): Promise<string> {
  fx.seed(1);
  const x = fx.rand(12, 12, 6, 64).keep(), w = fx.rand(5, 5, 6, 16).keep();
  const a = fx.rand(256, 256).keep(), b = fx.rand(256, 256).keep();
  const fwd = () => fx.scope(() => { fx.conv(x, w); });
  const bwd = () => fx.scope(() => { fx.gradient((x, w) => fx.sum(fx.conv(x, w)), x, w); });
  const mm = () => fx.scope(() => { fx.matmul(a, b); });
  const t = await runTasks([['fwd', fwd], ['bwd', bwd], ['mm', mm]]);
  const f = 2 * 16 * 150 * 64 * 64;
  const rate = (flops: number, ms: number) => flops / ms / 1e6;
  const m = rate(2 * 256 ** 3, t.get('mm')!), fr = rate(f, t.get('fwd')!), br = rate(3 * f, t.get('bwd')!);
  return [
    '| kernel | ms | GFLOP/s | of matmul\'s rate |', '|---|---|---|---|',
    `| matmul 256×256×256 | ${fmt(t.get('mm')!, 3)} | ${fmt(m, 1)} | 100% |`,
    `| conv 5×5, 6⇒16, x [12,12,6,64], forward | ${fmt(t.get('fwd')!, 3)} | ${fmt(fr, 1)} | ${fmt(100 * fr / m, 0)}% |`,
    `| same, forward + backward (dx, dw) | ${fmt(t.get('bwd')!, 3)} | ${fmt(br, 1)} | ${fmt(100 * br / m, 0)}% |`,
  ].join('\n') + `\n\nmatmul rate: ${fmt(m, 1)} GFLOP/s`;
}

/** Runs the LeNet benchmark; returns its markdown. */
export async function runLenetBench(extra?: Column[]): Promise<string> {
  extra ??= await webgpuColumn();
  await fx.init({ gpu: false, threads: 1 });   // one thread, as the tfjs columns run (threads.bench.ts has two)
  const rates = await convRates();
  const mmRate = Number(/matmul rate: ([\d.]+)/.exec(rates)![1]);
  const cols = ['fluxion wasm', ...extra.map((e) => e.label), 'tfjs wasm', 'tfjs cpu'];
  const rows: string[] = [], notes: string[] = [];
  for (const batch of [1, 64, 256]) {
    const ms: number[] = [(await runTasks([['fx', fluxStep(batch)]], 800)).get('fx')!];
    for (const e of extra) {
      e.setup();
      try { ms.push((await runTasks([['x', fluxStep(batch, true)]], 300, { iterations: 3, warmupIterations: 1, warmupTime: 0 })).get('x')!); }
      finally { await e.teardown?.(); }
    }
    for (const be of ['wasm', 'cpu'] as const) {
      if (!(await useTf(be))) { ms.push(NaN); notes.push(`tfjs ${be}: backend unavailable`); continue; }
      const tf = await tfReady();
      try {
        const step = await tfStep(batch);
        step();   // a missing kernel throws here, before timing
        // tfjs cpu takes seconds per step past batch 1: the call above was its warm-up, two samples are the median
        const slow = be === 'cpu' && batch > 1;
        ms.push((await runTasks([['tf', step]], slow ? 0 : 600, slow ? { iterations: 2, warmupIterations: 0, warmupTime: 0 } : {})).get('tf')!);
      } catch (e) {
        ms.push(NaN);
        const msg = (e as Error).message.split('\n')[0];
        if (!notes.some((n) => n.startsWith(`tfjs ${be}`))) notes.push(`tfjs ${be} fails: ${msg}`);
      }
      tf.disposeVariables();
    }
    const flopsMs = lenetFlops(batch) / mmRate / 1e6;
    rows.push(`| ${batch} | ${ms.map((v) => `${fmt(v, 3)} ms`).join(' | ')} | ${fmt(ms[ms.length - 1] / ms[0], 1)}x | ` +
      `${fmt(flopsMs, 3)} ms (${fmt(ms[0] / flopsMs, 2)}x) |`);
  }
  return [
    `Conv kernels next to matmul (conv = im2col + the SIMD matmul + a permute; one thread):`, '', rates, '',
    'LeNet-5 training step, ms (median):', '',
    `| batch | ${cols.join(' | ')} | fluxion vs tfjs cpu | flops at this run's matmul rate (fluxion ÷ that) |`,
    `|---|${cols.map(() => '---').join('|')}|---|---|`,
    ...rows, '', ...notes.map((n) => `- ${n}`),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runLenetBench());
