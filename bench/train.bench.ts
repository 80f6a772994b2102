// Training-step benchmark: model A (the seed's: Dense(784, 32, σ), Dense(32, 10), softmax, mse,
// SGD(0.1)) at batch 1 and 64, and model B (784-256-256-10 relu, logitcrossentropy, Adam(1e-3))
// at batch 128: fluxion next to TensorFlow.js's cpu and wasm backends, same model, same batch.
// Where a WebGPU adapter exists, a `fluxion webgpu` column trains under setPolicy('gpu') (every
// op, parameter and optimiser state on the GPU; each sample awaits the loss, one submission per
// step). Here that adapter is SwiftShader, a CPU, so the column shows it works, not GPU speed.
import * as fx from '../src/index.ts';
import { runtime } from '../src/runtime.ts';
import type { WebGPUInfo } from '../src/backends/webgpu.ts';
import { tfReady, useTf } from './tfjs.ts';
import type * as TF from '@tensorflow/tfjs-core';
import { runTasks, fmt } from './_util.ts';

interface Case { name: string; batch: number; fx: (awaitLoss?: boolean) => () => unknown; tf: () => () => unknown }

/** The step closure: on the CPU dispose the loss; on the GPU (`awaitLoss`) also await it, so a sample is a whole step. */
function stepFn(loss: (x: fx.Tensor, y: fx.Tensor) => fx.Tensor, ps: fx.Params, x: fx.Tensor, y: fx.Tensor, opt: fx.Rule, awaitLoss: boolean) {
  if (!awaitLoss) return () => fx.trainStep(loss, ps, [x, y], opt).dispose();
  return async () => { const l = fx.trainStep(loss, ps, [x, y], opt); await l.item(); l.dispose(); };
}

export function fluxA(batch: number, awaitLoss = false) {
  fx.seed(1);
  const m = fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax);
  const ps = fx.params(m), opt = fx.Descent(0.1);
  const x = batch === 1 ? fx.rand(784).keep() : fx.rand(784, batch).keep();
  const y = batch === 1 ? fx.rand(10).keep() : fx.rand(10, batch).keep();
  const loss = (x: fx.Tensor, y: fx.Tensor) => fx.mse(m(x), y);
  return stepFn(loss, ps, x, y, opt, awaitLoss);
}
export function fluxB(batch: number, awaitLoss = false) {
  fx.seed(1);
  const m = fx.Chain(fx.Dense(784, 256, fx.relu), fx.Dense(256, 256, fx.relu), fx.Dense(256, 10));
  const ps = fx.params(m), opt = fx.Adam(1e-3);
  const x = fx.rand(784, batch).keep();
  const y = fx.tensor(onehots(batch), [10, batch]).keep();
  const loss = (x: fx.Tensor, y: fx.Tensor) => fx.logitcrossentropy(m(x), y);
  return stepFn(loss, ps, x, y, opt, awaitLoss);
}
function onehots(batch: number) {
  const v = new Float32Array(10 * batch);
  for (let j = 0; j < batch; j++) v[(j % 10) * batch + j] = 1;
  return v;
}

async function tfModel(sizes: number[], act: 'sigmoid' | 'relu', head: 'softmax-mse' | 'logits-xent', batch: number, adam: boolean) {
  const tf = await tfReady();
  const vars = sizes.slice(1).flatMap((o, i) => [
    tf.variable(tf.randomUniform([sizes[i], o], -0.1, 0.1)), tf.variable(tf.zeros([o]))]);
  const x = tf.randomUniform([batch, sizes[0]]);
  const y = head === 'logits-xent' ? tf.cast(tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, j) => j % 10), 'int32'), 10), 'float32')
    : tf.randomUniform([batch, sizes[sizes.length - 1]]);
  const opt = adam ? tf.train.adam(1e-3) : tf.train.sgd(0.1);
  const f = () => {
    let h: TF.Tensor = x;
    for (let i = 0; i < vars.length; i += 2) {
      h = tf.add(tf.matMul(h as TF.Tensor2D, vars[i] as TF.Tensor2D), vars[i + 1]);
      if (i + 2 < vars.length) h = act === 'sigmoid' ? tf.sigmoid(h) : tf.relu(h);
    }
    return (head === 'softmax-mse' ? tf.losses.meanSquaredError(y, tf.softmax(h)) : tf.losses.softmaxCrossEntropy(y, h)) as TF.Scalar;
  };
  return () => { const l = opt.minimize(f, true, vars as TF.Variable[]); l!.dataSync(); l!.dispose(); };
}

