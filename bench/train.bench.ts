// Training-step benchmark: model A (the seed's: Dense(784, 32, σ), Dense(32, 10), softmax, mse,
// SGD(0.1)) at batch 1 and 64, and model B (784-256-256-10 relu, logitcrossentropy, Adam(1e-3))
// at batch 128: fluxion next to TensorFlow.js's cpu and wasm backends, same model, same batch.
import * as fx from '../src/index.ts';
import { tfReady, useTf } from './tfjs.ts';
import type * as TF from '@tensorflow/tfjs-core';
import { runTasks, fmt } from './_util.ts';

interface Case { name: string; batch: number; fx: () => () => unknown; tf: () => () => unknown }

function fluxA(batch: number) {
  fx.seed(1);
  const m = fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax);
  const ps = fx.params(m), opt = fx.Descent(0.1);
  const x = batch === 1 ? fx.rand(784).keep() : fx.rand(784, batch).keep();
  const y = batch === 1 ? fx.rand(10).keep() : fx.rand(10, batch).keep();
  const loss = (x: fx.Tensor, y: fx.Tensor) => fx.mse(m(x), y);
  return () => fx.trainStep(loss, ps, [x, y], opt).dispose();
}
function fluxB(batch: number) {
  fx.seed(1);
  const m = fx.Chain(fx.Dense(784, 256, fx.relu), fx.Dense(256, 256, fx.relu), fx.Dense(256, 10));
  const ps = fx.params(m), opt = fx.Adam(1e-3);
  const x = fx.rand(784, batch).keep();
  const y = fx.tensor(onehots(batch), [10, batch]).keep();
  const loss = (x: fx.Tensor, y: fx.Tensor) => fx.logitcrossentropy(m(x), y);
  return () => fx.trainStep(loss, ps, [x, y], opt).dispose();
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
  { name: 'A (784-32-10 σ, softmax, mse, SGD)', batch: 1, fx: () => fluxA(1), tf: () => null as never },
  { name: 'A (784-32-10 σ, softmax, mse, SGD)', batch: 64, fx: () => fluxA(64), tf: () => null as never },
  { name: 'B (784-256-256-10 relu, logitCE, Adam)', batch: 128, fx: () => fluxB(128), tf: () => null as never },
];
const TF_ARGS: [number[], 'sigmoid' | 'relu', 'softmax-mse' | 'logits-xent', boolean][] =
  [[[784, 32, 10], 'sigmoid', 'softmax-mse', false], [[784, 32, 10], 'sigmoid', 'softmax-mse', false], [[784, 256, 256, 10], 'relu', 'logits-xent', true]];

/** Runs the training benchmark and returns its markdown table. */
export async function runTrainBench(extra: { label: string; setup: () => unknown; teardown?: () => unknown }[] = []): Promise<string> {
  await fx.init({ gpu: false });
  const rows: string[] = [];
  const cols = ['fluxion wasm', ...extra.map((e) => e.label), 'tfjs wasm', 'tfjs cpu'];
  for (let i = 0; i < CASES.length; i++) {
    const c = CASES[i], ms: number[] = [];
    ms.push((await runTasks([['fx', c.fx()]])).get('fx')!);
    for (const e of extra) {
      e.setup();
      try { ms.push((await runTasks([['x', c.fx()]])).get('x')!); } finally { await e.teardown?.(); }
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
  return [
    `| model | batch | ${cols.join(' | ')} | fluxion vs tfjs wasm |`,
    `|---|---|${cols.map(() => '---').join('|')}|---|`,
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await runTrainBench());
