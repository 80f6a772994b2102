// 1-D regression: learn y = sin(x) on [-π, π] from 256 noisy samples (noise σ = 0.1), with
// Chain(Dense(1, 32, tanh), Dense(32, 32, tanh), Dense(32, 1)), mse and Adam, in shuffled
// mini-batches of 32 (DataLoader), in current Flux's explicit style. It prints the model against
// the true curve at a few points and the mean squared error on 101 evenly spaced held-out points
// (against the noise-free sin).
//   npm run example -- --model regression [--epochs 100] [--batch 32] [--lr 0.01] [--seed 1]

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  init, seed, tensor, randn, scope, Chain, Dense, tanh, mse, Adam, setup, train, DataLoader,
  type Tensor,
} from '../src/index.ts';
import { cli, count, positive } from './cli.ts';

export interface RegressionOptions { epochs?: number; batch?: number; lr?: number; seed?: number; log?: (line: string) => void }
export interface RegressionResult {
  /** Mean squared error against sin(x) on the held-out grid. */
  testMse: number;
  /** The held-out grid and the model's prediction there. */
  xs: number[];
  predictions: number[];
  seconds: number;
}

const N = 256, GRID = 101, NOISE = 0.1;

/** Trains the regression model and measures it on a held-out grid. */
export async function runRegression(o: RegressionOptions = {}): Promise<RegressionResult> {
  const epochs = o.epochs ?? 100, batch = o.batch ?? 32, lr = o.lr ?? 0.01, log = o.log ?? (() => {});
  await init({ gpu: false });
  seed(o.seed ?? 1);
  const t0 = performance.now();
  // training samples: x uniform on [-π, π], y = sin(x) + noise; features first: [1, N]
  const xtr = Array.from({ length: N }, (_, i) => -Math.PI + (2 * Math.PI * (i + 0.5)) / N);
  const noise = scope(() => randn(N).dataSync());
  const ytr = xtr.map((v, i) => Math.sin(v) + NOISE * noise[i]);
  const X = tensor([xtr]).keep(), Y = tensor([ytr]).keep();
  const xs = Array.from({ length: GRID }, (_, i) => -Math.PI + (2 * Math.PI * i) / (GRID - 1));
  const Xtest = tensor([xs]).keep(), Ytest = tensor([xs.map(Math.sin)]).keep();

  const m = Chain(Dense(1, 32, tanh), Dense(32, 32, tanh), Dense(32, 1));
  log(`regression: sin(x) on [-π, π] from ${N} samples (noise σ ${NOISE}), Chain(Dense(1, 32, tanh), Dense(32, 32, tanh), ` +
    `Dense(32, 1)), mse, Adam(${lr}), batch ${batch}, ${epochs} epochs`);
  const loss = (model: typeof m, x: Tensor, y: Tensor) => mse(model(x), y);
  const state = setup(Adam(lr), m);
  const data = DataLoader([X, Y], { batchsize: batch, shuffle: true });
  for (let e = 1; e <= epochs; e++) {
    await train(loss, m, data, state);
    if (e === epochs || e % Math.max(1, Math.round(epochs / 5)) === 0) {
      // an async scope frees the loss tensor once its value is read
      log(`  epoch ${String(e).padStart(String(epochs).length)}: held-out mse ${(await scope(async () => loss(m, Xtest, Ytest).item())).toFixed(5)}`);
    }
  }
  const yhat = scope(() => m(Xtest));
  const predictions = Array.from(yhat.dataSync());
  const testMse = await scope(async () => loss(m, Xtest, Ytest).item());
  for (const t of [yhat, X, Y, Xtest, Ytest]) t.dispose();
  const seconds = (performance.now() - t0) / 1000;
  log('        x   sin(x)    model');
  for (let i = 0; i < GRID; i += 12.5) {
    const j = Math.round(i);
    log(`  ${xs[j].toFixed(3).padStart(7)}  ${Math.sin(xs[j]).toFixed(3).padStart(7)}  ${predictions[j].toFixed(3).padStart(7)}`);
  }
  log(`regression: held-out mse ${testMse.toFixed(5)} on ${GRID} points against sin(x), ${seconds.toFixed(2)} s`);
  return { testMse, xs, predictions, seconds };
}

export const usage = 'npm run example -- --model regression [--epochs N] [--batch N] [--lr X] [--seed N]';

/** The command line: `main(['--epochs', '50'])`. */
export async function main(argv: string[]): Promise<RegressionResult | null> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } });
  if (v.help) { console.log(`usage: ${usage}`); return null; }
  return runRegression({
    epochs: count('--epochs', v.epochs, 100), batch: count('--batch', v.batch, 32), lr: positive('--lr', v.lr, 0.01),
    seed: count('--seed', v.seed, 1, 0), log: console.log,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli('regression', main);
