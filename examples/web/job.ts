// The demo's training job, written once for every host: `mnistJob(fx, config, bytes)` builds the
// model (the seed MLP, or LeNet-5 with `model: 'lenet'`), the data and the optimiser from a fluxion module `fx` (the bundle, imported however
// the host imports it). The demo's Web Worker serves it (worker.ts), and so does the Node
// worker_threads test (test/fixtures/node-worker.ts).
import type { TrainingJob, Tensor } from '../../src/index.ts';
import { decodeMnist, split, columns } from './mnist-data.ts';

type Fluxion = typeof import('../../src/index.ts');

export interface MnistConfig {
  /** The seed MLP (mse after softmax), or LeNet-5 (logits, logitcrossentropy). Default 'seed'. */
  model?: 'seed' | 'lenet';
  opt: 'adam' | 'descent' | 'momentum';
  /** Learning rate (default per optimiser: mse after softmax has small gradients, so they are large). */
  lr?: number;
  batch: number;
  policy: 'auto' | 'cpu' | 'gpu';
  epochs: number;
  /** Stop after this many updates. */
  maxSteps?: number;
  ntrain: number;
  ntest: number;
  /** Updates between held-out evaluations (0: at the end of each epoch). */
  evalEvery?: number;
  seed?: number;
  /** The digits (scripts/mnist-bin.mjs format), transferred; or a URL to fetch them from. */
  data?: ArrayBuffer;
  dataUrl?: string;
}

export const LR = { adam: 0.01, descent: 5, momentum: 0.5 } as const;

/** The seed model, Flux's first example: Chain(Dense(784, 32, σ), Dense(32, 10), softmax). */
export const seedModel = (fx: Fluxion) => fx.Chain(fx.Dense(784, 32, fx.sigmoid), fx.Dense(32, 10), fx.softmax);

/** LeNet-5 as Flux's model zoo writes it, taking the demo's [784, n] digits (a free reshape to WHCN) to 10 logits. */
export const lenetModel = (fx: Fluxion) => fx.Chain(
  (x: Tensor) => fx.reshape(x, [28, 28, 1, -1]),
  fx.Conv([5, 5], [1, 6], fx.relu), fx.MaxPool([2, 2]), fx.Conv([5, 5], [6, 16], fx.relu), fx.MaxPool([2, 2]),
  fx.flatten, fx.Dense(256, 120, fx.relu), fx.Dense(120, 84, fx.relu), fx.Dense(84, 10));
/** Learning rates for LeNet-5 (logitcrossentropy: ordinary gradients, ordinary rates). */
export const LENET_LR = { adam: 0.002, descent: 0.05, momentum: 0.01 } as const;

/** The model a config names, and its output as probabilities (the seed model ends in softmax, LeNet-5 in logits). */
export function makeModel(fx: Fluxion, name: MnistConfig['model'] = 'seed') {
  const m = name === 'lenet' ? lenetModel(fx) : seedModel(fx);
  return { m, probs: (x: Tensor) => (name === 'lenet' ? fx.softmax(m(x)) : m(x)) };
}

/** Indices of the largest entry of each column of a [10, m] matrix. */
export function argmaxColumns(y: Float32Array, m: number): Uint8Array {
  const out = new Uint8Array(m);
  for (let j = 0; j < m; j++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (y[k * m + j] > y[best * m + j]) best = k;
    out[j] = best;
  }
  return out;
}

/** init() and setPolicy for a run: the Wasm kernels, and WebGPU where present (in Node, a cpu run skips looking for Dawn). */
export async function initPolicy(fx: Fluxion, policy: MnistConfig['policy']) {
  const hasNavigatorGpu = typeof navigator !== 'undefined' && !!(navigator as { gpu?: unknown }).gpu;
  await fx.init(policy === 'cpu' && !hasNavigatorGpu ? { gpu: false } : {});
  if (policy === 'gpu' && !fx.devices().gpu.available)
    throw new Error(`policy 'gpu': no WebGPU adapter in this worker (${(fx.devices().gpu as { reason?: string }).reason ?? 'none found'})`);
  fx.setPolicy(policy);
}

export async function mnistJob(fx: Fluxion, c: MnistConfig): Promise<TrainingJob> {
  await initPolicy(fx, c.policy);
  const bytes = c.data ?? (c.dataUrl ? await (await fetch(c.dataUrl)).arrayBuffer() : null);
  if (!bytes) throw new Error('mnistJob: config needs data (an ArrayBuffer) or dataUrl');
  const d = decodeMnist(bytes);
  const { train, test } = split(d, c.ntrain, c.ntest, c.seed ?? 1);
  const labels = (idx: Int32Array) => Array.from(idx, (i) => d.labels[i]);
  const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  fx.seed(c.seed ?? 1);
  const xtrain = fx.tensor(columns(d, train), [784, train.length]).keep();
  const ytrain = fx.onehotbatch(labels(train), DIGITS).keep();
  const xtest = fx.tensor(columns(d, test), [784, test.length]).keep();
  const ytest = fx.onehotbatch(labels(test), DIGITS).keep();
  const ltest = labels(test);

  const lenet = c.model === 'lenet', m = makeModel(fx, c.model).m;
  const loss = lenet ? (x: Tensor, y: Tensor) => fx.logitcrossentropy(m(x), y) : (x: Tensor, y: Tensor) => fx.mse(m(x), y);
  const lr = c.lr ?? (lenet ? LENET_LR : LR)[c.opt];
  const rule = c.opt === 'adam' ? fx.Adam(lr) : c.opt === 'momentum' ? fx.Momentum(lr) : fx.Descent(lr);
  const evaluate = async () => {
    const yhat = fx.scope(() => m(xtest));
    const l = fx.scope(() => (lenet ? fx.logitcrossentropy : fx.mse)(yhat, ytest));
    const [lv, y] = [await l.item(), await yhat.data()];
    l.dispose(); yhat.dispose();
    const pred = argmaxColumns(y, ltest.length);
    let ok = 0;
    for (let j = 0; j < ltest.length; j++) if (pred[j] === ltest[j]) ok++;
    return { loss: lv, accuracy: ok / ltest.length };
  };
  return {
    model: m, loss, opt: fx.setup(rule, m),
    data: fx.DataLoader([xtrain, ytrain], { batchsize: c.batch, shuffle: true }),
    epochs: c.epochs, maxSteps: c.maxSteps, evaluate, evalEvery: c.evalEvery ?? 0,
    dispose: () => { for (const t of [xtrain, ytrain, xtest, ytest]) t.dispose(); },
  };
}