const CASES: Case[] = [
  { name: 'A (784-32-10 σ, softmax, mse, SGD)', batch: 1, fx: (w) => fluxA(1, w), tf: () => null as never },
  { name: 'A (784-32-10 σ, softmax, mse, SGD)', batch: 64, fx: (w) => fluxA(64, w), tf: () => null as never },
  { name: 'B (784-256-256-10 relu, logitCE, Adam)', batch: 128, fx: (w) => fluxB(128, w), tf: () => null as never },
];
const TF_ARGS: [number[], 'sigmoid' | 'relu', 'softmax-mse' | 'logits-xent', boolean][] =
  [[[784, 32, 10], 'sigmoid', 'softmax-mse', false], [[784, 32, 10], 'sigmoid', 'softmax-mse', false], [[784, 256, 256, 10], 'relu', 'logits-xent', true]];

/** An extra fluxion column: `setup` runs before its row is built and measured, `teardown` after. */
export interface Column {
  label: string; setup: () => unknown; teardown?: () => unknown;
  /** Each sample awaits the loss (a GPU step is only done when its readback arrives). */
  awaitLoss?: boolean;
  /** tinybench budget: time in ms and minimum samples (slow devices: a few samples). */
  budget?: { time: number; iterations: number; warmupIterations: number };
}

/**
 * The `fluxion webgpu` column, or none without an adapter. The GPU is attached only while its
 * column runs, so the other fluxion column measures the CPU as with no GPU present.
 */
export async function webgpuColumn(): Promise<Column[]> {
  await fx.init({ gpu: false, threads: 1 });   // one thread, as the tfjs columns run (threads.bench.ts has two)
  const prev = runtime.gpu;
  await fx.init({ threads: 1 });
  const gpu = runtime.gpu as (typeof runtime.gpu & { info?: WebGPUInfo }) | null;
  runtime.gpu = prev;
  if (!gpu) { console.error(`train bench: no webgpu column (${(fx.devices().gpu as { reason?: string }).reason})`); return []; }
  const i = gpu.info, soft = !!i && (i.fallback || /swiftshader/i.test(`${i.architecture} ${i.description}`));
  return [{
    label: `fluxion webgpu (${soft ? 'SwiftShader: a CPU, not a GPU' : i?.description || i?.vendor || 'adapter'})`,
    setup: () => { runtime.gpu = gpu; fx.setPolicy('gpu'); },
    teardown: () => { fx.setPolicy('auto'); runtime.gpu = null; },
    awaitLoss: true,
    budget: { time: 300, iterations: 5, warmupIterations: 2 },
  }];
}

/** Runs the training benchmark and returns its markdown table (default columns: wasm, webgpu where present). */
export async function runTrainBench(extra?: Column[]): Promise<string> {
  extra ??= await webgpuColumn();
  await fx.init({ gpu: false, threads: 1 });   // one thread, as the tfjs columns run (threads.bench.ts has two)
  const rows: string[] = [];
  const cols = ['fluxion wasm', ...extra.map((e) => e.label), 'tfjs wasm', 'tfjs cpu'];
  for (let i = 0; i < CASES.length; i++) {
    const c = CASES[i], ms: number[] = [];
    ms.push((await runTasks([['fx', c.fx()]])).get('fx')!);
    for (const e of extra) {
      e.setup();
      try {
        const b = e.budget;
        ms.push((await runTasks([['x', c.fx(e.awaitLoss)]], b?.time ?? 600, b ? { iterations: b.iterations, warmupIterations: b.warmupIterations, warmupTime: 0 } : {})).get('x')!);
      } finally { await e.teardown?.(); }
    }
    for (const be of ['wasm', 'cpu'] as const) {
      if (!(await useTf(be))) { ms.push(NaN); continue; }
      const [s, a, h, adam] = TF_ARGS[i];
      const tf = await tfReady();
      const step = await tfModel(s, a, h, c.batch, adam);
      ms.push((await runTasks([['tf', step]], be === 'cpu' && c.batch > 64 ? 1500 : 600)).get('tf')!);
      tf.disposeVariables();
    }
    rows.push(`| ${c.name} | ${c.batch} | ${ms.map((v) => `${fmt(v, 3)} ms (${fmt(c.batch * 1000 / v, 0)}/s)`).join(' | ')} | ` +
      `${fmt(ms[ms.length - 2] / ms[0], 1)}x |`);
  }
  const soft = extra.some((e) => /SwiftShader/.test(e.label));
  return [
    ...(soft ? ['The webgpu column runs on SwiftShader, a CPU implementation of Vulkan (no GPU on this machine): ' +
      'it shows whole training on WebGPU works (policy \'gpu\', one submission and one 4-byte loss readback per step, ' +
      'each sample awaits the loss), not GPU speed. A few samples per row (tinybench time 300 ms, 5 iterations minimum).', ''] : []),
    `| model | batch | ${cols.join(' | ')} | fluxion vs tfjs wasm |`,
    `|---|---|${cols.map(() => '---').join('|')}|---|`,
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runTrainBench());
